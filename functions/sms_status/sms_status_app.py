"""Lambda entry for SMS delivery status: SNS's failure log lines, via a CloudWatch Logs subscription."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent

from lapor.app.sms_status import record_sms_failures
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first batch of a cold start."""
    return Services(Settings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record the failed deliveries of one batch of log lines; an exception has Lambda retry the batch."""
    svc = services()
    data = CloudWatchLogsEvent(event).parse_logs_data()
    summary = record_sms_failures(
        (log_event.message for log_event in data.log_events), reports=svc.reports, now=svc.clock()
    )
    result = {
        "recorded": len(summary.recorded),
        "unknown": summary.unknown,
        "already_recorded": summary.already_recorded,
        "ignored": summary.ignored,
    }
    logger.info("sms delivery status processed", **result)
    return result
