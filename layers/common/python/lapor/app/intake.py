"""Citizens' side: filing a report and the public views of reports and categories."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from msgspec import Struct

from lapor.adapters.repository import (
    ContactLimitReached,
    ContactQuota,
    IdempotencyRecord,
    KeyAlreadyUsed,
    ReportRepository,
)
from lapor.adapters.uploads import UploadStore
from lapor.app.attachments import attach, check_uploads
from lapor.app.regions import known_region, region_ref
from lapor.domain.catalogue import render
from lapor.domain.contacts import contact_key
from lapor.domain.directory import Directory
from lapor.domain.errors import Conflict, InvalidInput, NotFound, ServiceNotReady
from lapor.domain.ids import derived_receipt, hash_receipt, new_receipt, new_report_id, normalize_report_id
from lapor.domain.lifecycle import Status
from lapor.domain.models import (
    AgencyRef,
    CategoryView,
    Deadlines,
    PublicReport,
    PublicTimelineEntry,
    PublicTimelinePage,
    Report,
    Reporter,
    SubmitReportRequest,
    SubmitReportResponse,
    TimelineEvent,
)
from lapor.domain.redaction import for_public
from lapor.domain.regions import RegionIndex
from lapor.domain.timeline import MIN_PAGE_BYTES, VIEW_BYTES, json_size, latest_page
from lapor.domain.workdays import WIB

SYSTEM = "system"
REPORTER_ACTOR = "reporter"
SUBMIT_KEY_PREFIX = "report#"
CONTACT_KEY_PREFIX = "contact#"
# A contact gets messages for at most this many new reports a WIB day (no relay, no SMS drain).
DAILY_REPORTS_PER_CONTACT = 5
CONTACT_COUNTER_SECONDS = 2 * 86_400


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SubmitAttempt(Struct, frozen=True):
    """A submission's Idempotency-Key, the request body it came with, and the deployment's receipt secret."""

    table: str  # the idempotency table
    key: str  # the client's Idempotency-Key header
    payload: Any  # the decoded JSON body, compared on a retry
    ttl_seconds: int
    secret: bytes  # receipts of keyed submissions are derived from it and the raw key

    def receipt(self, report_id: str) -> str:
        """The receipt of the report this attempt files: the same on every retry, stored nowhere."""
        return derived_receipt(self.secret, self.key, report_id)

    @property
    def record_key(self) -> str:
        """The stored key: prefixed, and hashed so the client's header is never stored as sent."""
        return SUBMIT_KEY_PREFIX + _sha256(self.key)

    @property
    def payload_hash(self) -> str:
        return _sha256(json.dumps(self.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False))

    def record(self, response: SubmitReportResponse, now: datetime) -> IdempotencyRecord:
        """The record written with the report: a retry within ``ttl_seconds`` gets ``response`` again.

        The receipt is left out (secrets are stored only as hashes): a retry derives it again.
        """
        return IdempotencyRecord(
            table=self.table,
            key=self.record_key,
            payload_hash=self.payload_hash,
            response=response.model_dump_json(exclude={"receipt"}),
            expires_at=int(now.timestamp()) + self.ttl_seconds,
        )


class Origin(Struct, frozen=True):
    """What a report filed on a reporter's behalf carries beyond the request (an Open311 partner)."""

    source: str  # e.g. open311:<partner key id>
    address: str | None = None
    media_url: str | None = None
    device_id: str | None = None


