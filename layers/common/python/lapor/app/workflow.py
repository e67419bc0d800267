"""Officials' moves and the reporter's feedback: every move goes through the roles table and the state machine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lapor.adapters.repository import ConcurrentUpdate, ReportRepository, WriteContention
from lapor.app.dispatch import dispatch_notifications
from lapor.domain.deadlines import REPORTER_REPLY_WORKING_DAYS, with_next_due
from lapor.domain.directory import Directory
from lapor.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from lapor.domain.ids import hash_receipt, normalize_report_id, receipt_matches
from lapor.domain.lifecycle import OPEN_STATUSES, Action, Status, next_status
from lapor.domain.messages import REPORTER, Event, Notification
from lapor.domain.models import (
    ActionRequest,
    ActionResult,
    Deadlines,
    Feedback,
    FeedbackRequest,
    FollowUp,
    Report,
    TimelineEvent,
)
from lapor.domain.roles import Caller, assignable, caller_of, check_move
from lapor.domain.routing import choose_official
from lapor.domain.workdays import WIB

OFFICIAL_ID_CLAIM = "custom:official_id"
# After three reopened answers the next step is the Ombudsman, not a fourth round (and the report's
# item stays bounded: every reopen keeps the reporter's comment).
MAX_REOPENS = 3


def caller_from_claims(claims: dict[str, Any] | None, directory: Directory) -> Caller:
    """The caller named by the authorizer's verified claims; Unauthorized when none or unknown/inactive."""
    return caller_of((claims or {}).get(OFFICIAL_ID_CLAIM), directory)


def act(
    report_id: str,
    request: ActionRequest,
    caller: Caller,
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
) -> ActionResult:
    """Apply an official's action: roles (403), state machine (409), deadlines, counters, timeline, messages."""
    report = _load(report_id, reports)
    action = Action(request.action)
    check_move(caller, action, report)
    new_status = next_status(report.status, action)
    note = request.note or None
    if action in (Action.REJECT, Action.RESPOND, Action.COMPLETE) and not note:
        raise InvalidInput("note", "note_required")
    calendar = directory.work_calendar
    track = directory.track_for(report.track)
    updates: dict[str, Any] = {"status": new_status, "updated_at": now}
    loads: dict[tuple[str, str], int] = {}
    messages: list[Notification] = []
    deadlines = report.deadlines

    if action == Action.VERIFY:
        updates |= {
            "verified_at": now,
            "verified_on_time": deadlines.verify_by is None or now <= deadlines.verify_by,
            "follow_up_clock": now,
            "deadlines": Deadlines(
                follow_up_by=calendar.add_working_days(now, track.follow_up_days),
                resolve_by=deadlines.resolve_by,
            ),
        }
    elif action == Action.FORWARD:
        return _forward(report, request, caller, reports=reports, directory=directory, now=now)
    elif action == Action.ASSIGN:
        return _assign(report, request, caller, reports=reports, directory=directory, now=now)
    elif action == Action.RESPOND:
        updates |= _followed_up(report, now) | {"deadlines": Deadlines(resolve_by=deadlines.resolve_by)}
    elif action == Action.COMPLETE:
        updates |= _followed_up(report, now) | {
            "completed_at": now,
            "deadlines": Deadlines(close_after=calendar.add_working_days(now, REPORTER_REPLY_WORKING_DAYS)),
        }
        loads = _release_load(report)
    elif action == Action.REJECT:
        updates |= {"deadlines": Deadlines()}
        loads = _release_load(report)

    updated = with_next_due(report.model_copy(update=updates), calendar)
    if report.reporter:
        messages.append(
            Notification.for_(
                report.id, Event.STATUS, REPORTER, stage=new_status.value, note=note, seq=report.version + 1
            )
        )
    event = TimelineEvent(
        at=now,
        status=new_status,
        action=action.value,
        actor=caller.official_id,
        agency=report.agency,
        note=note,
    )
    stored = _save(report, updated, event, loads, messages, reports)
    return _result(stored)


