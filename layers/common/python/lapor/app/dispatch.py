"""Direct dispatch: a received report goes to the competent official, with deadlines and messages."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from lapor.adapters.repository import ConcurrentUpdate, ReportRepository
from lapor.domain.deadlines import with_next_due
from lapor.domain.directory import Directory, Role
from lapor.domain.lifecycle import Action, Status, next_status
from lapor.domain.messages import REPORTER, Event, Notification
from lapor.domain.models import Deadlines, Report, TimelineEvent
from lapor.domain.routing import Assignment, route

SYSTEM = "system"


class DispatchResult(Struct, frozen=True):
    """What dispatching one stream record did."""

    report: Report
    routed_now: bool  # False when a replayed record found the report already routed
    notifications: tuple[Notification, ...]  # what the outbox holds for the stream to relay


def dispatch_report(
    report: Report, *, reports: ReportRepository, directory: Directory, now: datetime
) -> DispatchResult:
    """Route a ``received`` report and store the assignment with its messages in the report's outbox.

    The assignment is a conditional write on the report's version, so a re-delivered or replayed
    record never re-assigns nor counts an official's load twice. The messages ride in the same
    write; the stream relays them to the notify queue, so a crash can delay them but never lose them.
    """
    if report.status != Status.RECEIVED:
        return DispatchResult(report, False, ())
    assignment = route(
        title=report.title,
        description=report.description,
        requested_category=report.requested_category,
        region=report.region,
        directory=directory,
        loads_of=reports.loads,
    )
    routed = assign(report, assignment, directory=directory, now=now)
    event = TimelineEvent(
        at=now,
        status=routed.status,
        action=Action.ROUTE.value,
        actor=SYSTEM,
        agency=assignment.agency,
        note=_dispatch_note(assignment, directory, report.language),
        recipients=[assignment.official],
    )
    try:
        stored = reports.save(
            routed,
            expected_version=report.version,
            previous=report,
            events=[event],
            load_changes={(assignment.agency, assignment.official): 1},
            outbox=dispatch_notifications(routed, directory, triage=assignment.triage),
        )
    except ConcurrentUpdate:
        # Already routed by an earlier delivery of this record: nothing to do, nothing counted twice.
        return DispatchResult(report, False, ())
    return DispatchResult(stored, True, tuple(stored.outbox))


def assign(report: Report, assignment: Assignment, *, directory: Directory, now: datetime) -> Report:
    """The report as routed to ``assignment`` at ``now``: status, deadlines and due-index entry."""
    calendar = directory.work_calendar
    track = directory.tracks[assignment.track]
    status = next_status(report.status, Action.ROUTE) if report.status == Status.RECEIVED else report.status
    resolve_by = report.deadlines.resolve_by or calendar.add_calendar_days(
        report.created_at, track.resolve_days
    )
    routed = report.model_copy(
        update={
            "status": status,
            "category": assignment.category,
            "track": assignment.track,
            "agency": assignment.agency,
            "assignee": assignment.official,
            "dispatched_at": now,
            "updated_at": now,
            "routing_seq": report.routing_seq + 1,
            "deadlines": Deadlines(
                verify_by=calendar.add_working_days(now, track.verify_days), resolve_by=resolve_by
            ),
            # The track's coordinating agencies get a copy, and read the report from their "copies".
            "copied_to": [*report.copied_to, *(a for a in assignment.cc if a not in report.copied_to)],
        }
    )
    return with_next_due(routed, calendar)


def dispatch_notifications(report: Report, directory: Directory, *, triage: bool) -> list[Notification]:
    """Who hears of a dispatch: the assignee, the track's cc agencies' admins, and the reporter."""
    seq = report.routing_seq
    event = Event.TRIAGE if triage else Event.ASSIGNED
    messages = [Notification.for_(report.id, event, report.assignee or directory.national_admin, seq=seq)]
    track = directory.tracks.get(report.track or "")
    for agency in track.cc if track else ():
        for admin in directory.officials_of(agency, Role.ADMIN):
            if admin.id != report.assignee:
                messages.append(Notification.for_(report.id, Event.CC, admin.id, seq=seq))
    if report.reporter and (report.reporter.email or report.reporter.phone) and seq == 1:
        messages.append(Notification.for_(report.id, Event.RECEIVED, REPORTER))
    return messages


def _dispatch_note(assignment: Assignment, directory: Directory, language: str) -> str:
    agency = directory.agency_name(assignment.agency) or assignment.agency
    if assignment.triage:
        return (
            f"Forwarded to {agency} for manual triage"
            if language == "en"
            else f"Diteruskan ke {agency} untuk ditelaah (triase manual)"
        )
    return f"Forwarded to {agency}" if language == "en" else f"Diteruskan ke {agency}"