def submit_report(
    request: SubmitReportRequest,
    *,
    reports: ReportRepository,
    regions: RegionIndex,
    now: datetime,
    attempt: SubmitAttempt | None = None,
    uploads: UploadStore | None = None,
    origin: Origin | None = None,
    quota_table: str | None = None,
) -> SubmitReportResponse:
    """Store a new report with its ``received`` event; the router picks it up from the stream.

    With an ``attempt`` (an Idempotency-Key) the key's record is written in the same transaction:
    a retry with the same body gets the first answer and stores nothing; the same key with another
    body is refused. One request to DynamoDB either way for a new key. A region Kemendagri does not
    list is refused naming ``region``; each attachment must be an upload of an allowed type by its bytes
    (``attachments.N`` names the one that is not). With ``quota_table``, the reporter's contact is
    counted: past DAILY_REPORTS_PER_CONTACT new reports that WIB day the report is filed all the same,
    sends nothing to the contact, and says so on its timeline.
    """
    region = known_region(request.region, regions) if request.region else None
    attachments = []
    if request.attachments:
        if uploads is None:
            raise ServiceNotReady("uploads bucket not configured")
        attachments = check_uploads(request.attachments, store=uploads)
    report_id = new_report_id()
    receipt = attempt.receipt(report_id) if attempt else new_receipt()
    contact = request.reporter
    reporter = Reporter(**contact.model_dump()) if contact and any(contact.model_dump().values()) else None
    if origin is not None and origin.device_id:
        reporter = (reporter or Reporter()).model_copy(update={"device_id": origin.device_id})
    report = Report(
        id=report_id,
        kind=request.kind,
        status=Status.RECEIVED,
        title=request.title,
        description=request.description,
        requested_category=request.category,
        region=region,
        location=request.location,
        occurred_on=request.occurred_on,
        anonymous=request.anonymous,
        confidential=request.confidential,
        language=request.language,
        reporter=reporter,
        receipt_hash=hash_receipt(receipt),
        created_at=now,
        updated_at=now,
        attachments=attachments,
        address=origin.address if origin else None,
        media_url=origin.media_url if origin else None,
        source=origin.source if origin else None,
    )
    if uploads is not None and attachments:
        # Before the report is saved: a crash in between leaves kept files, never a report without them.
        attach(report.id, attachments, store=uploads)
    event = TimelineEvent(at=now, status=Status.RECEIVED, action="submit", actor=REPORTER_ACTOR, note=None)
    response = SubmitReportResponse(id=report.id, status=report.status, created_at=_wib(now), receipt=receipt)
    record = attempt.record(response, now) if attempt else None
    quota = _contact_quota(report, quota_table, now) if quota_table else None
    try:
        try:
            reports.save(
                report, expected_version=None, events=[event], idempotency=record, contact_quota=quota
            )
        except ContactLimitReached:
            skipped = TimelineEvent(
                at=now,
                status=Status.RECEIVED,
                action="messages_skipped",
                actor=SYSTEM,
                note=render("messages_skipped", report.language, max=DAILY_REPORTS_PER_CONTACT),
            )
            muted = report.model_copy(update={"contact_muted": True})
            reports.save(muted, expected_version=None, events=[event, skipped], idempotency=record)
    except KeyAlreadyUsed:
        assert attempt is not None  # only a keyed save raises it
        return _first_answer(attempt, reports)
    return response


def _contact_quota(report: Report, table: str, now: datetime) -> ContactQuota | None:
    """The daily counter of the address the reporter's messages go to (email first, else phone)."""
    contact = report.reporter
    address = (contact.email or contact.phone) if contact else None
    if not address:
        return None
    day = now.astimezone(WIB).date().isoformat()
    return ContactQuota(
        table=table,
        key=f"{CONTACT_KEY_PREFIX}{contact_key(address)}#{day}",
        limit=DAILY_REPORTS_PER_CONTACT,
        expires_at=int(now.timestamp()) + CONTACT_COUNTER_SECONDS,
    )


def _first_answer(attempt: SubmitAttempt, reports: ReportRepository) -> SubmitReportResponse:
    stored = reports.idempotency_record(attempt.table, attempt.record_key)
    if stored is None or "data" not in stored:
        # The record expired and was removed between the write and this read: the client retries.
        raise Conflict("idempotency_in_progress")
    if stored.get("validation") != attempt.payload_hash:
        raise InvalidInput("Idempotency-Key", "idempotency_reused")
    first = json.loads(stored["data"])
    return SubmitReportResponse.model_validate(first | {"receipt": attempt.receipt(first["id"])})


