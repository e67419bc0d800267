"""The escalation ladder's steps (lapor.domain.deadlines), per DESIGN.md "Working-day calendar and deadlines".

Every expected instant is computed with ``lapor.domain.workdays.WorkCalendar`` (Indonesian public holidays and
cuti bersama from the ``holidays`` package), never typed in from memory; where a test depends on a
weekend or holiday lying inside an interval, it asserts that fact first, so a calendar change cannot
make the test pass vacuously.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lapor.domain.deadlines import (
    CLOSE,
    FOLLOW_UP,
    LEVEL_2_AFTER_WORKING_DAYS,
    REPORTER_REPLY_WORKING_DAYS,
    RESOLVE,
    VERIFY,
    Step,
    pending_steps,
    with_next_due,
)
from lapor.domain.lifecycle import Status
from lapor.domain.models import Deadlines, Report, ReportKind
from lapor.domain.workdays import WIB, WorkCalendar, wib_date

CALENDAR = WorkCalendar()
STANDARD = {"verify_days": 3, "follow_up_days": 5, "resolve_days": 60}


def wib(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


def report(status: Status, *, created_at: datetime, **fields: Any) -> Report:
    """A stored report in ``status`` with the given fields; everything else a plain complaint."""
    return Report(
        id="7KQ2-MX9R-TH4PW",
        kind=ReportKind.COMPLAINT,
        status=status,
        title="Puskesmas tutup di jam layanan",
        description="Puskesmas Kecamatan Menteng tutup pada jam layanan hari Senin pagi.",
        category="kesehatan",
        track="standard",
        agency="DINKES-DKI",
        assignee="dinkes-dki-lo1",
        receipt_hash="0" * 64,
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )


def dispatched(at: datetime, *, calendar: WorkCalendar = CALENDAR, **fields: Any) -> Report:
    """A report routed at ``at`` with the standard track's deadlines, as dispatch computes them."""
    deadlines = Deadlines(
        verify_by=calendar.add_working_days(at, STANDARD["verify_days"]),
        resolve_by=calendar.add_calendar_days(at, STANDARD["resolve_days"]),
    )
    return report(Status.DISPATCHED, created_at=at, dispatched_at=at, deadlines=deadlines, **fields)


def utc_key(stage: str, level: int, deadline: datetime) -> str:
    return f"{stage}:{level}@{deadline.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def non_working_days_between(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range(1, (last - first).days)]
    return [day for day in days if not CALENDAR.is_working_day(day)]


# ---- dispatched: the verify ladder and the resolve deadline ------------------------------------


def test_dispatched_report_waits_on_verify_level_1_level_2_then_resolve():
    # Given a report dispatched on Monday 30 November 2026, 10:00 WIB
    r = dispatched(wib(2026, 11, 30))
    verify_by, resolve_by = r.deadlines.verify_by, r.deadlines.resolve_by
    assert verify_by is not None and resolve_by is not None
    level_2 = CALENDAR.add_working_days(verify_by, LEVEL_2_AFTER_WORKING_DAYS)

    # When its pending steps are listed
    steps = pending_steps(r, CALENDAR)

    # Then: verify level 1 at verify_by, level 2 two working days later, resolve at resolve_by, in order
    assert steps == [
        Step(verify_by, VERIFY, 1, verify_by),
        Step(level_2, VERIFY, 2, verify_by),
        Step(resolve_by, RESOLVE, 1, resolve_by),
    ]
    # ... level 2 is the end of the 2nd working day strictly after the level-1 deadline's date
    assert CALENDAR.working_days_between(verify_by, level_2) == 2
    assert (level_2.hour, level_2.minute, level_2.second, level_2.microsecond) == (23, 59, 59, 999999)
    # ... and every key names the stage, level and the deadline (not the due time) in UTC
    assert [s.key for s in steps] == [
        utc_key(VERIFY, 1, verify_by),
        utc_key(VERIFY, 2, verify_by),
        utc_key(RESOLVE, 1, resolve_by),
    ]


