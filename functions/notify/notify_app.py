"""Lambda entry for the notifier: notify-queue batches, each message sent exactly once."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lapor.adapters.outbox import DEFERRALS_ATTRIBUTE
from lapor.app.notify import process_queued
from lapor.domain.messages import Notification
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first batch of a cold start."""
    return Services(Settings.from_env())


def notify_record(record: SQSRecord) -> None:
    """One queued notification; a transient failure fails only this record, which returns after a backoff."""
    svc = services()
    notification = Notification.model_validate_json(record.body)
    attributes = record.message_attributes  # its .get() returns raw dicts; indexing wraps them
    process_queued(
        notification,
        receives=int(record.attributes.approximate_receive_count or 1),
        deferrals=int(attributes[DEFERRALS_ATTRIBUTE].string_value or 0)
        if DEFERRALS_ATTRIBUTE in attributes
        else 0,
        postpone=lambda seconds: svc.notify_queue.delay(record.receipt_handle, seconds),
        requeue=lambda seconds, count: svc.notify_queue.requeue(
            notification, delay_seconds=seconds, deferrals=count
        ),
        channels=svc.channels,
        reports=svc.reports,
        directory=svc.directory(),
        now=svc.clock(),
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process an SQS batch; failed messages are reported back and reappear after their backoff."""
    # One processor per invocation: it holds the batch's results, and the local stack runs several
    # batches at once, as Lambda's SQS integration does. A fully failed batch is still reported
    # item by item (with their backoff), not as an invocation error.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=notify_record, processor=processor, context=context
    )
