"""The SLA checker: due reports from the sparse index, each escalation step taken exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from msgspec import Struct, field

from lapor.adapters.repository import ConcurrentUpdate, ReportRepository, WriteContention
from lapor.app.sharded import ShardWalk
from lapor.domain.deadlines import CLOSE, RESOLVE, Step, pending_steps, with_next_due
from lapor.domain.directory import OMBUDSMAN, Directory, Role
from lapor.domain.lifecycle import Action, Status, next_status
from lapor.domain.messages import REPORTER, Event, Notification
from lapor.domain.models import Deadlines, Report, TimelineEvent
from lapor.domain.roles import OVERSIGHT_AGENCIES

SYSTEM = "system"
PAGE_SIZE = 100


class SlaSummary(Struct):
    """What one run did; logged and returned."""

    now: str
    checked: int = 0
    escalated: dict[str, int] = field(default_factory=lambda: {"level_1": 0, "level_2": 0, "resolve": 0})
    closed: int = 0
    conflicts: int = 0
    left_for_later: bool = False

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "now": self.now,
            "checked": self.checked,
            "escalated": dict(self.escalated),
            "closed": self.closed,
            "conflicts": self.conflicts,
            "left_for_later": self.left_for_later,
        }


def run_sla_check(
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
    shards: int,
    time_left_ms: Callable[[], int],
    reserve_ms: int = 5_000,
) -> SlaSummary:
    """Apply every step due at ``now``: Query each due shard (never Scan), page while time allows.

    Each step is a conditional write on the report's version, so overlapping runs take it once; a
    run that runs short of time stops and leaves the rest, which stays due, for the next run.
    """
    summary = SlaSummary(now=now.isoformat())
    due = ShardWalk(
        lambda shard, start_key: reports.due_keys(shard, now, start_key=start_key, limit=PAGE_SIZE),
        shards=shards,
        time_left_ms=time_left_ms,
        reserve_ms=reserve_ms,
    )
    for report_id in due:
        summary.checked += 1
        _check(report_id, reports=reports, directory=directory, now=now, summary=summary)
    summary.left_for_later = due.stopped_early
    return summary


def _check(
    report_id: str, *, reports: ReportRepository, directory: Directory, now: datetime, summary: SlaSummary
) -> None:
    report = reports.get(report_id)
    if report is None:
        return
    calendar = directory.work_calendar
    due = [step for step in pending_steps(report, calendar) if step.due <= now]
    updated, events, messages = report, [], []
    load_changes: dict[tuple[str, str], int] = {}
    for step in due:
        updated, event, notes = apply_step(updated, step, directory=directory, now=now)
        events.append(event)
        messages += notes
    updated = with_next_due(updated, calendar)
    if not due and updated.due_at == report.due_at:
        return
    try:
        reports.save(
            updated,
            expected_version=report.version,
            previous=report,
            events=events,
            load_changes=load_changes,
            outbox=messages,
        )
    except (ConcurrentUpdate, WriteContention):
        # Another run took these steps, or the report moved on (or is moving now): nothing is done
        # twice, and a step not taken stays due for the next run.
        summary.conflicts += 1
        return
    for step in due:
        if step.stage == CLOSE:
            summary.closed += 1
        elif step.stage == RESOLVE:
            summary.escalated["resolve"] += 1
        else:
            summary.escalated[f"level_{step.level}"] += 1


def apply_step(
    report: Report, step: Step, *, directory: Directory, now: datetime
) -> tuple[Report, TimelineEvent, list[Notification]]:
    """The report after one step, the step's timeline event and its messages."""
    if step.stage == CLOSE:
        closed = report.model_copy(
            update={
                "status": next_status(report.status, Action.AUTO_CLOSE),
                "closed_at": now,
                "updated_at": now,
                "deadlines": Deadlines(),
            }
        )
        note = "Ditutup otomatis: tidak ada tanggapan pelapor dalam 10 hari kerja"
        if report.language == "en":
            note = "Closed automatically: no reply from the reporter within 10 working days"
        event = TimelineEvent(
            at=now, status=Status.CLOSED, action=Action.AUTO_CLOSE.value, actor=SYSTEM, note=note
        )
        messages = []
        if report.reporter and (report.reporter.email or report.reporter.phone):
            messages.append(Notification.for_(report.id, Event.STATUS, REPORTER, stage=Status.CLOSED.value))
        return closed, event, messages

    event_kind, recipients = _escalation_recipients(report, step, directory)
    # Officials of oversight bodies read escalations as their agency; anyone else personally.
    oversight = [directory.officials_by_id[o].agency for o in recipients if _oversight(o, directory)]
    personal = [o for o in recipients if not _oversight(o, directory)]
    escalated = report.model_copy(
        update={
            "escalations": [*report.escalations, step.key],
            "escalated_to": _unique([*report.escalated_to, *personal]),
            "escalated_agencies": _unique([*report.escalated_agencies, *oversight]),
            "updated_at": now,
        }
    )
    cycle = int(step.deadline.strftime("%Y%m%d"))
    messages = [
        Notification.for_(report.id, event_kind, official, stage=step.stage, seq=cycle)
        for official in recipients
    ]
    note = f"Eskalasi {step.stage} tingkat {step.level}: tenggat terlewati"
    event = TimelineEvent(
        at=now,
        status=report.status,
        action=f"escalate_{step.stage}_{step.level}",
        actor=SYSTEM,
        note=note,
        public=False,
        recipients=recipients,
    )
    return escalated, event, messages


def _escalation_recipients(report: Report, step: Step, directory: Directory) -> tuple[Event, list[str]]:
    agency_code = report.agency or ""
    if step.stage == RESOLVE:
        people = [directory.national_admin, *(o.id for o in directory.officials_of(OMBUDSMAN, Role.ADMIN))]
        return Event.RESOLVE_MISSED, _unique(people)
    if step.level == 1:
        people = [
            report.assignee or directory.national_admin,
            *(o.id for o in directory.officials_of(agency_code, Role.ADMIN)),
        ]
        return Event.ESCALATION_1, _unique(people)
    agency = directory.agencies_by_code.get(agency_code)
    supervisor = directory.officials_by_id.get(agency.supervisor or "") if agency else None
    people = [supervisor.id] if supervisor and supervisor.active else []
    people.append(directory.national_admin)
    return Event.ESCALATION_2, _unique(people)


def _oversight(official_id: str, directory: Directory) -> bool:
    official = directory.officials_by_id.get(official_id)
    return official is not None and official.agency in OVERSIGHT_AGENCIES


def _unique(ids: list[str | None]) -> list[str]:
    seen: list[str] = []
    for official in ids:
        if official and official not in seen:
            seen.append(official)
    return seen
