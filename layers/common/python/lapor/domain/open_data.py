"""The anonymized open-data row of a report, and the columns analysts query with Athena.

No reporter data at all; title and description only of non-confidential reports, with the
reporter's contact details and name redacted; the region cut to its province (2 digits). The
columns are declared once here: the Parquet writer and the Glue table in CDK both read them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lapor.domain.directory import Directory
from lapor.domain.lifecycle import public_bucket
from lapor.domain.models import Report
from lapor.domain.redaction import for_public
from lapor.domain.tally import UNKNOWN, province_of

# (name, type, what it holds); types are Athena/Glue's: string, timestamp, boolean, int.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("created_at", "timestamp", "when the report was filed (UTC)"),
    ("updated_at", "timestamp", "its last change (UTC)"),
    ("dispatched_at", "timestamp", "routed to its current agency"),
    ("verified_at", "timestamp", "verified by its current agency"),
    ("followed_up_at", "timestamp", "first follow-up after verification"),
    ("completed_at", "timestamp", "completed (null after a reopen until completed again)"),
    ("closed_at", "timestamp", "closed by the reporter or automatically"),
    ("kind", "string", "complaint, aspiration or information_request"),
    ("status", "string", "received ... closed, or rejected"),
    (
        "bucket",
        "string",
        "LAPOR! bucket: unverified, not_followed_up, in_process, completed (null if rejected)",
    ),
    ("agency", "string", "code of the agency handling it"),
    ("agency_kind", "string", "kementerian, lembaga, pemda or bumn"),
    ("category", "string", "category code"),
    ("track", "string", "standard or covid19"),
    ("province", "string", "BPS province code (2 digits)"),
    ("confidential", "boolean", "title and description withheld"),
    ("title", "string", "redacted title (null if confidential)"),
    ("description", "string", "redacted description (null if confidential)"),
    ("verified_on_time", "boolean", "verified within the deadline"),
    ("followed_up_on_time", "boolean", "first follow-up within the deadline"),
    ("follow_ups", "int", "follow-ups, including those after reopens"),
    ("follow_ups_on_time", "int", "of which within their deadline"),
    ("escalation_level", "int", "highest escalation level reached (0, 1 or 2)"),
    ("escalations", "int", "escalation steps taken (verify and follow-up)"),
    ("resolve_missed", "boolean", "the resolution deadline passed unresolved"),
    ("reopened", "int", "times the reporter reopened the answer"),
    ("rating", "int", "the reporter's last rating, 1-5"),
)


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant is not None else None


def open_data_row(report: Report, directory: Directory) -> dict[str, Any]:
    """The report as one anonymized row, keyed by ``COLUMNS``' names."""
    redact = for_public(report)
    # Escalation steps are "stage:level@deadline"; the resolve step is the Ombudsman's, not a level.
    levels = [
        int(step.split("@", 1)[0].rsplit(":", 1)[1])
        for step in report.escalations
        if not step.startswith("resolve")
    ]
    ratings = [f.rating for f in report.feedback if f.rating is not None]
    kind = directory.agency_kind(report.agency)
    province = province_of(report.region)
    return {
        "created_at": _utc(report.created_at),
        "updated_at": _utc(report.updated_at),
        "dispatched_at": _utc(report.dispatched_at),
        "verified_at": _utc(report.verified_at),
        "followed_up_at": _utc(report.followed_up_at),
        "completed_at": _utc(report.completed_at),
        "closed_at": _utc(report.closed_at),
        "kind": report.kind.value,
        "status": report.status.value,
        "bucket": public_bucket(report.status),
        "agency": report.agency,
        "agency_kind": kind.value if kind else None,
        "category": report.category,
        "track": report.track,
        "province": None if province == UNKNOWN else province,
        "confidential": report.confidential,
        "title": None if report.confidential else redact(report.title),
        "description": None if report.confidential else redact(report.description),
        "verified_on_time": report.verified_on_time,
        "followed_up_on_time": report.followed_up_on_time,
        "follow_ups": len(report.follow_ups),
        "follow_ups_on_time": sum(1 for f in report.follow_ups if f.on_time),
        "escalation_level": max(levels, default=0),
        "escalations": len(levels),
        "resolve_missed": any(step.startswith("resolve") for step in report.escalations),
        "reopened": sum(1 for f in report.feedback if f.action == "reopen"),
        "rating": ratings[-1] if ratings else None,
    }