def feedback(
    report_id: str,
    request: FeedbackRequest,
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
) -> ActionResult:
    """The reporter accepts (closes) or reopens the answer, proving ownership with the receipt."""
    report = _load(report_id, reports)
    # The receipt shown at submission, or the token a completion email filled in for the reporter.
    if not receipt_matches(request.receipt, report.receipt_hash) and not reports.has_feedback_token(
        report.id, hash_receipt(request.receipt)
    ):
        raise Forbidden("receipt_mismatch", field="receipt")
    action = Action(request.action)
    new_status = next_status(report.status, action)
    if action == Action.REOPEN and reopens(report) >= MAX_REOPENS:
        raise Conflict("reopen_limit", max=MAX_REOPENS)
    calendar = directory.work_calendar
    record = Feedback(action=request.action, rating=request.rating, comment=request.comment, at=now)
    updates: dict[str, Any] = {
        "status": new_status,
        "updated_at": now,
        "feedback": [*report.feedback, record],
    }
    messages: list[Notification] = []
    loads: dict[tuple[str, str], int] = {}
    if action == Action.ACCEPT:
        updates |= {"closed_at": now, "deadlines": Deadlines()}
    else:
        close_after = report.deadlines.close_after
        if close_after is not None and now > close_after:
            raise Conflict("reopen_window", days=REPORTER_REPLY_WORKING_DAYS)
        track = directory.track_for(report.track)
        created_resolve = calendar.add_calendar_days(report.created_at, track.resolve_days)
        updates |= {
            "completed_at": None,
            "follow_up_clock": now,
            "deadlines": Deadlines(
                follow_up_by=calendar.add_working_days(now, track.follow_up_days), resolve_by=created_resolve
            ),
        }
        if report.assignee and report.agency:
            loads = {(report.agency, report.assignee): 1}
            # The reporter's reason goes to the official (render redacts the reporter's contact in it).
            messages.append(
                Notification.for_(
                    report.id,
                    Event.REOPENED,
                    report.assignee,
                    note=request.comment or None,
                    seq=report.version + 1,
                )
            )
    updated = with_next_due(report.model_copy(update=updates), calendar)
    note = request.comment if action == Action.REOPEN else None
    event = TimelineEvent(at=now, status=new_status, action=action.value, actor=REPORTER, note=note)
    stored = _save(report, updated, event, loads, messages, reports)
    return _result(stored)


def reopens(report: Report) -> int:
    """How many times the reporter has reopened the answer."""
    return sum(1 for entry in report.feedback if entry.action == "reopen")


def _forward(
    report: Report,
    request: ActionRequest,
    caller: Caller,
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
) -> ActionResult:
    target = (request.to_agency or "").upper()
    if not target:
        raise InvalidInput("to_agency", "required")
    if target not in directory.agencies_by_code:
        raise InvalidInput("to_agency", "agency_unknown", code=target)
    # A report in triage (with the national admin) may go to the national admin's own agency: its
    # liaisons then get it by the routing rule. Any other report is already at its own agency.
    in_triage = report.assignee == directory.national_admin
    if target == report.agency and not in_triage:
        raise InvalidInput("to_agency", "agency_same")
    official, _ = choose_official(target, directory, reports.loads(target))
    if target == report.agency and official == report.assignee:
        raise InvalidInput("to_agency", "agency_no_handler")
    calendar = directory.work_calendar
    track = directory.track_for(report.track)
    # The verify clock restarts at the new agency; the resolve deadline keeps running from submission.
    forwarded = report.model_copy(
        update={
            "status": Status.DISPATCHED,
            "agency": target,
            "assignee": official,
            # The new agency verifies afresh: an earlier agency's verification no longer stands.
            "verified_at": None,
            "verified_on_time": None,
            "dispatched_at": now,
            "updated_at": now,
            "routing_seq": report.routing_seq + 1,
            "deadlines": Deadlines(
                verify_by=calendar.add_working_days(now, track.verify_days),
                resolve_by=report.deadlines.resolve_by,
            ),
        }
    )
    forwarded = with_next_due(forwarded, calendar)
    loads: dict[tuple[str, str], int] = {(target, official): 1}
    if report.agency and report.assignee:
        loads[(report.agency, report.assignee)] = loads.get((report.agency, report.assignee), 0) - 1
    messages = [
        m for m in dispatch_notifications(forwarded, directory, triage=False) if m.event == Event.ASSIGNED
    ]
    if report.assignee and report.assignee != official:
        messages.append(
            Notification.for_(report.id, Event.FORWARDED, report.assignee, seq=forwarded.routing_seq)
        )
    if report.reporter:
        messages.append(
            Notification.for_(
                report.id,
                Event.STATUS,
                REPORTER,
                stage=Status.DISPATCHED.value,
                note=request.note or None,
                seq=report.version + 1,
            )
        )
    agency_name = directory.agency_name(target) or target
    note = request.note or (
        f"Forwarded to {agency_name}" if report.language == "en" else f"Diteruskan ke {agency_name}"
    )
    event = TimelineEvent(
        at=now,
        status=Status.DISPATCHED,
        action=Action.FORWARD.value,
        actor=caller.official_id,
        agency=target,
        note=note,
        recipients=[official],
    )
    stored = _save(report, forwarded, event, loads, messages, reports)
    return _result(stored)