def test_level_2_skips_weekend_and_christmas_holidays():
    # Given a verify deadline on the last working day before Christmas 2026 (computed, not assumed):
    # dispatched on Friday 18 December, three working days later
    r = dispatched(wib(2026, 12, 18, 15))
    verify_by = r.deadlines.verify_by
    assert verify_by is not None
    level_2 = CALENDAR.add_working_days(verify_by, 2)
    skipped = non_working_days_between(wib_date(verify_by), wib_date(level_2))
    # ... with a weekend and at least one public holiday or joint-leave day between the two levels
    assert any(day.weekday() >= 5 for day in skipped)
    assert any(day.weekday() < 5 and CALENDAR.holiday_name(day) for day in skipped)
    assert len(skipped) >= 3

    # When the ladder is computed
    second = [s for s in pending_steps(r, CALENDAR) if s.stage == VERIFY and s.level == 2]

    # Then level 2 falls two *working* days after the deadline, past the weekend and the holidays
    assert [s.due for s in second] == [level_2]
    assert (wib_date(level_2) - wib_date(verify_by)).days == 2 + len(skipped)


def test_level_2_uses_the_directorys_calendar_corrections():
    # Given an operator-declared extra holiday on the first working day after a verify deadline
    base = dispatched(wib(2026, 11, 30))
    verify_by = base.deadlines.verify_by
    assert verify_by is not None
    next_working_day = wib_date(CALENDAR.add_working_days(verify_by, 1))
    corrected = WorkCalendar(extra_holidays=[next_working_day])

    # When the ladder is computed with and without the correction
    plain = [s.due for s in pending_steps(base, CALENDAR) if s.level == 2]
    shifted = [s.due for s in pending_steps(base, corrected) if s.level == 2]

    # Then level 2 moves one working day later with the correction
    assert plain == [CALENDAR.add_working_days(verify_by, 2)]
    assert shifted == [corrected.add_working_days(verify_by, 2)]
    assert shifted[0] > plain[0]


def test_step_key_is_the_same_instant_whatever_the_offset():
    # Given the same deadline read back in UTC (as DynamoDB's index form) and in WIB
    deadline = CALENDAR.add_working_days(wib(2026, 11, 30), 3)
    in_wib = Step(deadline, VERIFY, 1, deadline)
    in_utc = Step(deadline.astimezone(UTC), VERIFY, 1, deadline.astimezone(UTC))
    # Then both keys are equal, so a recorded escalation is recognised after a round trip
    assert in_wib.key == in_utc.key == utc_key(VERIFY, 1, deadline)
    assert in_wib.key.endswith("Z")


# ---- later statuses --------------------------------------------------------------------------------


def test_verified_report_waits_on_follow_up_ladder_not_on_a_stale_verify_deadline():
    # Given a report verified on Wednesday 2 December 2026 with its follow-up deadline, whose old
    # verify_by was (wrongly) left in place
    verified_at = wib(2026, 12, 2, 9)
    follow_up_by = CALENDAR.add_working_days(verified_at, STANDARD["follow_up_days"])
    resolve_by = CALENDAR.add_calendar_days(wib(2026, 11, 30), 60)
    r = report(
        Status.VERIFIED,
        created_at=wib(2026, 11, 30),
        verified_at=verified_at,
        deadlines=Deadlines(
            verify_by=CALENDAR.add_working_days(wib(2026, 11, 30), 3),
            follow_up_by=follow_up_by,
            resolve_by=resolve_by,
        ),
    )

    # When its steps are listed
    steps = pending_steps(r, CALENDAR)

    # Then only the follow-up ladder and the resolve deadline are pending
    assert steps == [
        Step(follow_up_by, FOLLOW_UP, 1, follow_up_by),
        Step(CALENDAR.add_working_days(follow_up_by, 2), FOLLOW_UP, 2, follow_up_by),
        Step(resolve_by, RESOLVE, 1, resolve_by),
    ]


