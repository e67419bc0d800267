"""Which deadline a report waits on next, and the escalation ladder's steps."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from lapor.domain.lifecycle import Status
from lapor.domain.models import Report
from lapor.domain.workdays import WorkCalendar, utc_iso

LEVEL_2_AFTER_WORKING_DAYS = 2
REPORTER_REPLY_WORKING_DAYS = 10

VERIFY = "verify"
FOLLOW_UP = "follow_up"
RESOLVE = "resolve"
CLOSE = "close"


class Step(Struct, frozen=True, order=True):
    """One pending step of the ladder: at ``due``, take ``stage`` to ``level`` (level 0 = auto-close)."""

    due: datetime
    stage: str
    level: int
    deadline: datetime

    @property
    def key(self) -> str:
        """Identifies the step for exactly-once: a new deadline (forward, reopen) is a new cycle."""
        return f"{self.stage}:{self.level}@{utc_iso(self.deadline)}"


def pending_steps(report: Report, calendar: WorkCalendar) -> list[Step]:
    """Every step not yet taken for the report's current deadlines, earliest first."""
    steps: list[Step] = []
    taken = set(report.escalations)
    deadlines = report.deadlines
    for stage, deadline, applies in (
        (VERIFY, deadlines.verify_by, report.status == Status.DISPATCHED),
        (FOLLOW_UP, deadlines.follow_up_by, report.status in (Status.VERIFIED, Status.IN_PROGRESS)),
    ):
        if deadline is None or not applies:
            continue
        first = Step(deadline, stage, 1, deadline)
        second = Step(calendar.add_working_days(deadline, LEVEL_2_AFTER_WORKING_DAYS), stage, 2, deadline)
        steps += [step for step in (first, second) if step.key not in taken]
    if deadlines.resolve_by is not None and report.status not in (
        Status.COMPLETED,
        Status.CLOSED,
        Status.REJECTED,
    ):
        step = Step(deadlines.resolve_by, RESOLVE, 1, deadlines.resolve_by)
        if step.key not in taken:
            steps.append(step)
    if deadlines.close_after is not None and report.status == Status.COMPLETED:
        steps.append(Step(deadlines.close_after, CLOSE, 0, deadlines.close_after))
    return sorted(steps)


def with_next_due(report: Report, calendar: WorkCalendar) -> Report:
    """The report with ``due_at``/``due_stage`` set to its earliest pending step (None when none remains)."""
    steps = pending_steps(report, calendar)
    if not steps:
        return report.model_copy(update={"due_at": None, "due_stage": None})
    first = steps[0]
    return report.model_copy(update={"due_at": first.due, "due_stage": f"{first.stage}:{first.level}"})