def _assign(
    report: Report,
    request: ActionRequest,
    caller: Caller,
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
) -> ActionResult:
    """Hand the report to another active liaison or admin of its agency; status and deadlines stay."""
    target = (request.to_official or "").strip().lower()
    if not target:
        raise InvalidInput("to_official", "required")
    agency = report.agency or ""
    if not assignable([target], agency, directory):
        raise InvalidInput("to_official", "official_not_assignable", agency=agency)
    if target == report.assignee:
        raise InvalidInput("to_official", "official_same")
    assigned = report.model_copy(update={"assignee": target, "updated_at": now})
    loads: dict[tuple[str, str], int] = {(agency, target): 1}
    if report.assignee:
        loads[(agency, report.assignee)] = -1
    # The new assignee hears of it at once; the version separates repeated assignments to one official.
    messages = [
        Notification.for_(
            report.id,
            Event.ASSIGNED,
            target,
            stage=Action.ASSIGN.value,
            note=request.note or None,
            seq=report.version + 1,
        )
    ]
    event = TimelineEvent(
        at=now,
        status=report.status,
        action=Action.ASSIGN.value,
        actor=caller.official_id,
        agency=agency,
        note=request.note or None,
        public=False,
        recipients=[target],
    )
    stored = _save(report, assigned, event, loads, messages, reports)
    return _result(stored)


def _followed_up(report: Report, now: datetime) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    due = report.deadlines.follow_up_by
    if due is not None:
        # A follow-up deadline was running (since verification or a reopen): this answers it, and
        # the officials' evaluation counts it with its own on-time flag.
        started = report.follow_up_clock or report.verified_at or now
        record = FollowUp(at=now, hours=max(0.0, (now - started).total_seconds() / 3600), on_time=now <= due)
        updates["follow_ups"] = [*report.follow_ups, record]
    # The public statistics measure the first follow-up after verification.
    if report.followed_up_at is None:
        updates |= {"followed_up_at": now, "followed_up_on_time": due is None or now <= due}
    return updates


def _release_load(report: Report) -> dict[tuple[str, str], int]:
    if report.status in OPEN_STATUSES and report.agency and report.assignee:
        return {(report.agency, report.assignee): -1}
    return {}


def _save(
    before: Report,
    after: Report,
    event: TimelineEvent,
    loads: dict[tuple[str, str], int],
    messages: list[Notification],
    reports: ReportRepository,
) -> Report:
    try:
        return reports.save(
            after,
            expected_version=before.version,
            previous=before,
            events=[event],
            load_changes=loads,
            outbox=messages,
        )
    except (ConcurrentUpdate, WriteContention):
        raise Conflict("concurrent_update") from None


def load_report(report_id: str, reports: ReportRepository) -> Report:
    """The report with this tracking code (typed loosely), or NotFound."""
    return _load(report_id, reports)


def _load(report_id: str, reports: ReportRepository) -> Report:
    canonical = normalize_report_id(report_id)
    report = reports.get(canonical) if canonical else None
    if report is None:
        raise NotFound("report_not_found", code=report_id)
    return report


def _result(report: Report) -> ActionResult:
    deadlines = Deadlines(
        **{k: v.astimezone(WIB) if v else None for k, v in report.deadlines.model_dump().items()}
    )
    return ActionResult(
        id=report.id, status=report.status, updated_at=report.updated_at.astimezone(WIB), deadlines=deadlines
    )
