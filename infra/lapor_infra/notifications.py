"""Notify queue (+ DLQ), SES identity and configuration set, the notify function, and SMS delivery status."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as aws_iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from lapor.adapters.schema import SMS_INDEX
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.nag import XRAY_REASON, acknowledge, resource_finding
from lapor_infra.queues import encrypted_queue

# SNS writes the delivery status of SMS published to phone numbers to these log groups, named by
# region and account (one pair per account and region, whatever the stack).
SMS_LOG_GROUP = "sns/{region}/{account}/DirectPublishToPhoneNumber"
SMS_FAILURE_LOG_GROUP = SMS_LOG_GROUP + "/Failure"


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


class Sender(Construct):
    """The SES identity of the sender domain (created, or the account's existing one) and a configuration set.

    An SES identity exists once per account and region: the first stage creates it
    (``-c sesIdentity=create``, the default) and publishes its DKIM records; other stages in the same
    account, or a domain verified beforehand, use it as it is (``-c sesIdentity=existing``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: LaporConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        self.identity: ses.EmailIdentity | None = None
        if config.ses_identity == "create":
            self.identity = ses.EmailIdentity(
                self,
                "Identity",
                identity=ses.Identity.domain(config.sender_domain),
                configuration_set=self.configuration_set,
            )
        self.identity_arn = stack.format_arn(
            service="ses", resource="identity", resource_name=config.sender_domain
        )
        self.configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )

    def grant_send(
        self, role: aws_iam.IRole, sender_email: str, *, actions: tuple[str, ...] = ("ses:SendEmail",)
    ) -> None:
        """SendEmail (or ``actions``, e.g. SendRawEmail for attachments) as ``sender_email`` only.

        SES authorizes every identity a send touches: the sender's, the configuration set and, in
        the sandbox, each recipient's (verified addresses of the same account). So the resource is
        the account's identities and the configuration set, and ``ses:FromAddress`` is what keeps
        the role to the one sender.
        """
        stack = Stack.of(self)
        identities = stack.format_arn(service="ses", resource="identity", resource_name="*")
        iam.allow(
            role,
            list(actions),
            [identities, self.configuration_set_arn],
            conditions={"StringEquals": {"ses:FromAddress": sender_email}},
        )
        acknowledge(
            role,
            resource_finding(self, identities),
            "SES authorizes the recipients' identities too while the account is in the SES sandbox, so "
            "SendEmail names the account's identities; the ses:FromAddress condition allows only the "
            "stack's own sender address.",
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
        sender: Sender,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        environment = {
            **pipeline_environment(config, data, notify_queue.queue.queue_url),
            "LAPOR_SENDER_EMAIL": config.sender_email,
            "LAPOR_SES_CONFIGURATION_SET": sender.configuration_set.configuration_set_name,
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
        iam.key(role, data.key, iam.KMS_SEND)
        sender.grant_send(role, config.sender_email)
        # Direct SMS publishing (to a phone number) has no resource ARN to scope to; the condition
        # keeps it in the stack's region, where the reporters' personal data lives, and the Deny
        # keeps it off every topic (topics have ARNs; a phone number has none).
        iam.allow(
            role,
            ["sns:Publish"],
            ["*"],
            conditions={"StringEquals": {"aws:RequestedRegion": stack.region}},
        )
        role.add_to_principal_policy(
            aws_iam.PolicyStatement(
                effect=aws_iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{stack.partition}:sns:*:*:*"],
            )
        )
        # Lambda's poller receives and deletes; the function itself delays a message it must retry
        # (ChangeMessageVisibility) and re-enqueues mail waiting for the sender's verification.
        iam.consume(role, notify_queue.queue)
        iam.allow(role, ["sqs:ChangeMessageVisibility", "sqs:SendMessage"], [notify_queue.queue.queue_arn])
        self.mapping = lambda_.EventSourceMapping(
            self,
            "NotifyQueue",
            target=self.handler.function,
            event_source_arn=notify_queue.queue.queue_arn,
            batch_size=c.NOTIFY_BATCH_SIZE,
            max_concurrency=c.NOTIFY_MAX_CONCURRENCY,
            report_batch_item_failures=True,
        )
        self.mapping.node.add_dependency(role)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Two statements need '*': X-Ray's PutTraceSegments/PutTelemetryRecords (no resource-level "
            "permissions), and sns:Publish for SMS sent straight to a phone number, which has no ARN; "
            "that statement is limited to the stack's region by aws:RequestedRegion, and a Deny keeps "
            "it off every topic.",
        )


class SmsDeliveryStatus(Construct):
    """SNS's SMS delivery-status logging, and the function that records failures on the reports.

    SNS accepts a Publish before the carrier has the message: a message above the max price, a
    blocked or unreachable number fails later, and only the delivery-status log says so. SNS writes
    it with a role named in the account's SMS settings; they and the log group exist once per
    account and region, so one stage creates them (``-c smsDeliveryStatus=create``, the default) and
    the others subscribe to the existing log group (``existing``).
    """

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
        names = {"region": stack.region, "account": stack.account}
        failure_group_name = SMS_FAILURE_LOG_GROUP.format(**names)
        self.role: aws_iam.Role | None = None
        if config.sms_delivery_status == "create":
            self.failure_logs: logs.ILogGroup = logs.LogGroup(
                self,
                "FailureLogs",
                log_group_name=failure_group_name,
                retention=config.log_retention,
                encryption_key=data.key,  # the lines carry phone numbers
                removal_policy=RemovalPolicy.RETAIN,
            )
            self._account_settings(config, stack, names)
        else:
            self.failure_logs = logs.LogGroup.from_log_group_name(self, "FailureLogs", failure_group_name)

        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.SMS_STATUS,
            layer=layer,
            config=config,
            environment=pipeline_environment(config, data, notify_queue.queue.queue_url),
        )
        role = self.handler.role
        # Find the marker by SNS's message id (the sms index), fail it once (a conditional update),
        # read the report's status and add the internal timeline entry (a put).
        iam.table(role, data.reports, ["GetItem", "PutItem", "UpdateItem"], query_indexes=[SMS_INDEX])
        iam.key(role, data.key, iam.KMS_USE)
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        logs.SubscriptionFilter(
            self,
            "Failures",
            log_group=self.failure_logs,
            destination=destinations.LambdaDestination(self.handler.function),
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "FAILURE"),
            filter_name=f"lapor-{config.stage}-sms-failures",
        )

    def _account_settings(self, config: LaporConfig, stack: Stack, names: dict[str, str]) -> None:
        """The role SNS logs with, and the account's SMS settings naming it (an SDK call on deploy)."""
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=SMS_LOG_GROUP.format(**names) + "*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role = aws_iam.Role(
            self,
            "LoggingRole",
            assumed_by=aws_iam.ServicePrincipal(
                "sns.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"Lapor {config.stage}: SNS writes SMS delivery status to CloudWatch Logs",
        )
        iam.allow(
            self.role,
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:PutRetentionPolicy"],
            [log_group_arn, log_group_arn + ":log-stream:*"],
        )
        acknowledge(
            self.role,
            resource_finding(self, log_group_arn),
            "SNS names its SMS delivery-status log groups itself (DirectPublishToPhoneNumber and "
            "DirectPublishToPhoneNumber/Failure); the role may write only to those.",
        )
        acknowledge(
            self.role,
            resource_finding(self, log_group_arn + ":log-stream:*"),
            "SNS creates the log streams of its SMS delivery-status log groups itself, with names "
            "it chooses; the role may write only to streams of those two groups.",
        )
        attributes = {
            "DeliveryStatusIAMRole": self.role.role_arn,
            # Successes are not logged (they cost log storage and say nothing new); every failure is.
            "DeliveryStatusSuccessSamplingRate": "0",
            "DefaultSMSType": "Transactional",
        }
        call = cr.AwsSdkCall(
            service="SNS",
            action="setSMSAttributes",
            parameters={"attributes": attributes},
            physical_resource_id=cr.PhysicalResourceId.of(f"lapor-sms-settings-{stack.region}"),
        )
        self.settings = cr.AwsCustomResource(
            self,
            "AccountSmsSettings",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    aws_iam.PolicyStatement(actions=["sns:SetSMSAttributes"], resources=["*"]),
                    aws_iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.role.role_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
            log_retention=None,
        )
        self.settings.node.add_dependency(self.failure_logs)
        provider = stack.node.try_find_child(
            "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        )
        assert provider is not None, "the custom resources' provider function"
        acknowledge(
            provider,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's provider function for AwsCustomResource (one per stack) writes its own logs with the "
            "AWS managed basic execution policy; it runs only during deployments.",
        )
        acknowledge(
            self.settings,
            "AwsSolutions-IAM5[Resource::*]",
            "sns:SetSMSAttributes is an account-level call with no resource to scope it to; the custom "
            "resource makes it once per deploy to name the delivery-status logging role.",
        )
