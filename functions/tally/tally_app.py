"""Lambda entry for the tally, on the reports table's stream (every INSERT and MODIFY of a report item)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from lapor.adapters.repository import report_from_image
from lapor.app.tally import count_change
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first batch of a cold start."""
    return Services(Settings.from_env())


def handle_record(record: DynamoDBRecord) -> None:
    """One change of a report; an exception fails only this record (partial batch response)."""
    old_image = record.dynamodb.old_image
    new = report_from_image(record.dynamodb.new_image)
    counted = count_change(
        report_from_image(old_image) if old_image else None, new, store=services().aggregates
    )
    if not counted:
        logger.info("change already counted", report_id=new.id, version=new.version)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Count a stream batch; failed records are reported back for retry (partial batch response)."""
    # One processor per invocation, as in the notifier: the local stack may run batches side by side.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
