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
# Reading and writing KMS-encrypted tables and sending to encrypted queues.
KMS_ENCRYPT_DECRYPT = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


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
