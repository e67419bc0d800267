"""The router: reports-table stream (INSERTs of report items only) -> route function."""

from __future__ import annotations

import jsii
from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lapor.adapters.repository import REPORT_SK
from lapor_infra import constants as c
from lapor_infra import iam
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction, pipeline_environment
from lapor_infra.nag import XRAY_REASON, acknowledge
from lapor_infra.notifications import NotifyQueue
from lapor_infra.queues import encrypted_queue

# The router wakes for report items only (never timeline events ``EVENT#...`` or sent markers): an
# INSERT is a new report to dispatch; a MODIFY flagged ``has_outbox`` carries messages to relay to the
# notify queue (transactional outbox). Lambda ORs the patterns. local/pollers.py mirrors them.
STREAM_FILTERS = (
    {
        "eventName": lambda_.FilterRule.is_equal("INSERT"),
        "dynamodb": {"NewImage": {"sk": {"S": lambda_.FilterRule.is_equal(REPORT_SK)}}},
    },
    {
        "eventName": lambda_.FilterRule.is_equal("MODIFY"),
        "dynamodb": {
            "NewImage": {
                "sk": {"S": lambda_.FilterRule.is_equal(REPORT_SK)},
                c.OUTBOX_FLAG: {"S": lambda_.FilterRule.is_equal(c.OUTBOX_FLAG_VALUE)},
            }
        },
    },
)


@jsii.implements(lambda_.IEventSourceDlq)
class QueueOnFailure:
    """On-failure destination that, unlike ``SqsDlq``, leaves the grant to the caller.

    ``SqsDlq`` grants ``queue.grantSendMessages`` (with ``kms:ReEncrypt*``/``kms:GenerateDataKey*``);
    the router's role gets exactly ``sqs:SendMessage`` + ``kms:GenerateDataKey``/``kms:Decrypt`` instead.
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, _target: lambda_.IEventSourceMapping, _handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self._queue.queue_arn)


def read_reports_stream(
    scope: Construct,
    handler: LaporFunction,
    data: Data,
    failure_queue: sqs.IQueue,
    *,
    filters: tuple[dict[str, object], ...],
    batch_size: int,
    retry_attempts: int,
    max_record_age: Duration,
    parallelization: int = 1,
    batching_window: Duration | None = None,
) -> lambda_.EventSourceMapping:
    """A consumer of the reports stream: its read grants, filtered mapping with partial batch
    failures and bisection, and the on-failure queue for records it gives up on."""
    role = handler.role
    stream_arn = data.reports.table_stream_arn
    assert stream_arn is not None, "the reports table must have a stream"
    iam.allow(
        role,
        ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        [stream_arn],
    )
    iam.allow(role, ["dynamodb:ListStreams"], ["*"])
    iam.send_to(role, failure_queue)
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "dynamodb:ListStreams supports no resource-level permissions and Lambda's stream poller "
        "needs it; " + XRAY_REASON,
    )
    mapping = lambda_.EventSourceMapping(
        scope,
        "ReportsStream",
        target=handler.function,
        event_source_arn=stream_arn,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        batch_size=batch_size,
        max_batching_window=batching_window,
        parallelization_factor=parallelization,
        bisect_batch_on_error=True,
        retry_attempts=retry_attempts,
        max_record_age=max_record_age,
        report_batch_item_failures=True,
        filters=[lambda_.FilterCriteria.filter(pattern) for pattern in filters],
        on_failure=QueueOnFailure(failure_queue),
    )
    # Lambda checks the role's stream permissions when it creates the mapping.
    mapping.node.add_dependency(role)
    return mapping


class Router(Construct):
    """Route function fed by the reports stream, with bisecting retries and a failure queue.

    It dispatches new reports and relays the messages of changed ones to the notify queue.
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
        self.failure_queue = encrypted_queue(self, "FailureQueue", key=data.key)
        acknowledge(
            self.failure_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the on-failure destination of the reports-stream event source mapping: "
            "it receives the metadata of stream batches the router gave up on.",
        )
        self.handler = LaporFunction(
            self,
            "Function",
            spec=c.ROUTE,
            layer=layer,
            config=config,
            environment={
                **pipeline_environment(config, data, notify_queue.queue.queue_url),
            },
        )
        role = self.handler.role
        # Dispatch: read the agency's open-report counters (a Query) and the directory document, then
        # write the report, its timeline event and the official's counter in one transaction
        # (TransactWriteItems is authorised by the per-item PutItem/UpdateItem).
        # The stream record carries the report, so it is never read back; the transaction Puts the
        # report and its event and Updates the official's counter in the directory table.
        iam.table(role, data.reports, ["PutItem", "UpdateItem"])
        iam.table(role, data.directory, ["GetItem", "Query", "UpdateItem"])
        iam.key(role, data.key, iam.KMS_SEND)
        iam.send_to(role, notify_queue.queue)
        self.mapping = read_reports_stream(
            self,
            self.handler,
            data,
            self.failure_queue,
            filters=STREAM_FILTERS,
            batch_size=c.ROUTE_BATCH_SIZE,
            parallelization=c.ROUTE_PARALLELIZATION,
            retry_attempts=c.ROUTE_RETRY_ATTEMPTS,
            max_record_age=c.ROUTE_MAX_RECORD_AGE,
        )
