"""SMS that SNS accepted but the carrier did not deliver: found in SNS's delivery-status log.

SNS answers ``Publish`` before the carrier has the message, so a message priced above
``AWS.SNS.SMS.MaxPrice``, a blocked number or an unreachable phone fails later, and only SNS's
delivery-status log (``sns/<region>/<account>/DirectPublishToPhoneNumber/Failure``) says so. A
subscription filter hands those log lines to the sms_status function; each names SNS's message id,
which the notifier stored on the SMS's sent marker (the ``sms`` index), so the failure lands on the
report's timeline as an internal entry, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from msgspec import Struct, field

from lapor.adapters.channels import redact_contacts
from lapor.adapters.repository import ReportRepository
from lapor.app.notify import undeliverable_event, undeliverable_note
from lapor.observability import logger, metrics

# A carrier's reason is kept short on the timeline; the full line stays in the delivery-status log.
REASON_LENGTH = 120


class SmsStatusSummary(Struct):
    """What one batch of delivery-status lines did."""

    recorded: list[str] = field(default_factory=list)  # report ids whose timeline got the failure
    unknown: int = 0  # message ids no marker of this stack carries (another stage, or not Lapor's)
    already_recorded: int = 0  # a replayed line: the marker was failed before
    ignored: int = 0  # not a failure, or not a delivery-status line


def record_sms_failures(
    log_messages: Iterable[str], *, reports: ReportRepository, now: datetime
) -> SmsStatusSummary:
    """Record every failed delivery among SNS delivery-status log lines on its report's timeline."""
    summary = SmsStatusSummary()
    for line in log_messages:
        try:
            status = json.loads(line)
            message_id = str(status["notification"]["messageId"])
        except (ValueError, KeyError, TypeError):
            summary.ignored += 1
            continue
        if str(status.get("status", "")).upper() != "FAILURE":
            summary.ignored += 1
            continue
        found = reports.sms_delivery(message_id)
        if found is None:
            summary.unknown += 1
            logger.info("delivery status for an SMS this stack did not send", sns_message_id=message_id)
            continue
        report_id, delivery_id = found
        reason = redact_contacts(str((status.get("delivery") or {}).get("providerResponse") or "failed"))
        reason = reason[:REASON_LENGTH]
        if not reports.fail_sent_delivery(report_id, delivery_id, reason=reason, now=now):
            summary.already_recorded += 1
            continue
        report = reports.get(report_id, consistent=False)
        if report is None:
            continue
        notification_id = delivery_id.rsplit("#", 1)[0]
        parts = notification_id.split(":")  # report:event[:stage][:seq]:recipient (messages.py)
        reports.add_event(
            report_id,
            undeliverable_event(
                report,
                now,
                undeliverable_note(
                    recipient=parts[-1], event=parts[1], channel="sms", code=f"carrier: {reason}"
                ),
            ),
        )
        summary.recorded.append(report_id)
        logger.warning("sms not delivered by the carrier", report_id=report_id, sns_message_id=message_id)
    if summary.recorded:
        metrics.add_metric(name="SmsDeliveryFailures", unit="Count", value=len(summary.recorded))
    return summary
