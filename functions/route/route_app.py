"""Lambda entry for the router, on the reports table's stream (INSERTs, and MODIFYs with messages)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from lapor.adapters.repository import report_from_image
from lapor.app.route import process_change
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
    """One stream record; an exception fails only this record (partial batch response)."""
    svc = services()
    process_change(
        report_from_image(record.dynamodb.new_image),
        inserted=record.event_name == DynamoDBRecordEventName.INSERT,
        reports=svc.reports,
        directory=svc.directory(),
        queue=svc.notify_queue,
        now=svc.clock(),
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process a stream batch; failed records are reported back for retry (partial batch response)."""
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