def test_completed_report_has_only_the_auto_close_step():
    # Given a completed report (its resolve_by still recorded, as a careless writer might leave it)
    completed_at = wib(2026, 12, 10, 14)
    close_after = CALENDAR.add_working_days(completed_at, REPORTER_REPLY_WORKING_DAYS)
    r = report(
        Status.COMPLETED,
        created_at=wib(2026, 11, 30),
        completed_at=completed_at,
        deadlines=Deadlines(close_after=close_after, resolve_by=CALENDAR.add_calendar_days(completed_at, 1)),
        escalations=[utc_key(VERIFY, 1, CALENDAR.add_working_days(wib(2026, 11, 30), 3))],
    )

    # When its steps and next due time are computed
    steps = pending_steps(r, CALENDAR)
    due = with_next_due(r, CALENDAR)

    # Then the only step is the auto-close (level 0) at close_after: 10 working days after completion
    assert steps == [Step(close_after, CLOSE, 0, close_after)]
    assert CALENDAR.working_days_between(completed_at, close_after) == REPORTER_REPLY_WORKING_DAYS
    assert (due.due_at, due.due_stage) == (close_after, "close:0")


@pytest.mark.parametrize("status", [Status.REJECTED, Status.CLOSED])
def test_terminal_reports_have_no_steps_and_leave_the_due_index(status: Status):
    # Given a rejected or closed report that still carries deadlines and an index entry
    r = dispatched(wib(2026, 11, 30)).model_copy(
        update={"status": status, "due_at": wib(2026, 12, 3), "due_stage": "verify:1"}
    )
    r = r.model_copy(update={"deadlines": r.deadlines.model_copy(update={"close_after": wib(2026, 12, 20)})})
    # When its steps and next due time are computed
    # Then there is nothing, and the due-index fields are cleared
    assert pending_steps(r, CALENDAR) == []
    cleared = with_next_due(r, CALENDAR)
    assert cleared.due_at is None and cleared.due_stage is None


def test_received_report_without_deadlines_has_no_steps():
    # Given a report not routed yet; When its steps are listed; Then there are none and no due time
    r = report(Status.RECEIVED, created_at=wib(2026, 11, 30))
    assert pending_steps(r, CALENDAR) == []
    assert with_next_due(r, CALENDAR).due_at is None


def test_steps_are_ordered_by_due_time_whatever_the_stage():
    # Given a report filed long ago and only now dispatched, so resolve_by comes before verify_by
    created = wib(2026, 9, 25)
    resolve_by = CALENDAR.add_calendar_days(created, 60)
    r = dispatched(wib(2026, 11, 30)).model_copy(
        update={
            "created_at": created,
            "deadlines": Deadlines(
                verify_by=CALENDAR.add_working_days(wib(2026, 11, 30), 3), resolve_by=resolve_by
            ),
        }
    )
    assert r.deadlines.verify_by is not None and resolve_by < r.deadlines.verify_by

    # When its steps and next due time are computed
    steps = pending_steps(r, CALENDAR)
    due = with_next_due(r, CALENDAR)

    # Then the resolve step comes first and is what the due index waits on
    assert [(s.stage, s.level) for s in steps] == [(RESOLVE, 1), (VERIFY, 1), (VERIFY, 2)]
    assert [s.due for s in steps] == sorted(s.due for s in steps)
    assert (due.due_at, due.due_stage) == (resolve_by, "resolve:1")


# ---- exactly once, and new cycles ---------------------------------------------------------------


