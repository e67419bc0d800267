"""LaporStack: composes one construct per concern; the constructs hold the details."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from lapor_infra import constants as c
from lapor_infra.accountability import MonthlyJobs, OpenData, Tally
from lapor_infra.api import IntakeApi
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.identity import Identity
from lapor_infra.layer import CommonLayer
from lapor_infra.notifications import Notifications, NotifyQueue, Sender, SmsDeliveryStatus
from lapor_infra.observability import Observability
from lapor_infra.router import Router
from lapor_infra.sla import SlaSchedule
from lapor_infra.uploads import Uploads


class LaporStack(Stack):
    """intake API -> reports table/stream -> router -> notify queue -> notify; SLA schedule beside."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LaporConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", "lapor")
        Tags.of(self).add("stage", config.stage)

        data = Data(self, "Data", stage=config.stage)
        layer = CommonLayer(self, "CommonLayer").layer
        queue = NotifyQueue(self, "NotifyQueue", data=data)
        sender = Sender(self, "Sender", config=config)
        identity = Identity(
            self,
            "Identity",
            config=config,
            configuration_set_name=sender.configuration_set.configuration_set_name,
        )
        uploads = Uploads(self, "Uploads", config=config, data=data, layer=layer)
        intake = IntakeApi(
            self,
            "IntakeApi",
            config=config,
            data=data,
            layer=layer,
            notify_queue=queue,
            identity=identity,
            uploads=uploads,
        )
        router = Router(self, "Router", config=config, data=data, layer=layer, notify_queue=queue)
        sla = SlaSchedule(self, "SlaSchedule", config=config, data=data, layer=layer, notify_queue=queue)
        notifications = Notifications(
            self, "Notifications", config=config, data=data, layer=layer, notify_queue=queue, sender=sender
        )
        sms_status = SmsDeliveryStatus(
            self, "SmsDeliveryStatus", config=config, data=data, layer=layer, notify_queue=queue
        )
        tally = Tally(self, "Tally", config=config, data=data, layer=layer, notify_queue=queue)
        open_data = OpenData(self, "OpenData", config=config, data=data)
        jobs = MonthlyJobs(
            self,
            "MonthlyJobs",
            config=config,
            data=data,
            layer=layer,
            notify_queue=queue,
            sender=sender,
            open_data=open_data,
        )
        observability = Observability(
            self,
            "Observability",
            config=config,
            data=data,
            api=intake.api,
            functions=[
                intake.handler,
                router.handler,
                sla.handler,
                notifications.handler,
                sms_status.handler,
                uploads.handler,
                tally.handler,
                jobs.evaluation,
                jobs.export,
            ],
            stream_consumer=router.handler,
            dead_letter_queues={
                "NotifyDlq": queue.dlq,
                "RouteFailureQueue": router.failure_queue,
                "SlaScheduleDlq": sla.dlq,
                "TallyFailureQueue": tally.failure_queue,
                "MonthlyJobsDlq": jobs.dlq,
            },
            notify_queue=queue.queue,
        )

        outputs = {
            c.OUTPUT_API_URL: (intake.api.url, "Base URL of the API (stage included)"),
            c.OUTPUT_REPORTS_TABLE: (data.reports.table_name, "Reports table"),
            c.OUTPUT_DIRECTORY_TABLE: (
                data.directory.table_name,
                "Directory table (load the directory here)",
            ),
            c.OUTPUT_IDEMPOTENCY_TABLE: (data.idempotency.table_name, "Idempotency records of POST /reports"),
            c.OUTPUT_NOTIFY_QUEUE: (queue.queue.queue_url, "Notify queue"),
            c.OUTPUT_NOTIFY_DLQ: (queue.dlq.queue_url, "Notify dead-letter queue (redrive after a fix)"),
            c.OUTPUT_ROUTE_FAILURES: (
                router.failure_queue.queue_url,
                "Reports-stream batches the router gave up on",
            ),
            c.OUTPUT_SLA_DLQ: (sla.dlq.queue_url, "SLA schedule invocations that could not be delivered"),
            c.OUTPUT_SLA_FUNCTION: (
                sla.handler.function.function_name,
                "sla_check function (operator re-runs)",
            ),
            c.OUTPUT_USER_POOL: (identity.user_pool.user_pool_id, "Officials' Cognito user pool"),
            c.OUTPUT_UPLOADS_BUCKET: (uploads.bucket.bucket_name, "Reporters' attachments (private)"),
            c.OUTPUT_AGGREGATES_TABLE: (data.aggregates.table_name, "Statistics and evaluation counters"),
            c.OUTPUT_DATA_BUCKET: (open_data.bucket.bucket_name, "Evaluations and open data"),
            c.OUTPUT_EVALUATION_FUNCTION: (
                jobs.evaluation.function.function_name,
                "Monthly evaluation function (ops evaluation)",
            ),
            c.OUTPUT_EXPORT_FUNCTION: (
                jobs.export.function.function_name,
                "Monthly open-data export function",
            ),
            c.OUTPUT_GLUE_DATABASE: (
                open_data.database_name,
                "Glue database of the open data (table: reports)",
            ),
            c.OUTPUT_ATHENA_WORKGROUP: (open_data.workgroup.name, "Athena workgroup for analysts"),
            c.OUTPUT_USER_POOL_CLIENT: (
                identity.client.user_pool_client_id,
                "Web app client of the user pool",
            ),
            c.OUTPUT_OPS_TOPIC: (
                observability.topic.topic_arn,
                "Alarm notifications (subscribe operators here)",
            ),
            c.OUTPUT_DASHBOARD: (observability.dashboard.dashboard_name, "CloudWatch dashboard"),
        }
        if sms_status.role is not None:
            outputs[c.OUTPUT_SMS_DELIVERY_ROLE] = (
                sms_status.role.role_arn,
                "Role SNS writes SMS delivery status with (set in the account's SMS settings by this stack)",
            )
        if config.snap_start:
            outputs[c.OUTPUT_API_ALIAS] = (intake.alias.function_arn, "API function alias (SnapStart)")
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
        if sender.identity is None:
            return  # an existing identity: its DKIM records were published when it was created
        for index in range(1, 4):
            name = getattr(sender.identity, f"dkim_dns_token_name{index}")
            value = getattr(sender.identity, f"dkim_dns_token_value{index}")
            CfnOutput(
                self,
                f"SesDkimRecord{index}",
                value=f"{name} CNAME {value}",
                description=f"DNS record {index}/3 that verifies the sender domain {config.sender_domain} for SES",
            )
