"""Least-privilege grants written out action by action.

CDK's ``grant*`` helpers hand out broader sets than Lapor needs (``dynamodb:Scan``, ``kms:ReEncrypt*``,
every index by wildcard); these helpers name each action and each index instead, so a policy
reads as exactly what a function does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

# Sending to a KMS-encrypted queue or topic: SQS/SNS generate a data key and may decrypt a cached one.
KMS_SEND = ("kms:Decrypt", "kms:GenerateDataKey")
# Reading and writing KMS-encrypted tables (DynamoDB decrypts the table key under the caller's
# credentials and encrypts items with it itself) and receiving from encrypted queues. No role calls
# kms:Encrypt: no service Lapor uses asks for it on a caller's behalf.
KMS_USE = ("kms:Decrypt",)
# Reading and writing SSE-KMS objects in S3 (the uploads bucket): S3 decrypts on GET and generates a
# data key on PUT under the caller's credentials; a presigned POST uses its signer's.
KMS_S3 = ("kms:Decrypt", "kms:GenerateDataKey")


def allow(
    role: iam.IRole,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    conditions: dict[str, dict[str, object]] | None = None,
) -> None:
    """Add one Allow statement to the role's policy."""
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=sorted(actions), resources=list(resources), conditions=conditions)
    )


def table(
    role: iam.IRole,
    target: dynamodb.ITable,
    actions: Iterable[str],
    *,
    query_indexes: Sequence[str] = (),
) -> None:
    """``actions`` on ``target`` (``dynamodb:`` prefix optional) and Query on the named indexes only."""
    names = [action if ":" in action else f"dynamodb:{action}" for action in actions]
    if any(name == "dynamodb:Scan" for name in names):
        raise ValueError("Lapor never Scans a table: query an index instead")
    allow(role, names, [target.table_arn])
    if query_indexes:
        allow(role, ["dynamodb:Query"], [f"{target.table_arn}/index/{name}" for name in query_indexes])


def key(role: iam.IRole, target: kms.IKey, actions: Sequence[str]) -> None:
    """Use of the stack's customer-managed key (tables, queues and topics are encrypted with it)."""
    allow(role, actions, [target.key_arn])


def send_to(role: iam.IRole, queue: sqs.IQueue) -> None:
    """SendMessage to one queue. Its KMS key needs ``KMS_SEND`` (or more), granted with ``key``."""
    allow(role, ["sqs:SendMessage"], [queue.queue_arn])


# What Lambda's SQS poller calls with the function's role (AWS Lambda developer guide, "Execution
# role permissions" for Amazon SQS); CDK's SqsEventSource would grant GetQueueUrl and
# ChangeMessageVisibility on top.
SQS_EVENT_SOURCE = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")


def consume(role: iam.IRole, queue: sqs.IQueue) -> None:
    """What Lambda's SQS event source mapping needs to feed a function from ``queue``."""
    allow(role, SQS_EVENT_SOURCE, [queue.queue_arn])
