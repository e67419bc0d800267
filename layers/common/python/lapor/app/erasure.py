"""Erasure of one reporter's personal data on request (UU 27/2022, Pelindungan Data Pribadi).

For each of the reporter's reports: the name, email and phone are removed from the report; wherever
the reporter or an official typed them into a free text (title, description, timeline notes,
feedback comments, the messages still waiting to be confirmed) they are replaced by ``[…]``; the
reporter's attachments are deleted from the bucket; the contact's daily counters of new reports
are deleted. The report itself, its status history and its statistics stay: they are the agency's
record of a public service, and nothing left in them identifies the reporter. An internal timeline
entry records that the erasure was done (not what was erased).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from msgspec import Struct, field

from lapor.adapters.repository import ReportRepository
from lapor.adapters.uploads import UploadStore
from lapor.app.intake import CONTACT_KEY_PREFIX, SYSTEM
from lapor.domain.contacts import contact_key
from lapor.domain.messages import Notification
from lapor.domain.models import Report, TimelineEvent
from lapor.domain.redaction import for_public
from lapor.domain.workdays import WIB

ERASED_ACTION = "erased"


class ErasureSummary(Struct):
    """What one erasure changed."""

    reports: list[str] = field(default_factory=list)
    notes: int = 0  # timeline notes and queued messages rewritten
    attachments: int = 0  # files deleted from the bucket
    counters: int = 0  # daily contact counters deleted
    missing: list[str] = field(default_factory=list)  # tracking codes with no report


def erase_reporter(
    report_ids: Iterable[str],
    *,
    reports: ReportRepository,
    uploads: UploadStore | None,
    counters_table: str | None,
    now: datetime,
) -> ErasureSummary:
    """Erase the reporter's personal data from every report in ``report_ids`` (see the module's text)."""
    summary = ErasureSummary()
    contacts: set[str] = set()
    for report_id in dict.fromkeys(report_ids):
        found = reports.get(report_id)
        if found is None:
            summary.missing.append(report_id)
            continue
        if found.reporter:
            contacts |= {address for address in (found.reporter.email, found.reporter.phone) if address}
        _erase_report(found, reports=reports, uploads=uploads, now=now, summary=summary)
    if counters_table:
        for address in sorted(contacts):
            for day in range(3):  # the counters live two days; the WIB date may be a day ahead of UTC's
                date = (now - timedelta(days=day)).astimezone(WIB).date().isoformat()
                key = f"{CONTACT_KEY_PREFIX}{contact_key(address)}#{date}"
                summary.counters += reports.delete_record(counters_table, key)
    return summary


def _erase_report(
    report: Report,
    *,
    reports: ReportRepository,
    uploads: UploadStore | None,
    now: datetime,
    summary: ErasureSummary,
) -> None:
    redact = for_public(report)
    # Timeline notes and queued messages first: the report still names the reporter, so a crash
    # before the report's own write leaves the erasure to be run again with the same result.
    summary.notes += reports.rewrite_notes(report.id, redact)
    summary.notes += reports.rewrite_pending(report.id, lambda n: _clean_message(n, redact))
    if uploads is not None:
        for attachment in report.attachments:
            summary.attachments += uploads.delete_attachment(attachment.id)
    erased = report.model_copy(
        update={
            "reporter": None,
            "title": redact(report.title),
            "description": redact(report.description),
            "feedback": [
                entry.model_copy(update={"comment": redact(entry.comment) if entry.comment else None})
                for entry in report.feedback
            ],
            "attachments": [],
            # Open311's copies: the latest public note for lists, and the place and link as typed.
            "public_note": redact(report.public_note) if report.public_note else None,
            "address": redact(report.address) if report.address else None,
            "media_url": redact(report.media_url) if report.media_url else None,
            "updated_at": now,
        }
    )
    record = TimelineEvent(
        at=now,
        status=report.status,
        action=ERASED_ACTION,
        actor=SYSTEM,
        note="reporter's personal data erased on request",
        public=False,
    )
    reports.save(erased, expected_version=report.version, previous=report, events=[record])
    summary.reports.append(report.id)


def _clean_message(notification: Notification, redact: Callable[[str], str]) -> Notification:
    if not notification.note:
        return notification
    return notification.model_copy(update={"note": redact(notification.note)})
