"""pydantic models: API input, stored domain objects and public output, kept apart on purpose."""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from lapor.domain.attachments import ALLOWED_TYPES, MAX_BYTES, MAX_PER_REPORT, UPLOAD_ID_PATTERN
from lapor.domain.catalogue import MESSAGES
from lapor.domain.contacts import is_valid_email, normalize_phone
from lapor.domain.directory import AgencyKind
from lapor.domain.freetext import TextRefused, clean_text
from lapor.domain.lifecycle import Status
from lapor.domain.messages import Notification
from lapor.domain.regions import normalize_region_code

# Built on first use instead of at import, for the API's request and answer models and those only
# some routes use: every function imports this module (the stream and queue functions for the stored
# models), and building validators a cold start never uses would slow each one.
BUILT_ON_FIRST_USE = ConfigDict(defer_build=True)
ON_FIRST_USE_STRICT = ConfigDict(extra="forbid", defer_build=True)


class ReportKind(StrEnum):
    """What the citizen is filing."""

    COMPLAINT = "complaint"
    ASPIRATION = "aspiration"
    INFORMATION_REQUEST = "information_request"


Language = Literal["id", "en"]

# BPS region codes: province "31", regency/city "31.71", district "31.71.01", village "31.71.01.1001".
REGION_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


def _refuse(message_id: str) -> PydanticCustomError:
    # The error's type is a message id of lapor.domain.catalogue: the API words it in the caller's
    # language. The English template is only what pydantic itself would print.
    return PydanticCustomError(message_id, MESSAGES[message_id]["en"].replace("{field}", "value"))


def _free_text(multiline: bool) -> Any:
    def check(value: str) -> str:
        try:
            return clean_text(value, multiline=multiline)
        except TextRefused as refused:
            raise _refuse(refused.message_id) from None

    return check


def _region_code(value: str) -> str:
    # Dotted (35.78) or as BPS also writes it (3578); stored dotted. Province codes run from 11 (Aceh)
    # to 96 (Papua Barat Daya). Whether Kemendagri lists the code is checked against the region list.
    dotted = normalize_region_code(value)
    if dotted is None or not _REGION_RE.match(dotted) or not 11 <= int(dotted[:2]) <= 96:
        raise _refuse("region_format")
    return dotted


def _category_code(value: str) -> str:
    if not _CODE_RE.match(value):
        raise _refuse("category_format")
    return value


def _email(value: str) -> str:
    if not is_valid_email(value):
        raise _refuse("email_invalid")
    return value.lower()


def _phone(value: str) -> str:
    normalized = normalize_phone(value)
    if normalized is None:
        raise _refuse("phone_invalid")
    return normalized


def _text(min_length: int, max_length: int, *, multiline: bool) -> Any:
    """A free-text field under the one policy of lapor.domain.freetext (errors from the catalogue)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_free_text(multiline)),
    ]


_REGION_RE = re.compile(REGION_PATTERN, re.ASCII)
_CODE_RE = re.compile(CODE_PATTERN)
RegionCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16), AfterValidator(_region_code)
]
CategoryCode = Annotated[str, StringConstraints(max_length=40), AfterValidator(_category_code)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
Title = _text(5, 200, multiline=False)
Description = _text(10, 5000, multiline=True)
Name = _text(1, 100, multiline=False)
Note = _text(1, 2000, multiline=True)
# An official's note and a reporter's comment may be empty (the action decides whether one is needed).
OptionalNote = _text(0, 2000, multiline=True)
FileName = _text(1, 255, multiline=False)


class Location(BaseModel):
    """Where it happened, in WGS84; Indonesia's bounding box with a margin."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-12.0, le=7.0)
    lon: float = Field(ge=94.0, le=142.0)

    @field_validator("lat", "lon")
    @classmethod
    def _centimetres(cls, value: float) -> float:
        # 7 decimals is about 1 cm. It also keeps the value storable: DynamoDB numbers have no
        # exponent below -130, and e.g. 5e-324 made the write raise decimal.Underflow (a 502).
        return round(value, 7)


class ReporterInput(BaseModel):
    """How to reach the reporter; stored, never shown publicly or logged."""

    model_config = ON_FIRST_USE_STRICT

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None


UploadId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=UPLOAD_ID_PATTERN)]


