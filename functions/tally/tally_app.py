"""Lambda entry for the tally, on the reports table's stream (every INSERT and MODIFY of a report item)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from lapor.adapters.repository import report_from_image
from lapor.app.tally import CountFailed, count_changes
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
    """Count a stream batch in order; the first change that fails and all after it are reported back.

    Unlike the router, the tally counts a batch's changes together (several reports per
    transaction), so it answers the partial batch response itself: Lambda resumes a stream at the
    lowest failed sequence number, which is what counting in order needs.
    """
    records = list(DynamoDBStreamEvent(event).records)
    changes = []
    failed_from = len(records)
    for index, record in enumerate(records):
        try:
            old_image = record.dynamodb.old_image
            old = report_from_image(old_image) if old_image else None
            changes.append((old, report_from_image(record.dynamodb.new_image)))
        except Exception:  # noqa: BLE001 - a malformed image fails from this record on, never the shard
            logger.exception("unreadable stream record", sequence=record.dynamodb.sequence_number)
            failed_from = index
            break
    try:
        counted = count_changes(changes, store=services().aggregates)
    except CountFailed as failure:
        logger.exception("counting failed", sequence=records[failure.index].dynamodb.sequence_number)
        failed_from = min(failed_from, failure.index)
        counted = None
    logger.info("changes counted", records=len(records), counted=counted)
    return {
        "batchItemFailures": [
            {"itemIdentifier": record.dynamodb.sequence_number} for record in records[failed_from:]
        ]
    }
