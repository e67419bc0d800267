"""Notify queue (+ DLQ), SES identity and configuration set, and the notify function."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.nag import acknowledge
from lapor_infra.queues import encrypted_queue


class NotifyQueue(Construct):
    """Every outbound message passes through this queue; five failed receives park it in the DLQ."""

    def __init__(self, scope: Construct, construct_id: str, *, data: Data) -> None:
        super().__init__(scope, construct_id)
        self.dlq = encrypted_queue(self, "DeadLetterQueue", key=data.key)
        acknowledge(self.dlq, "AwsSolutions-SQS3", "This queue is the notify queue's dead-letter queue.")
        self.queue = encrypted_queue(
            self,
            "Queue",
            key=data.key,
            retention=c.QUEUE_RETENTION,
            visibility_timeout=Duration.seconds(c.NOTIFY.timeout.to_seconds() * c.NOTIFY_VISIBILITY_FACTOR),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=c.NOTIFY_MAX_RECEIVES),
        )


class Notifications(Construct):
    """The notify function: SQS in, SES email and SNS SMS out, nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        layer: lambda_.ILayerVersion,
        notify_queue: NotifyQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        self.identity = ses.EmailIdentity(
            self,
            "SenderIdentity",
            identity=ses.Identity.domain(config.sender_domain),
            configuration_set=self.configuration_set,
        )
        configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )
        environment = {
            **pipeline_environment(config, data, notify_queue.queue.queue_url),
            "LAPOR_SENDER_EMAIL": config.sender_email,
            "LAPOR_SES_CONFIGURATION_SET": self.configuration_set.configuration_set_name,
            "LAPOR_SMS_ENABLED": "true" if config.sms_enabled else "false",
            "LAPOR_SMS_MAX_PRICE": str(config.sms_max_price),
        }
        if config.sms_sender_id:
            environment["LAPOR_SMS_SENDER_ID"] = config.sms_sender_id
        self.handler = LaporFunction(
            self, "Function", spec=c.NOTIFY, layer=layer, config=config, environment=environment
        )
        role = self.handler.role
        # The report (recipients' contacts) and its per-delivery sent markers: claimed with a conditional
        # put, finished with an update, released with a delete when a send fails transiently; an
        # undeliverable message adds a timeline event (a put). The directory document is only read.
        iam.table(role, data.reports, ["GetItem", "PutItem", "UpdateItem", "DeleteItem"])
        iam.table(role, data.directory, ["GetItem"])
        iam.key(role, data.key, iam.KMS_ENCRYPT_DECRYPT)
        iam.allow(
            role,
            ["ses:SendEmail", "ses:SendRawEmail"],
            [self.identity.email_identity_arn, configuration_set_arn],
        )
        # Direct SMS publishing (to a phone number) has no resource ARN to scope to; the condition
        # keeps it in the stack's region, where the reporters' personal data lives.
        iam.allow(
            role,
            ["sns:Publish"],
            ["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": stack.region}},
        )
        self.handler.function.add_event_source(
            sources.SqsEventSource(
                notify_queue.queue,
                batch_size=c.NOTIFY_BATCH_SIZE,
                max_concurrency=c.NOTIFY_MAX_CONCURRENCY,
                report_batch_item_failures=True,
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Two statements need '*': X-Ray's PutTraceSegments/PutTelemetryRecords (no resource-level "
            "permissions), and sns:Publish for SMS sent straight to a phone number, which has no ARN; "
            "that statement is limited to the stack's region by aws:RequestedRegion.",
        )