def public_report(
    report_id: str, *, reports: ReportRepository, directory: Directory, regions: RegionIndex
) -> PublicReport:
    """The public tracking view: never the reporter's identity; no title/description if confidential.

    Every free text is redacted of the reporter's name and contact; the timeline holds the latest
    entries that fit (at most 100, the view under 64 KB), with the total and a cursor to the rest.
    """
    report, entries = _public_history(report_id, reports)
    redact = for_public(report)
    view = PublicReport(
        **shared_view(report, directory),
        timeline=[],
        title=None if report.confidential else redact(report.title),
        description=None if report.confidential else redact(report.description),
        region=None if report.confidential else region_ref(report.region, regions),
    )
    budget = max(VIEW_BYTES - json_size(view.model_dump(mode="json")), MIN_PAGE_BYTES)
    page = latest_page(entries, cursor=None, size_of=_entry_size, budget=budget)
    return view.model_copy(
        update={"timeline": page.entries, "timeline_total": page.total, "timeline_cursor": page.next_cursor}
    )


def public_timeline(report_id: str, cursor: str | None, *, reports: ReportRepository) -> PublicTimelinePage:
    """A page of a report's public timeline before ``cursor`` (the latest page without one)."""
    report, entries = _public_history(report_id, reports)
    page = latest_page(entries, cursor=cursor, size_of=_entry_size, budget=VIEW_BYTES)
    return PublicTimelinePage(
        id=report.id, timeline=page.entries, timeline_total=page.total, next_cursor=page.next_cursor
    )


def _public_history(report_id: str, reports: ReportRepository) -> tuple[Report, list[PublicTimelineEntry]]:
    canonical = normalize_report_id(report_id)
    found = reports.get_with_timeline(canonical) if canonical else None
    if found is None:
        raise NotFound("report_not_found", code=report_id)
    report, events = found
    redact = for_public(report)
    return report, [entry for event in events if (entry := _public_entry(event, redact)) is not None]


def _entry_size(entry: PublicTimelineEntry) -> int:
    return json_size(entry.model_dump(mode="json")) + 1  # and its comma


def shared_view(report: Report, directory: Directory) -> dict[str, Any]:
    """The fields the public and the official views share: identity, state, agency, times in WIB."""
    agency = directory.agencies_by_code.get(report.agency or "")
    return {
        "id": report.id,
        "kind": report.kind,
        "status": report.status,
        "category": report.category,
        "track": report.track,
        "agency": AgencyRef(code=agency.code, name=agency.name) if agency else None,
        "created_at": _wib(report.created_at),
        "updated_at": _wib(report.updated_at),
        "deadlines": Deadlines(
            **{name: _wib(value) for name, value in report.deadlines.model_dump().items()}
        ),
        "attachments_count": len(report.attachments),
    }


ESCALATION_PREFIX = "escalate_"


def _public_entry(event: TimelineEvent, redact: Callable[[str], str]) -> PublicTimelineEntry | None:
    """A public line for a public event, its note redacted; an escalation (an internal event, with its
    recipients) shows publicly as the stage and level alone, without any name or note."""
    if event.public:
        return PublicTimelineEntry(
            at=_wib(event.at),
            status=event.status,
            note=redact(event.note) if event.note else None,
            event=event.action,
        )
    if event.action.startswith(ESCALATION_PREFIX):
        stage, _, level = event.action.removeprefix(ESCALATION_PREFIX).rpartition("_")
        return PublicTimelineEntry(
            at=_wib(event.at),
            status=event.status,
            event="escalate",
            stage=stage or None,
            level=int(level) if level.isdigit() else None,
        )
    return None


def list_categories(directory: Directory) -> list[CategoryView]:
    """Categories a reporter may choose, in directory order."""
    return [CategoryView(code=c.code, name=c.name, agency=c.agency) for c in directory.categories]


def _wib(instant: datetime | None) -> datetime | None:
    # Public times are shown in WIB with their offset, the way Indonesian readers expect them.
    return instant.astimezone(WIB) if instant is not None else None
