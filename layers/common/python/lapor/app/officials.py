"""What an official reads besides the inbox: the official view of a report, who they are, whom to assign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lapor.adapters.repository import Delivery, ReportRepository
from lapor.app import intake
from lapor.app.regions import region_ref
from lapor.domain.directory import Directory, Role
from lapor.domain.errors import Forbidden, NotFound
from lapor.domain.ids import normalize_report_id
from lapor.domain.inbox import current_deadline
from lapor.domain.lifecycle import Status
from lapor.domain.messages import REPORTER
from lapor.domain.models import AgencyRef, PublicReport, Report, TimelineEvent
from lapor.domain.redaction import for_officials
from lapor.domain.regions import RegionIndex
from lapor.domain.roles import Caller, allowed_actions, assignable, may_read, read_only
from lapor.domain.workdays import WIB
from lapor.domain.workspace import (
    ActorView,
    DeliveryView,
    MeView,
    MfaState,
    NextDeadline,
    OfficialOption,
    OfficialRef,
    OfficialRegion,
    OfficialReport,
    OfficialTimelineEntry,
    ReporterContact,
)

SYSTEM = "system"
# Roles whose accounts need TOTP when the deployment requires MFA.
MFA_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def report_view(
    report_id: str,
    caller: Caller | None,
    *,
    reports: ReportRepository,
    directory: Directory,
    regions: RegionIndex,
    now: datetime,
) -> PublicReport | OfficialReport:
    """The official view when ``caller`` may read the report; the public view for anyone else."""
    if caller is None:
        return intake.public_report(report_id, reports=reports, directory=directory, regions=regions)
    canonical = normalize_report_id(report_id)
    found = reports.get_with_history(canonical) if canonical else None
    if found is None:
        raise NotFound("report_not_found", code=report_id)
    report, events, deliveries = found
    if not may_read(caller, report):
        return intake.public_report(report_id, reports=reports, directory=directory, regions=regions)
    return official_report(caller, report, events, deliveries, directory=directory, regions=regions, now=now)


def official_report(
    caller: Caller,
    report: Report,
    events: list[TimelineEvent],
    deliveries: list[Delivery],
    *,
    directory: Directory,
    regions: RegionIndex,
    now: datetime,
) -> OfficialReport:
    """The full report as an official who may read it sees it.

    An anonymous report shows no reporter and has the reporter's typed-in identity redacted from
    every free text (title, description, notes).
    """
    clean = for_officials(report) if report.anonymous else (lambda text: text)
    contact = report.reporter
    deadline = current_deadline(report)
    timeline = [_entry(event, report, directory, clean) for event in events]
    timeline += [
        _delivered(d, _status_at(d.at, events, report), directory) for d in deliveries if d.state == "sent"
    ]
    timeline.sort(key=lambda entry: entry.at)
    return OfficialReport(
        **intake.shared_view(report, directory),
        timeline=timeline,
        title=clean(report.title),
        description=clean(report.description),
        anonymous=report.anonymous,
        confidential=report.confidential,
        reporter=None
        if report.anonymous or contact is None
        else ReporterContact(name=contact.name, email=contact.email, phone=contact.phone),
        region=_region(report.region, regions),
        location=report.location,
        occurred_on=report.occurred_on,
        address=clean(report.address) if report.address else None,
        media_url=clean(report.media_url) if report.media_url else None,
        assignee=_official_ref(report.assignee, directory) if report.assignee else None,
        next_deadline=NextDeadline(stage=deadline.stage, at=deadline.at.astimezone(WIB))  # type: ignore[arg-type]
        if deadline
        else None,
        overdue=deadline is not None and deadline.at < now,
        read_only=read_only(caller, report),
        allowed_actions=[action.value for action in allowed_actions(caller, report)],
    )


def me(caller: Caller, *, directory: Directory, mfa_required: bool, mfa_enrolled: bool) -> MeView:
    """The signed-in official, and whether they still have to enrol TOTP."""
    agency = directory.agencies_by_code[caller.agency]
    return MeView(
        id=caller.official_id,
        name=caller.name,
        role=caller.role.value,
        national_admin=caller.national_admin,
        agency=AgencyRef(code=agency.code, name=agency.name),
        mfa=MfaState(required=mfa_required and needs_mfa(caller), enrolled=mfa_enrolled),
    )


def needs_mfa(caller: Caller) -> bool:
    """Admins, supervisors and the national admin sign in with TOTP where the deployment requires MFA."""
    return caller.national_admin or caller.role in MFA_ROLES


def assignees(
    caller: Caller, agency: str, *, reports: ReportRepository, directory: Directory
) -> list[OfficialOption]:
    """Whom a report of ``agency`` can be assigned to, with their open load (fewest first)."""
    if agency not in directory.agencies_by_code:
        raise NotFound("agency_unknown", field="agency", code=agency)
    may_assign = caller.national_admin or (
        caller.agency == agency and caller.role in (Role.ADMIN, Role.SUPERVISOR)
    )
    if not may_assign:
        raise Forbidden("assign_forbidden")
    loads = reports.loads(agency)
    ids = assignable((o.id for o in directory.officials if o.agency == agency), agency, directory)
    options = [
        OfficialOption(
            id=official_id,
            name=directory.officials_by_id[official_id].name,
            role=directory.officials_by_id[official_id].role.value,
            open=max(loads.get(official_id, 0), 0),
        )
        for official_id in ids
    ]
    return sorted(options, key=lambda o: (o.open, o.id))


def _region(code: str | None, regions: RegionIndex) -> OfficialRegion | None:
    if not code:
        return None
    known = region_ref(code, regions)
    return OfficialRegion(
        code=code, name=known.name if known else None, full_name=known.full_name if known else None
    )


def _official_ref(official_id: str, directory: Directory) -> OfficialRef:
    official = directory.officials_by_id.get(official_id)
    return OfficialRef(id=official_id, name=official.name if official else None)


def _actor(actor: str, report: Report, directory: Directory) -> ActorView | None:
    if actor == SYSTEM:
        return None
    if actor == REPORTER:
        name = None if report.anonymous or report.reporter is None else report.reporter.name
        return ActorView(id=REPORTER, name=name, role="reporter")
    official = directory.officials_by_id.get(actor)
    if official is None:
        return ActorView(id=actor, name=None, role="official")
    role = "national_admin" if official.id == directory.national_admin else official.role.value
    return ActorView(id=official.id, name=official.name, role=role)


def _entry(
    event: TimelineEvent, report: Report, directory: Directory, redact: Callable[[str], str]
) -> OfficialTimelineEntry:
    delivery = None
    if event.action == "undeliverable" and event.channel in ("email", "sms"):
        recipient = event.recipients[0] if event.recipients else None
        delivery = DeliveryView(
            channel=event.channel,  # type: ignore[arg-type]
            recipient=_official_ref(recipient, directory) if recipient and recipient != REPORTER else None,
            message=event.message or "",
            state="failed",
            code=event.code,
        )
    return OfficialTimelineEntry(
        at=event.at.astimezone(WIB),
        status=event.status,
        action=event.action,
        note=redact(event.note) if event.note else None,
        internal=not event.public,
        actor=_actor(event.actor, report, directory),
        recipients=[_official_ref(o, directory) for o in event.recipients if o != REPORTER],
        delivery=delivery,
    )


def _status_at(at: datetime, events: list[TimelineEvent], report: Report) -> Status:
    # A delivery line shows the status the report had when the message went out.
    earlier = [event for event in events if event.at <= at]
    return max(earlier, key=lambda event: event.at).status if earlier else report.status


def _delivered(delivery: Delivery, status: Status, directory: Directory) -> OfficialTimelineEntry:
    # Notification ids are report:event[:stage][:seq]:recipient (lapor.domain.messages).
    parts = delivery.notification_id.split(":")
    event, recipient = (parts[1], parts[-1]) if len(parts) >= 3 else ("", "")
    return OfficialTimelineEntry(
        at=delivery.at.astimezone(WIB),
        status=status,
        action="delivered",
        note=None,
        internal=True,
        actor=None,
        delivery=DeliveryView(
            channel="sms" if delivery.channel == "sms" else "email",
            recipient=None if recipient == REPORTER else _official_ref(recipient, directory),
            message=event,
            state="sent",
        ),
    )
