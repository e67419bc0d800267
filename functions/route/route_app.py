"""Lambda entry for the router, on the reports table's stream.

INSERTs of reports are dispatched to the competent official; MODIFYs that carry messages in the
report's outbox are relayed to the notify queue (the transactional outbox: a change and its
messages are one write, and the stream delivers it at least once).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from lapor.adapters.repository import report_from_image
from lapor.app.dispatch import dispatch_report
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings

# A batch whose records all failed is reported item by item, not raised: the poller retries exactly those.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first batch of a cold start."""
    return Services(Settings.from_env())


def handle_record(record: DynamoDBRecord) -> None:
    """Dispatch an inserted report or relay a change's messages; an exception fails only this record."""
    svc = services()
    report = report_from_image(record.dynamodb.new_image)
    if record.event_name == DynamoDBRecordEventName.INSERT:
        result = dispatch_report(report, reports=svc.reports, directory=svc.directory(), now=svc.clock())
        if result.routed_now:
            latency = (result.report.dispatched_at - report.created_at).total_seconds()
            logger.info(
                "report dispatched",
                report_id=report.id,
                agency=result.report.agency,
                assignee=result.report.assignee,
                track=result.report.track,
                seconds_since_submit=round(latency, 3),
            )
            metrics.add_metric(name="ReportsDispatched", unit="Count", value=1)
            metrics.add_metric(name="DispatchLatency", unit="Seconds", value=latency)
        else:
            logger.info("report already dispatched", report_id=report.id)
    elif report.outbox:
        svc.notify_queue.send(report.outbox)
        logger.info("messages relayed", report_id=report.id, version=report.version, count=len(report.outbox))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process a stream batch; failed records are reported back for retry (partial batch response)."""
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
