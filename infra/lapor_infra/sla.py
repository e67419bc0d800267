"""The SLA schedule: EventBridge Scheduler runs sla_check every few minutes."""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, Stack, TimeZone, aws_iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from constructs import Construct

from lapor.adapters.schema import DUE_INDEX, UNDELIVERED_INDEX
from lapor.app.calendar_check import CALENDAR_CHECK
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.nag import XRAY_REASON, acknowledge
from lapor_infra.notifications import NotifyQueue
from lapor_infra.queues import encrypted_queue


class SlaSchedule(Construct):
    """sla_check Queries the sparse ``due`` index (never Scans) and escalates what is overdue."""

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
        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.SLA_CHECK,
            layer=layer,
            config=config,
            environment={
                **pipeline_environment(config, data, notify_queue.queue.queue_url),
            },
        )
        role = self.handler.role
        # Due reports come from the index; each is re-read and escalated or auto-closed with a
        # conditional write, so a run that overlaps another never escalates twice. Escalation messages
        # ride in the report's outbox (the router relays them). The re-drive reads reports with
        # messages in doubt from the undelivered index and their sent markers (a Query of the
        # report's partition), then drops or updates the pending-messages item and re-enqueues
        # what never went out: the only messages sla_check sends to the queue itself.
        iam.table(
            role,
            data.reports,
            # DeleteItem: an auto-closed report's inbox entries change in the same transaction.
            ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"],
            query_indexes=[DUE_INDEX, UNDELIVERED_INDEX],
        )
        # Escalations change no official's open-report counter, so the directory is only read.
        iam.table(role, data.directory, ["GetItem"])
        iam.send_to(role, notify_queue.queue)
        iam.key(role, data.key, iam.KMS_SEND)
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        # A failed run is not retried by Lambda: the next scheduled run picks up the same due items.
        self.handler.function.configure_async_invoke(retry_attempts=0, max_event_age=Duration.minutes(5))

        self.dlq = encrypted_queue(self, "DeadLetterQueue", key=data.key)
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue is the SLA schedule's dead-letter queue: it receives invocations the "
            "scheduler could not deliver after its retries.",
        )
        # The scheduler's own role: invoke this one function, dead-letter to this one queue.
        self.scheduler_role = aws_iam.Role(
            self,
            "SchedulerRole",
            assumed_by=aws_iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description=f"Lapor {config.stage}: EventBridge Scheduler invokes sla_check",
        )
        iam.send_to(self.scheduler_role, self.dlq)
        iam.key(self.scheduler_role, data.key, iam.KMS_SEND)
        acknowledge(
            self.scheduler_role,
            f"AwsSolutions-IAM5[Resource::<{Stack.of(self).get_logical_id(_cfn(self.handler.function))}.Arn>:*]",
            "CDK's LambdaInvoke target grants lambda:InvokeFunction on the sla_check function and its "
            "versions/aliases (ARN:*); it is one function, and the schedule invokes its unqualified ARN.",
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"Lapor {config.stage}: SLA check every {config.sla_schedule_minutes} minutes",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(config.sla_schedule_minutes)),
            target=targets.LambdaInvoke(
                self.handler.function,
                input=scheduler.ScheduleTargetInput.from_object({}),
                retry_attempts=c.SLA_RETRY_ATTEMPTS,
                max_event_age=c.SLA_MAX_EVENT_AGE,
                dead_letter_queue=self.dlq,
                role=self.scheduler_role,
            ),
        )
        # Once a day the same function checks the holiday calendar instead: a metric that counts the
        # years (this one, and from 1 October the next) whose government joint-leave days
        # (cuti bersama) the calendar does not know yet; an alarm watches it.
        self.calendar_schedule = scheduler.Schedule(
            self,
            "CalendarCheck",
            description=f"Lapor {config.stage}: daily check that the holiday calendar knows the joint-leave days",
            schedule=scheduler.ScheduleExpression.cron(
                **c.CALENDAR_CHECK_CRON, time_zone=TimeZone.ASIA_JAKARTA
            ),
            target=targets.LambdaInvoke(
                self.handler.function,
                input=scheduler.ScheduleTargetInput.from_object({"check": CALENDAR_CHECK}),
                retry_attempts=c.SLA_RETRY_ATTEMPTS,
                max_event_age=Duration.hours(1),
                dead_letter_queue=self.dlq,
                role=self.scheduler_role,
            ),
        )


def _cfn(function: lambda_.Function) -> CfnResource:
    resource = function.node.default_child
    assert isinstance(resource, CfnResource)
    return resource
