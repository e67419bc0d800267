"""Lambda entry for the notifier: notify-queue batches, each message sent exactly once."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lapor.adapters.channels import SesEmailSender, SnsSmsSender
from lapor.app.notify import DeliveryDeferred, deliver
from lapor.domain.messages import Notification
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first batch of a cold start."""
    return Services(Settings.from_env())


@lru_cache(maxsize=1)
def senders() -> tuple[SesEmailSender, SnsSmsSender]:
    """The SES and SNS adapters for this deployment."""
    settings = services().settings
    if not settings.sender_email:
        raise RuntimeError("LAPOR_SENDER_EMAIL is required by the notify function")
    return (
        SesEmailSender(settings.sender_email, configuration_set=settings.ses_configuration_set),
        SnsSmsSender(max_price=settings.sms_max_price, sender_id=settings.sms_sender_id),
    )


def notify_record(record: SQSRecord) -> None:
    """Deliver one queued notification; a transient failure fails only this record, with backoff."""
    svc = services()
    notification = Notification.model_validate_json(record.body)
    email, sms = senders()
    try:
        outcome = deliver(
            notification,
            reports=svc.reports,
            directory=svc.directory(),
            email=email,
            sms=sms,
            sms_enabled=svc.settings.sms_enabled,
            public_url=svc.settings.public_url,
            now=svc.clock(),
        )
    except DeliveryDeferred as deferred:
        receives = int(record.attributes.approximate_receive_count or 1)
        svc.notify_queue.delay(record.receipt_handle, max(backoff_seconds(receives), deferred.retry_after))
        metrics.add_metric(name="NotificationsDeferred", unit="Count", value=1)
        logger.warning("notification deferred", notification_id=notification.id, receives=receives)
        raise
    metrics.add_metric(name="NotificationsSent", unit="Count", value=len(outcome.sent))
    if outcome.failed:
        metrics.add_metric(name="NotificationsFailed", unit="Count", value=len(outcome.failed))
    logger.info(
        "notification processed",
        notification_id=notification.id,
        sent=outcome.sent,
        duplicate=outcome.skipped,
        failed=outcome.failed,
    )


def backoff_seconds(receives: int) -> int:
    """Exponential backoff for a message that failed ``receives`` times: 2, 4, 8 … capped at 5 minutes."""
    return min(2**receives, 300)


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