class UploadRequest(BaseModel):
    """Body of ``POST /uploads``: the file the reporter is about to attach."""

    model_config = ON_FIRST_USE_STRICT

    filename: FileName
    content_type: str = Field(description="image/jpeg, image/png or application/pdf; the bytes are checked")
    size: Annotated[int, Field(strict=True, ge=1, description="Bytes; at most 10 MB")]

    @field_validator("content_type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ALLOWED_TYPES:
            return value.strip().lower()
        raise _refuse("file_type")

    @field_validator("size")
    @classmethod
    def _at_most_10_mb(cls, value: int) -> int:
        if value > MAX_BYTES:
            raise PydanticCustomError("file_too_large", "file too large", {"max_mb": MAX_BYTES // 2**20})
        return value


class UploadTicket(BaseModel):
    """``POST /uploads`` answer: POST the file to ``url`` with ``fields`` (and the file last) before ``expires_at``."""

    model_config = BUILT_ON_FIRST_USE

    upload_id: str
    url: str
    fields: dict[str, str]
    expires_at: datetime


class SubmitReportRequest(BaseModel):
    """Body of ``POST /reports``."""

    model_config = ON_FIRST_USE_STRICT

    kind: ReportKind = ReportKind.COMPLAINT
    title: Title
    description: Description
    category: CategoryCode | None = None
    region: RegionCode | None = None
    location: Location | None = None
    occurred_on: date | None = None
    anonymous: StrictBool = False
    confidential: StrictBool = False
    language: Language = "id"
    reporter: ReporterInput | None = None
    attachments: Annotated[list[UploadId], Field(max_length=MAX_PER_REPORT)] = Field(
        default_factory=list, description="upload_id of each file from POST /uploads (at most 5)"
    )

    @field_validator("attachments")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise _refuse("upload_duplicate")
        return value

    @field_validator("occurred_on")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        # One day of slack: the reporter's clock may be a time zone ahead of the server's UTC date.
        if value is not None and value.toordinal() > date.today().toordinal() + 1:
            raise _refuse("date_future")
        if value is not None and value.year < 2000:
            raise _refuse("date_too_old")
        return value


class SubmitReportResponse(BaseModel):
    """``201`` answer to ``POST /reports``."""

    model_config = BUILT_ON_FIRST_USE

    id: str
    status: Status
    created_at: datetime
    receipt: str = Field(description="Secret the reporter needs to accept or reopen the answer.")


class Deadlines(BaseModel):
    """The report's pending deadlines; one that does not apply now is None."""

    verify_by: datetime | None = None
    follow_up_by: datetime | None = None
    resolve_by: datetime | None = None
    close_after: datetime | None = None


class Reporter(BaseModel):
    """Stored reporter contact (never in public output or logs)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = Field(
        default=None, description="The reporter's device, when an Open311 client sent one."
    )


class Feedback(BaseModel):
    """The reporter's verdict on the answer."""

    action: Literal["accept", "reopen"]
    rating: int | None = None
    comment: str | None = None
    at: datetime


class FollowUp(BaseModel):
    """One follow-up of a report: the first after verification, or the first after each reopen."""

    at: datetime
    hours: float = Field(description="Hours since the follow-up clock started (verification or reopen).")
    on_time: bool = Field(description="Within the follow-up deadline that was running.")


class Attachment(BaseModel):
    """A file attached to a report (its bytes are in the uploads bucket, never in the table)."""

    id: str
    filename: str
    content_type: str
    size: int


class Report(BaseModel):
    """A report as stored (the ``REPORT`` item of its partition)."""

    id: str
    kind: ReportKind
    status: Status
    title: str
    description: str
    requested_category: str | None = None
    category: str | None = None
    track: str | None = None
    agency: str | None = None
    assignee: str | None = None
    region: str | None = None
    location: Location | None = None
    occurred_on: date | None = None
    anonymous: bool = False
    confidential: bool = False
    language: Language = "id"
    reporter: Reporter | None = None
    receipt_hash: str
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None = None
    verified_at: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None
    followed_up_at: datetime | None = None
    verified_on_time: bool | None = None
    followed_up_on_time: bool | None = None
    follow_up_clock: datetime | None = Field(
        default=None, description="When the running follow-up deadline started (verification or reopen)."
    )
    follow_ups: list[FollowUp] = Field(
        default_factory=list, description="Every follow-up, each against the deadline it answered."
    )
    deadlines: Deadlines = Field(default_factory=Deadlines)
    escalations: list[str] = Field(
        default_factory=list, description="Escalation steps taken: stage:level@deadline."
    )
    escalated_to: list[str] = Field(
        default_factory=list,
        description="Officials (outside oversight agencies) an escalation was addressed to.",
    )
    escalated_agencies: list[str] = Field(
        default_factory=list, description="Oversight agencies (ORI, KSP) an escalation was addressed to."
    )
    copied_to: list[str] = Field(
        default_factory=list, description="Agencies that received a copy on dispatch (the track's cc)."
    )
    routing_seq: int = Field(default=0, description="How many times the report was routed (1 + forwards).")
    due_at: datetime | None = Field(default=None, description="Next SLA check; None when nothing is pending.")
    due_stage: str | None = None
    feedback: list[Feedback] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    address: str | None = Field(default=None, description="Where it happened, as the reporter wrote it.")
    media_url: str | None = Field(default=None, description="A link to media the reporter gave (Open311).")
    source: str | None = Field(
        default=None, description="Who filed it when not the reporter's own form: open311:<partner key id>."
    )
    public_note: str | None = Field(
        default=None, description="The note of the latest public timeline entry that has one (for lists)."
    )
    contact_muted: bool = Field(
        default=False,
        description="The reporter's contact had messages for 5 new reports that day: none are sent for this one.",
    )
    outbox: list[Notification] = Field(
        default_factory=list,
        description="Messages of the latest change; the stream relays them to the notify queue (transactional outbox).",
    )
    version: int = 0


class TimelineEvent(BaseModel):
    """One step in a report's history: who did what, when."""

    at: datetime
    status: Status
    action: str
    actor: str
    note: str | None = None
    agency: str | None = None
    public: bool = True
    recipients: list[str] = Field(
        default_factory=list, description="Officials a message or an assignment went to (internal entries)."
    )
    channel: str | None = Field(default=None, description="email|sms, for delivery entries.")
    message: str | None = Field(default=None, description="The notification event a delivery entry is about.")
    code: str | None = Field(default=None, description="The provider's reason, for undeliverable messages.")


class AgencyRef(BaseModel):
    """An agency as the public sees it."""

    code: str
    name: str


class RegionRef(BaseModel):
    """A region as reports show it: its code, its name and the names above it."""

    code: str
    name: str = Field(description="e.g. Kota Surabaya")
    full_name: str = Field(description="e.g. Kota Surabaya, Jawa Timur")


class PublicTimelineEntry(BaseModel):
    """A public timeline line: when, the status after it, what happened (``event``) and its note."""

    model_config = BUILT_ON_FIRST_USE

    at: datetime
    status: Status
    note: str | None = None
    event: str | None = Field(
        default=None,
        description="submit, route, forward, verify, respond, complete, reject, accept, reopen, auto_close "
        "or escalate (a missed deadline taken higher; without names)",
    )
    stage: str | None = Field(default=None, description="For escalate: verify, follow_up or resolve")
    level: int | None = Field(default=None, description="For escalate: 1 or 2")


class PublicReport(BaseModel):
    """``GET /reports/{id}``: no reporter identity or contact, ever; no title/description if confidential."""

    model_config = BUILT_ON_FIRST_USE

    id: str
    kind: ReportKind
    status: Status
    category: str | None
    track: str | None
    agency: AgencyRef | None
    created_at: datetime
    updated_at: datetime
    deadlines: Deadlines
    timeline: list[PublicTimelineEntry]
    title: str | None = Field(default=None, description="Absent when the report is confidential.")
    description: str | None = Field(default=None, description="Absent when the report is confidential.")
    region: RegionRef | None = Field(
        default=None,
        description="Where it happened, by name; null when none was given or the report is confidential.",
    )
    attachments_count: int = Field(default=0, description="Files attached; only officials can open them.")
    timeline_total: int = Field(
        default=0, description="Entries in the whole timeline; `timeline` holds at most the latest 100."
    )
    timeline_cursor: str | None = Field(
        default=None,
        description="Cursor for GET /reports/{id}/timeline to read the entries before `timeline`; null when "
        "`timeline` holds them all.",
    )

    @model_serializer(mode="wrap")
    def _omit_hidden_text(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation on purpose: pydantic then documents the model's own schema.
        # A confidential report's title and description are absent, not null, in the public view.
        data = handler(self)
        for key in ("title", "description"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class PublicTimelinePage(BaseModel):
    """``GET /reports/{id}/timeline``: a page of earlier public timeline entries, oldest first."""

    model_config = BUILT_ON_FIRST_USE

    id: str
    timeline: list[PublicTimelineEntry]
    timeline_total: int
    next_cursor: str | None = Field(description="The entries before this page; null at the start.")


class RegionView(BaseModel):
    """``GET /regions`` item: a province, regency/city or district from Kemendagri's codes."""

    model_config = BUILT_ON_FIRST_USE

    code: str = Field(description="Dotted Kemendagri code, e.g. 35.78")
    name: str
    level: Literal["province", "regency", "district"]
    parent: str | None = Field(description="Code of the region above; null for a province")
    full_name: str = Field(description="The name with the regions above it, e.g. Kota Surabaya, Jawa Timur")


class AttachmentView(BaseModel):
    """An attachment as an official sees it: a short-lived download URL once it has been cleaned."""

    model_config = BUILT_ON_FIRST_USE

    id: str
    filename: str
    content_type: str
    size: int
    status: Literal["ready", "processing", "unavailable"] = Field(
        description="ready: metadata stripped, downloadable; processing: not cleaned yet; unavailable: unreadable"
    )
    url: str | None = Field(default=None, description="Download URL, valid until expires_at")
    expires_at: datetime | None = None


class CategoryView(BaseModel):
    """``GET /categories`` item."""

    model_config = BUILT_ON_FIRST_USE

    code: str
    name: str
    agency: str | None


class ActionRequest(BaseModel):
    """Body of ``POST /reports/{id}/actions``."""

    model_config = ON_FIRST_USE_STRICT

    action: Literal["verify", "forward", "reject", "respond", "complete", "assign"]
    note: OptionalNote = ""
    to_agency: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        default=None, description="forward: the agency code to send the report to."
    )
    to_official: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="assign: an active liaison or admin of the report's agency."
    )


class FeedbackRequest(BaseModel):
    """Body of ``POST /reports/{id}/feedback``: the reporter accepts or reopens the answer."""

    model_config = ON_FIRST_USE_STRICT

    receipt: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    action: Literal["accept", "reopen"]
    rating: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    comment: OptionalNote | None = None


class ActionResult(BaseModel):
    """Answer to an official's action or a reporter's feedback."""

    model_config = BUILT_ON_FIRST_USE

    id: str
    status: Status
    updated_at: datetime
    deadlines: Deadlines


class StatsPercent(BaseModel):
    """Shares of the four LAPOR! buckets, summing to 100 (rejected excluded)."""

    model_config = BUILT_ON_FIRST_USE

    unverified: float | None
    not_followed_up: float | None
    in_process: float | None
    completed: float | None


class StatsFigures(BaseModel):
    """Follow-up figures of a group of reports: the four buckets, rejected, on-time shares, medians.

    Medians come from a histogram and are within 4.4 % of the exact median (see ``lapor.domain.tally``).
    """

    model_config = BUILT_ON_FIRST_USE  # and AgencyStats, KindStats

    total: int
    unverified: int
    not_followed_up: int
    in_process: int
    completed: int
    rejected: int
    percent: StatsPercent
    verified_on_time_pct: float | None
    followed_up_on_time_pct: float | None
    median_hours_to_verify: float | None
    median_hours_to_follow_up: float | None


class AgencyStats(StatsFigures):
    """One agency's follow-up figures for a month or a year."""

    agency: AgencyRef
    kind: AgencyKind | None = Field(description="The agency's group; null when it left the directory.")


class KindStats(StatsFigures):
    """The figures of every agency of one kind, together; ``percent`` is over that kind's reports."""

    kind: AgencyKind
    agencies: int = Field(description="How many agencies of this kind had reports in the period.")


class StatsView(BaseModel):
    """``GET /stats``."""

    model_config = BUILT_ON_FIRST_USE

    period: str
    agencies: list[AgencyStats]
    totals: StatsFigures = Field(description="The figures over every agency of the period.")
    by_kind: list[KindStats]


class FieldError(BaseModel):
    """One offending input field: its path, what is wrong in the request's language, and the message id."""

    field: str
    message: str
    code: str | None = Field(
        default=None, description="Message id in GET /messages (same words on the pages)."
    )


class ErrorBody(BaseModel):
    """Every 4xx answer: a message in the request's language, and the offending fields when input was at fault."""

    message: str
    errors: list[FieldError] = Field(default_factory=list)
    code: str | None = Field(default=None, description="Message id of `message` in GET /messages.")
