"""Creates the AWS resources the pipeline needs, from the same definitions the CDK stack uses."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from lapor.adapters.schema import AGGREGATES, DIRECTORY, IDEMPOTENCY, REPORTS
from lapor.adapters.uploads import INCOMING, lifecycle_rules

REGION = "ap-southeast-3"
# Local receive counts before a message lands in the DLQ, as in the deployed queue.
MAX_RECEIVES = 5


@dataclass(frozen=True)
class ResourceNames:
    """Names of one deployment's resources (prefix keeps parallel test stacks apart)."""

    prefix: str = "lapor-local"

    @property
    def reports_table(self) -> str:
        return f"{self.prefix}-reports"

    @property
    def directory_table(self) -> str:
        return f"{self.prefix}-directory"

    @property
    def idempotency_table(self) -> str:
        return f"{self.prefix}-idempotency"

    @property
    def aggregates_table(self) -> str:
        return f"{self.prefix}-aggregates"

    @property
    def data_bucket(self) -> str:
        return f"{self.prefix}-data"

    @property
    def tally_failures_queue(self) -> str:
        return f"{self.prefix}-tally-failures"

    @property
    def notify_queue(self) -> str:
        return f"{self.prefix}-notify"

    @property
    def notify_dlq(self) -> str:
        return f"{self.prefix}-notify-dlq"

    @property
    def route_failures_queue(self) -> str:
        return f"{self.prefix}-route-failures"

    @property
    def sla_failures_queue(self) -> str:
        return f"{self.prefix}-sla-failures"

    @property
    def uploads_bucket(self) -> str:
        return f"{self.prefix}-uploads"

    @property
    def upload_events_queue(self) -> str:
        return f"{self.prefix}-upload-events"

    @property
    def receipt_secret(self) -> str:
        return f"{self.prefix}-receipt-key"


@dataclass(frozen=True)
class Resources:
    """What ``create_resources`` made, as the functions' environment needs it."""

    names: ResourceNames
    reports_stream_arn: str
    notify_queue_url: str
    notify_queue_arn: str
    notify_dlq_url: str
    route_failures_url: str
    tally_failures_url: str
    sla_failures_url: str
    sender_email: str
    upload_events_url: str
    receipt_secret_arn: str

    def environment(self, *, region: str = REGION, public_url: str, due_shards: int = 8) -> dict[str, str]:
        """The functions' environment variables for these resources."""
        return {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAPOR_REPORTS_TABLE": self.names.reports_table,
            "LAPOR_DIRECTORY_TABLE": self.names.directory_table,
            "LAPOR_IDEMPOTENCY_TABLE": self.names.idempotency_table,
            "LAPOR_RECEIPT_SECRET": self.receipt_secret_arn,
            "LAPOR_AGGREGATES_TABLE": self.names.aggregates_table,
            "LAPOR_DATA_BUCKET": self.names.data_bucket,
            "LAPOR_NOTIFY_QUEUE_URL": self.notify_queue_url,
            "LAPOR_DUE_SHARDS": str(due_shards),
            "LAPOR_PUBLIC_URL": public_url,
            "LAPOR_SENDER_EMAIL": self.sender_email,
            "LAPOR_UPLOADS_BUCKET": self.names.uploads_bucket,
            # The local stack's clock is whatever the operator asks for (POST /_local/sla-check).
            "LAPOR_SLA_ALLOW_FUTURE_NOW": "true",
            "POWERTOOLS_SERVICE_NAME": "lapor",
            "POWERTOOLS_METRICS_NAMESPACE": "Lapor",
        }


def create_resources(
    session: Any,
    names: ResourceNames | None = None,
    *,
    sender_email: str = "no-reply@lapor.local",
    visibility_timeout: int = 5,
) -> Resources:
    """Create tables, queues, the data bucket and the SES sender identity with ``session`` (a boto3 Session)."""
    names = names or ResourceNames()
    dynamodb = session.client("dynamodb")
    for spec, table in (
        (REPORTS, names.reports_table),
        (DIRECTORY, names.directory_table),
        (IDEMPOTENCY, names.idempotency_table),
        (AGGREGATES, names.aggregates_table),
    ):
        dynamodb.create_table(**spec.create_table_kwargs(table))
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    stream_arn = dynamodb.describe_table(TableName=names.reports_table)["Table"]["LatestStreamArn"]

    sqs = session.client("sqs")
    dlq_url = sqs.create_queue(QueueName=names.notify_dlq)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    notify_url = sqs.create_queue(
        QueueName=names.notify_queue,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
            ),
        },
    )["QueueUrl"]
    notify_arn = sqs.get_queue_attributes(QueueUrl=notify_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    route_failures = sqs.create_queue(QueueName=names.route_failures_queue)["QueueUrl"]
    tally_failures = sqs.create_queue(QueueName=names.tally_failures_queue)["QueueUrl"]
    sla_failures = sqs.create_queue(QueueName=names.sla_failures_queue)["QueueUrl"]

    session.client("s3").create_bucket(
        Bucket=names.data_bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    session.client("ses").verify_email_identity(EmailAddress=sender_email)
    upload_events = create_uploads_bucket(session, names)
    # Receipts of keyed submissions are derived from this secret, as in the deployed stack.
    receipt_secret = session.client("secretsmanager").create_secret(
        Name=names.receipt_secret, SecretString=secrets.token_urlsafe(48)
    )["ARN"]
    return Resources(
        names=names,
        reports_stream_arn=stream_arn,
        notify_queue_url=notify_url,
        notify_queue_arn=notify_arn,
        notify_dlq_url=dlq_url,
        route_failures_url=route_failures,
        tally_failures_url=tally_failures,
        sla_failures_url=sla_failures,
        sender_email=sender_email,
        upload_events_url=upload_events,
        receipt_secret_arn=receipt_secret,
    )


def create_uploads_bucket(session: Any, names: ResourceNames) -> str:
    """The attachments bucket, with the deployed lifecycle, and its ObjectCreated events of
    ``incoming/`` sent to a queue (moto runs no Lambda; the local stack invokes the processing
    function with each event, as S3 would). The queue's URL."""
    s3 = session.client("s3")
    sqs = session.client("sqs")
    bucket = names.uploads_bucket
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle_rules()})
    url = sqs.create_queue(QueueName=names.upload_events_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": INCOMING}]}},
                }
            ]
        },
    )
    return url


def allow_browser_uploads(session: Any, names: ResourceNames, origins: list[str]) -> None:
    """CORS for the pages' origins: browsers POST files to the bucket, as in the deployed stack."""
    session.client("s3").put_bucket_cors(
        Bucket=names.uploads_bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["POST"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
