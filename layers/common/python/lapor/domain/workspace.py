"""What officials read: the official view of a report, inbox pages and counts, who they are.

Kept apart from ``lapor.domain.models`` (the citizens' side and stored objects): these models are
only ever answered to an authenticated official who may read what they carry.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from lapor.domain.lifecycle import Status
from lapor.domain.models import BUILT_ON_FIRST_USE, AgencyRef, Deadlines, Location, ReportKind

Stage = Literal["verify", "follow_up", "resolve"]


class OfficialsModel(BaseModel):
    """A model only officials' requests use, built on its first use rather than at import.

    Every cold start of the API imports this module, but most of them serve citizens: building
    these models' validators at import would cost each of those starts for nothing.
    """

    model_config = BUILT_ON_FIRST_USE


class ReporterContact(OfficialsModel):
    """The reporter's contact as the officials who may know it see it."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class OfficialRef(OfficialsModel):
    """An official by id and name (name null when the directory no longer lists them)."""

    id: str
    name: str | None


class ActorView(OfficialsModel):
    """Who did something: an official, or the reporter (role ``reporter``)."""

    id: str
    name: str | None
    role: str = Field(description="liaison | admin | supervisor | national_admin | reporter")


class OfficialRegion(OfficialsModel):
    """The report's region code and names (null when the region list does not know the code)."""

    code: str
    name: str | None
    full_name: str | None


class DeliveryView(OfficialsModel):
    """A message to someone about the report: channel, recipient, why, and whether it went out."""

    channel: Literal["email", "sms"]
    recipient: OfficialRef | None = Field(description="Null when the message went to the reporter.")
    message: str = Field(description="The notification event, e.g. assigned, escalation_1, status.")
    state: Literal["sent", "failed", "sending"]
    code: str | None = Field(default=None, description="The provider's reason when undeliverable.")


class NextDeadline(OfficialsModel):
    """The deadline the officials work against now."""

    stage: Stage
    at: datetime


class OfficialTimelineEntry(OfficialsModel):
    """One line of the full history: public steps and internal ones (assignments, escalations, messages)."""

    at: datetime
    status: Status
    action: str = Field(
        description="submit, route, verify, forward, assign, reject, respond, complete, accept, reopen, "
        "auto_close, escalate_<stage>_<level>, delivered, undeliverable"
    )
    note: str | None
    internal: bool
    actor: ActorView | None = Field(description="Null for the system.")
    recipients: list[OfficialRef] = Field(default_factory=list)
    delivery: DeliveryView | None = None


class OfficialReport(OfficialsModel):
    """``GET /reports/{id}`` for an official who may read the report."""

    view: Literal["official"] = "official"
    id: str
    kind: ReportKind
    status: Status
    category: str | None
    track: str | None
    agency: AgencyRef | None
    created_at: datetime
    updated_at: datetime
    deadlines: Deadlines
    timeline: list[OfficialTimelineEntry]
    title: str
    description: str
    anonymous: bool
    confidential: bool
    reporter: ReporterContact | None = Field(
        description="Null when the report is anonymous or gave no contact."
    )
    region: OfficialRegion | None
    location: Location | None
    occurred_on: date | None
    address: str | None = Field(default=None, description="Where it happened, as written (Open311 partners).")
    media_url: str | None = Field(default=None, description="A link to media an Open311 partner sent.")
    assignee: OfficialRef | None
    attachments_count: int = Field(default=0, description="GET /reports/{id}/attachments lists them.")
    next_deadline: NextDeadline | None
    overdue: bool
    read_only: bool = Field(description="The caller reads this report as an oversight or copied agency.")
    allowed_actions: list[str] = Field(description="The moves the caller may make now.")


class InboxItem(OfficialsModel):
    """One report in an inbox list."""

    id: str
    title: str
    status: Status
    category: str | None
    track: str | None
    agency: AgencyRef | None
    assignee: OfficialRef | None
    next_deadline: NextDeadline | None
    overdue: bool
    created_at: datetime


class InboxCounts(OfficialsModel):
    """A scope's reports (before status, overdue, q, category and track filters)."""

    total: int
    overdue: int
    by_status: dict[str, int]


class InboxPageView(OfficialsModel):
    """``GET /inbox``: pass ``next_cursor`` back as ``cursor`` for the next page (null: no more)."""

    items: list[InboxItem]
    next_cursor: str | None
    counts: InboxCounts


class InboxSummary(OfficialsModel):
    """``GET /inbox/summary``: the counts of every scope, for the workspace's tabs."""

    agency: InboxCounts
    mine: InboxCounts
    escalated: InboxCounts
    copies: InboxCounts


class MfaState(OfficialsModel):
    """Whether this deployment requires TOTP of the caller, and whether they have enrolled."""

    required: bool
    enrolled: bool


class MeView(OfficialsModel):
    """``GET /me``: the signed-in official as the directory describes them."""

    id: str
    name: str
    role: str = Field(description="liaison | admin | supervisor")
    national_admin: bool
    agency: AgencyRef
    mfa: MfaState


class OfficialOption(OfficialsModel):
    """``GET /officials``: an official a report of the agency can be assigned to."""

    id: str
    name: str
    role: str
    open: int = Field(description="Open reports assigned to them now.")


class SignInConfig(OfficialsModel):
    """``GET /auth/config``: where the officials' page signs in (Cognito's own API)."""

    region: str
    client_id: str
    endpoint: str = Field(description="Cognito's API endpoint the page calls with X-Amz-Target.")
    mfa_required: bool = Field(description="Admins, supervisors and the national admin must use TOTP.")
