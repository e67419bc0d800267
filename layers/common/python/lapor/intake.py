"""Citizens' side: filing a report and the public views of reports and categories."""

from __future__ import annotations

from datetime import datetime

from lapor.directory import Directory
from lapor.errors import NotFound
from lapor.ids import hash_receipt, new_receipt, new_report_id, normalize_report_id
from lapor.lifecycle import Status
from lapor.models import (
    AgencyRef,
    CategoryView,
    Deadlines,
    PublicReport,
    PublicTimelineEntry,
    Report,
    Reporter,
    SubmitReportRequest,
    SubmitReportResponse,
    TimelineEvent,
)
from lapor.repository import ReportRepository
from lapor.workdays import WIB

SYSTEM = "system"
REPORTER_ACTOR = "reporter"


def submit_report(
    request: SubmitReportRequest, *, reports: ReportRepository, now: datetime
) -> SubmitReportResponse:
    """Store a new report with its ``received`` event; the router picks it up from the stream."""
    receipt = new_receipt()
    contact = request.reporter
    report = Report(
        id=new_report_id(),
        kind=request.kind,
        status=Status.RECEIVED,
        title=request.title,
        description=request.description,
        requested_category=request.category,
        region=request.region,
        location=request.location,
        occurred_on=request.occurred_on,
        anonymous=request.anonymous,
        confidential=request.confidential,
        language=request.language,
        reporter=Reporter(**contact.model_dump()) if contact and any(contact.model_dump().values()) else None,
        receipt_hash=hash_receipt(receipt),
        created_at=now,
        updated_at=now,
    )
    event = TimelineEvent(at=now, status=Status.RECEIVED, action="submit", actor=REPORTER_ACTOR, note=None)
    stored = reports.save(report, expected_version=None, events=[event])
    return SubmitReportResponse(id=stored.id, status=stored.status, created_at=_wib(now), receipt=receipt)


def public_report(report_id: str, *, reports: ReportRepository, directory: Directory) -> PublicReport:
    """The public tracking view: never the reporter's identity; no title/description if confidential."""
    canonical = normalize_report_id(report_id)
    found = reports.get_with_timeline(canonical) if canonical else None
    if found is None:
        raise NotFound(f"no report with tracking code {report_id!r}")
    report, events = found
    agency = directory.agencies_by_code.get(report.agency or "")
    return PublicReport(
        id=report.id,
        kind=report.kind,
        status=report.status,
        category=report.category,
        track=report.track,
        agency=AgencyRef(code=agency.code, name=agency.name) if agency else None,
        created_at=_wib(report.created_at),
        updated_at=_wib(report.updated_at),
        deadlines=Deadlines(**{name: _wib(value) for name, value in report.deadlines.model_dump().items()}),
        timeline=[
            PublicTimelineEntry(at=_wib(e.at), status=e.status, note=e.note) for e in events if e.public
        ],
        title=None if report.confidential else report.title,
        description=None if report.confidential else report.description,
    )


def list_categories(directory: Directory) -> list[CategoryView]:
    """Categories a reporter may choose, in directory order."""
    return [CategoryView(code=c.code, name=c.name, agency=c.agency) for c in directory.categories]


def _wib(instant: datetime | None) -> datetime | None:
    # Public times are shown in WIB with their offset, the way Indonesian readers expect them.
    return instant.astimezone(WIB) if instant is not None else None
