"""KMS-encrypted, TLS-only SQS queues."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lapor_infra import constants as c


def encrypted_queue(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    visibility_timeout: Duration | None = None,
    dead_letter_queue: sqs.DeadLetterQueue | None = None,
    retention: Duration = c.DLQ_RETENTION,
) -> sqs.Queue:
    """A queue under the stack's key that refuses plain-HTTP requests."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        data_key_reuse=Duration.minutes(15),
        enforce_ssl=True,
        retention_period=retention,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=dead_letter_queue,
        removal_policy=RemovalPolicy.DESTROY,
    )