def test_recorded_escalations_are_skipped_and_the_next_due_moves_on():
    # Given a dispatched report whose verify level 1 was already taken
    r = dispatched(wib(2026, 11, 30))
    verify_by, resolve_by = r.deadlines.verify_by, r.deadlines.resolve_by
    assert verify_by is not None and resolve_by is not None
    level_2 = CALENDAR.add_working_days(verify_by, 2)
    after_1 = r.model_copy(update={"escalations": [utc_key(VERIFY, 1, verify_by)]})
    # ... and one where level 2 and the resolve escalation were taken as well
    after_all = r.model_copy(
        update={
            "escalations": [
                utc_key(VERIFY, 1, verify_by),
                utc_key(VERIFY, 2, verify_by),
                utc_key(RESOLVE, 1, resolve_by),
            ]
        }
    )

    # When their pending steps and next due times are computed
    # Then taken steps are not offered again, and the due index points at the next one (or none)
    assert [(s.stage, s.level) for s in pending_steps(after_1, CALENDAR)] == [(VERIFY, 2), (RESOLVE, 1)]
    assert (with_next_due(after_1, CALENDAR).due_at, with_next_due(after_1, CALENDAR).due_stage) == (
        level_2,
        "verify:2",
    )
    assert pending_steps(after_all, CALENDAR) == []
    assert with_next_due(after_all, CALENDAR).due_at is None


def test_forward_starts_a_new_verify_cycle_with_different_keys():
    # Given a report whose first verify ladder was fully escalated at its first agency
    first = dispatched(wib(2026, 11, 30))
    old_verify_by, resolve_by = first.deadlines.verify_by, first.deadlines.resolve_by
    assert old_verify_by is not None and resolve_by is not None
    taken = [s.key for s in pending_steps(first, CALENDAR) if s.stage == VERIFY]
    # ... then forwarded a week later: the verify clock restarts, resolve_by keeps running
    forwarded_at = wib(2026, 12, 8, 11)
    new_verify_by = CALENDAR.add_working_days(forwarded_at, STANDARD["verify_days"])
    forwarded = first.model_copy(
        update={
            "dispatched_at": forwarded_at,
            "agency": "KEMENKES",
            "routing_seq": 2,
            "escalations": taken,
            "deadlines": Deadlines(verify_by=new_verify_by, resolve_by=resolve_by),
        }
    )

    # When the ladder is computed
    steps = pending_steps(forwarded, CALENDAR)

    # Then both verify levels are pending again for the new deadline, under new keys
    verify_steps = [s for s in steps if s.stage == VERIFY]
    assert [(s.level, s.deadline) for s in verify_steps] == [(1, new_verify_by), (2, new_verify_by)]
    assert not {s.key for s in verify_steps} & set(taken)
    assert with_next_due(forwarded, CALENDAR).due_at == new_verify_by


def test_reopened_report_gets_a_new_follow_up_cycle_but_resolve_is_still_once():
    # Given a report whose follow-up ladder and resolve escalation were taken, then completed and
    # reopened by the reporter: in progress with a fresh follow_up_by, the same resolve_by
    created = wib(2026, 11, 30)
    resolve_by = CALENDAR.add_calendar_days(created, 60)
    old_follow_up = CALENDAR.add_working_days(wib(2026, 12, 2), 5)
    reopened_at = wib(2027, 2, 3, 9)
    new_follow_up = CALENDAR.add_working_days(reopened_at, 5)
    r = report(
        Status.IN_PROGRESS,
        created_at=created,
        deadlines=Deadlines(follow_up_by=new_follow_up, resolve_by=resolve_by),
        escalations=[
            utc_key(FOLLOW_UP, 1, old_follow_up),
            utc_key(FOLLOW_UP, 2, old_follow_up),
            utc_key(RESOLVE, 1, resolve_by),
        ],
    )

    # When the ladder is computed
    steps = pending_steps(r, CALENDAR)

    # Then the new follow-up deadline has both levels; the resolve step, already taken, is not repeated
    assert [(s.stage, s.level, s.deadline) for s in steps] == [
        (FOLLOW_UP, 1, new_follow_up),
        (FOLLOW_UP, 2, new_follow_up),
    ]


def test_with_next_due_does_not_change_the_report_it_is_given():
    # Given a dispatched report; When its next due time is computed; Then a copy carries it
    r = dispatched(wib(2026, 11, 30))
    updated = with_next_due(r, CALENDAR)
    assert r.due_at is None and r.due_stage is None
    assert updated.due_at == r.deadlines.verify_by and updated.due_stage == "verify:1"
