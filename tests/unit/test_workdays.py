"""Working-day and calendar-day deadlines in WIB (lapor.domain.workdays).

Holiday dates below were checked against the installed `holidays` package (0.109) for ID with the
"public" and "government" (cuti bersama) categories, not taken from memory.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lapor.domain import workdays
from lapor.domain.workdays import WIB, WorkCalendar, end_of_day_wib, wib_date

WIT = ZoneInfo("Asia/Jayapura")  # UTC+9, eastern Indonesia


def wib(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=WIB)


def utc(y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=WIB)


def assert_same_wib_instant(result: datetime, expected: datetime) -> None:
    assert result == expected
    assert result.tzinfo == WIB
    assert result.utcoffset() == timedelta(hours=7)
    assert (result.hour, result.minute, result.second, result.microsecond) == (23, 59, 59, 999999)


CAL = WorkCalendar()


# --- is_working_day / holiday_name -------------------------------------------------------------

HOLIDAYS_2026 = [
    (date(2026, 1, 1), "New Year"),
    (date(2026, 1, 16), "Isra"),
    (date(2026, 2, 16), "Joint"),  # Lunar New Year joint leave
    (date(2026, 2, 17), "Lunar New Year"),
    (date(2026, 3, 18), "Joint"),  # Nyepi joint leave
    (date(2026, 3, 19), "Day of Silence"),  # Nyepi
    (date(2026, 3, 20), "Joint"),  # Idul Fitri joint leave
    (date(2026, 3, 23), "Joint"),  # Idul Fitri joint leave
    (date(2026, 3, 24), "Joint"),  # Idul Fitri joint leave
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 5, 1), "Labor"),
    (date(2026, 5, 14), "Ascension"),
    (date(2026, 5, 15), "Joint"),
    (date(2026, 5, 27), "Eid al-Adha"),
    (date(2026, 5, 28), "Joint"),
    (date(2026, 6, 1), "Pancasila"),
    (date(2026, 6, 16), "Islamic New Year"),
    (date(2026, 8, 17), "Independence"),
    (date(2026, 8, 25), "Prophet"),
    (date(2026, 12, 24), "Christmas Joint Holiday"),
    (date(2026, 12, 25), "Christmas Day"),
]

# Weekday holidays of 2027 that matter near the 2026/2027 boundary, plus its joint-leave days.
HOLIDAYS_2027 = [
    (date(2027, 1, 1), "New Year"),
    (date(2027, 1, 5), "Isra"),
    (date(2027, 2, 5), "Joint"),
    (date(2027, 3, 9), "Joint"),
    (date(2027, 3, 12), "Joint"),
    (date(2027, 3, 15), "Joint"),
    (date(2027, 3, 25), "Joint"),
    (date(2027, 5, 18), "Joint"),
    (date(2027, 5, 19), "Joint"),
    (date(2027, 12, 24), "Christmas Joint Holiday"),
]


@pytest.mark.parametrize(("day", "name_part"), HOLIDAYS_2026 + HOLIDAYS_2027, ids=str)
def test_public_and_joint_leave_holidays_are_not_working_days(day: date, name_part: str) -> None:
    # Given a weekday that is a public holiday or a cuti bersama day
    assert day.weekday() < 5
    # When the default calendar is asked about it
    working, name = CAL.is_working_day(day), CAL.holiday_name(day)
    # Then it is not a working day and carries the holiday's name
    assert working is False
    assert name is not None
    assert name_part in name


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 12, 7), True),  # Monday
        (date(2026, 12, 4), True),  # Friday
        (date(2026, 12, 23), True),  # Wednesday before the Christmas joint leave
        (date(2026, 12, 28), True),  # Monday after Christmas
        (date(2026, 12, 31), True),  # New Year's Eve is an ordinary Thursday
        (date(2026, 3, 17), True),  # Tuesday before Nyepi
        (date(2026, 3, 25), True),  # first working day after Nyepi + Idul Fitri
        (date(2027, 1, 4), True),  # first working day of 2027
        (date(2027, 1, 6), True),
        (date(2027, 12, 27), True),
    ],
    ids=str,
)
def test_is_working_day_on_ordinary_days_and_weekends(day: date, expected: bool) -> None:
    # Given a day that is not a weekday holiday
    # When the default calendar is asked about it
    # Then weekends are off and ordinary weekdays are working days
    assert CAL.is_working_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 26), None),  # Saturday after Christmas: a weekend, not a holiday
        (date(2026, 12, 23), None),
        (date(2026, 3, 21), "Eid al-Fitr"),  # Idul Fitri itself falls on a Saturday in 2026
        (date(2026, 3, 22), "Eid al-Fitr Second Day"),
    ],
    ids=str,
)
def test_holiday_name_of_non_weekday_holidays_and_plain_days(day: date, expected: str | None) -> None:
    # Given a weekend day or an ordinary day
    # When its holiday name is requested
    # Then only real holidays are named, even when they fall on a weekend
    assert CAL.holiday_name(day) == expected


def test_extra_holidays_and_extra_working_days() -> None:
    # Given an operator directory that makes a Wednesday a holiday, a Saturday a working day and
    # the Christmas joint-leave day a working day
    cal = WorkCalendar(
        extra_holidays=[date(2026, 12, 2)],
        extra_working_days=[date(2026, 12, 5), date(2026, 12, 24)],
    )
    # When the calendar is asked about those days
    # Then the operator's choices override weekends and the national calendar
    assert cal.is_working_day(date(2026, 12, 2)) is False
    assert cal.holiday_name(date(2026, 12, 2)) == "extra holiday"
    assert cal.is_working_day(date(2026, 12, 5)) is True
    assert cal.holiday_name(date(2026, 12, 5)) is None
    assert cal.is_working_day(date(2026, 12, 24)) is True
    assert cal.holiday_name(date(2026, 12, 24)) is None
    assert cal.is_working_day(date(2026, 12, 25)) is False


def test_extra_holiday_on_a_public_holiday_keeps_the_public_name() -> None:
    # Given an extra holiday that is already Christmas
    cal = WorkCalendar(extra_holidays=[date(2026, 12, 25)])
    # When its name is requested
    # Then the national name is the more useful one
    assert cal.holiday_name(date(2026, 12, 25)) == "Christmas Day"


def test_a_date_both_extra_holiday_and_extra_working_day_is_working() -> None:
    # Given a date listed both ways in the directory file
    cal = WorkCalendar(extra_holidays=[date(2026, 12, 2)], extra_working_days=[date(2026, 12, 2)])
    # When asked
    # Then the explicit working day wins
    assert cal.is_working_day(date(2026, 12, 2)) is True


# --- add_working_days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "n", "expected"),
    [
        # Ordinary week: the filing date never counts, even on a working day.
        (wib(2026, 12, 1, 8), 1, eod(2026, 12, 2)),
        (wib(2026, 12, 1, 8), 3, eod(2026, 12, 4)),
        (wib(2026, 12, 1, 8), 5, eod(2026, 12, 8)),
        # Friday evening → Monday.
        (wib(2026, 12, 4, 20), 1, eod(2026, 12, 7)),
        # Filed on a weekend → Monday is the first working day.
        (wib(2026, 12, 5, 9), 1, eod(2026, 12, 7)),
        (wib(2026, 12, 6, 23, 59, 59), 1, eod(2026, 12, 7)),
        # Friday before Independence Day (Mon 17 Aug 2026) → Tuesday.
        (wib(2026, 8, 14, 18), 1, eod(2026, 8, 18)),
        # Christmas 2026: Thu 24 joint leave, Fri 25 Christmas, then the weekend.
        (wib(2026, 12, 23, 10), 1, eod(2026, 12, 28)),
        (wib(2026, 12, 22, 10), 2, eod(2026, 12, 28)),
        (wib(2026, 12, 24, 10), 1, eod(2026, 12, 28)),
        # Nyepi (Thu 19 Mar) + Idul Fitri (Sat 21 Mar) 2026 with joint leave on 18, 20, 23, 24 Mar.
        (wib(2026, 3, 16, 9), 1, eod(2026, 3, 17)),
        (wib(2026, 3, 16, 9), 2, eod(2026, 3, 25)),
        (wib(2026, 3, 17, 9), 1, eod(2026, 3, 25)),
        (wib(2026, 3, 19, 9), 3, eod(2026, 3, 27)),
        # Year boundary: Fri 1 Jan 2027 New Year, weekend, Tue 5 Jan 2027 Isra' Mi'raj.
        (wib(2026, 12, 31, 10), 1, eod(2027, 1, 4)),
        (wib(2026, 12, 31, 10), 2, eod(2027, 1, 6)),
        (wib(2026, 12, 31, 23, 59, 59), 1, eod(2027, 1, 4)),
        (wib(2026, 12, 30, 10), 1, eod(2026, 12, 31)),
        # Ten working days over Christmas and New Year: 28-31 Dec, 4, 6, 7, 8, 11, 12 Jan.
        (wib(2026, 12, 23, 10), 10, eod(2027, 1, 12)),
        # 2027/2028: Fri 24 Dec 2027 is joint leave; Sat 1 Jan 2028 is New Year.
        (wib(2027, 12, 23, 10), 1, eod(2027, 12, 27)),
        (wib(2027, 12, 30, 10), 2, eod(2028, 1, 3)),
    ],
    ids=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
)
def test_add_working_days(t: datetime, n: int, expected: datetime) -> None:
    # Given a filing instant in WIB
    # When a deadline of n working days is computed
    result = CAL.add_working_days(t, n)
    # Then it ends at 23:59:59.999999 WIB of the n-th working day after the filing date
    assert_same_wib_instant(result, expected)


@pytest.mark.parametrize(
    ("t", "n", "expected"),
    [
        # 16:59:59Z is 23:59:59 WIB on Tue 1 Dec; one second later it is Wed 2 Dec in WIB.
        (utc(2026, 12, 1, 16, 59, 59), 1, eod(2026, 12, 2)),
        (utc(2026, 12, 1, 17, 0, 0), 1, eod(2026, 12, 3)),
        # Thu 3 Dec in UTC but already Fri 4 Dec in WIB → Monday, not Friday.
        (utc(2026, 12, 3, 16, 30), 1, eod(2026, 12, 4)),
        (utc(2026, 12, 3, 17, 30), 1, eod(2026, 12, 7)),
        # 23 Dec 16:59:59Z is still Wednesday in WIB (→ Mon 28); 17:00Z is Thursday 24 (→ Mon 28).
        (utc(2026, 12, 23, 16, 59, 59), 1, eod(2026, 12, 28)),
        # 31 Dec 2026 17:00Z is already New Year's Day 2027 in WIB.
        (utc(2026, 12, 31, 16, 59, 59), 1, eod(2027, 1, 4)),
        (utc(2026, 12, 31, 17, 0, 0), 2, eod(2027, 1, 6)),
        (utc(2026, 12, 31, 17, 0, 0), 1, eod(2027, 1, 4)),
        # Another Indonesian zone: 00:30 WIT on 2 Dec is 22:30 WIB on 1 Dec.
        (datetime(2026, 12, 2, 0, 30, tzinfo=WIT), 1, eod(2026, 12, 2)),
    ],
    ids=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
)
def test_add_working_days_uses_the_wib_date_of_the_instant(t: datetime, n: int, expected: datetime) -> None:
    # Given an instant expressed in a zone other than WIB, close to midnight WIB
    # When a working-day deadline is computed
    result = CAL.add_working_days(t, n)
    # Then the filing date is taken in WIB, and the result is in WIB
    assert_same_wib_instant(result, expected)


@pytest.mark.parametrize(
    ("extra_holidays", "extra_working_days", "t", "n", "expected"),
    [
        # A Saturday made a working day is the next working day after a Friday.
        ((), (date(2026, 12, 5),), wib(2026, 12, 4, 20), 1, eod(2026, 12, 5)),
        ((), (date(2026, 12, 5),), wib(2026, 12, 4, 20), 2, eod(2026, 12, 7)),
        # A Wednesday made a holiday is skipped.
        ((date(2026, 12, 2),), (), wib(2026, 12, 1, 8), 1, eod(2026, 12, 3)),
        ((date(2026, 12, 2),), (), wib(2026, 12, 1, 8), 3, eod(2026, 12, 7)),
        # The Christmas joint-leave day withdrawn by the operator counts again.
        ((), (date(2026, 12, 24),), wib(2026, 12, 23, 10), 1, eod(2026, 12, 24)),
        # An extra holiday in the new year is honoured across the year boundary.
        ((date(2027, 1, 4),), (), wib(2026, 12, 31, 10), 1, eod(2027, 1, 6)),
    ],
    ids=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
)
def test_add_working_days_with_operator_overrides(
    extra_holidays: tuple[date, ...],
    extra_working_days: tuple[date, ...],
    t: datetime,
    n: int,
    expected: datetime,
) -> None:
    # Given a calendar with the operator's extra holidays and extra working days
    cal = WorkCalendar(extra_holidays=extra_holidays, extra_working_days=extra_working_days)
    # When a working-day deadline is computed
    result = cal.add_working_days(t, n)
    # Then the overrides are honoured
    assert_same_wib_instant(result, expected)


@pytest.mark.parametrize("n", [0, -1])
def test_add_working_days_rejects_n_below_one(n: int) -> None:
    # Given a non-positive number of working days
    # When a deadline is computed
    # Then it is refused: "0 working days" has no meaning under the contract
    with pytest.raises(ValueError, match="at least 1"):
        CAL.add_working_days(wib(2026, 12, 1), n)


# --- add_calendar_days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "n", "expected"),
    [
        (wib(2026, 12, 1, 8), 0, eod(2026, 12, 1)),
        (wib(2026, 12, 1, 8), 1, eod(2026, 12, 2)),
        # Holidays and weekends are not skipped.
        (wib(2026, 12, 23, 8), 3, eod(2026, 12, 26)),
        # Month and year boundaries.
        (wib(2026, 1, 31, 8), 1, eod(2026, 2, 1)),
        (wib(2026, 2, 27, 8), 2, eod(2026, 3, 1)),
        (wib(2028, 2, 28, 8), 1, eod(2028, 2, 29)),  # leap year
        (wib(2026, 12, 31, 8), 1, eod(2027, 1, 1)),
        (wib(2026, 12, 20, 8), 14, eod(2027, 1, 3)),
        (wib(2026, 12, 1, 8), 365, eod(2027, 12, 1)),
        # The WIB date of the instant is the starting point.
        (utc(2026, 12, 1, 16, 59, 59), 1, eod(2026, 12, 2)),
        (utc(2026, 12, 1, 17, 0, 0), 1, eod(2026, 12, 3)),
        (utc(2026, 12, 31, 17, 0, 0), 0, eod(2027, 1, 1)),
    ],
    ids=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
)
def test_add_calendar_days(t: datetime, n: int, expected: datetime) -> None:
    # Given a filing instant
    # When a deadline of n calendar days is computed
    result = CAL.add_calendar_days(t, n)
    # Then it ends at 23:59:59.999999 WIB of the WIB filing date + n
    assert_same_wib_instant(result, expected)


def test_add_calendar_days_rejects_negative_n() -> None:
    # Given a negative number of days
    # When a deadline is computed
    # Then it is refused
    with pytest.raises(ValueError):
        CAL.add_calendar_days(wib(2026, 12, 1), -1)


# --- working_days_between ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (wib(2026, 12, 1, 8), wib(2026, 12, 1, 20), 0),  # same WIB date
        (wib(2026, 12, 1, 8), wib(2026, 12, 2, 0, 0, 1), 1),
        (wib(2026, 12, 1, 8), wib(2026, 12, 8, 8), 5),
        (wib(2026, 12, 4, 20), wib(2026, 12, 6, 20), 0),  # Friday → Sunday
        (wib(2026, 12, 23, 10), wib(2026, 12, 28, 9), 1),  # across Christmas
        (wib(2026, 3, 13, 10), wib(2026, 3, 31, 10), 7),  # 16, 17, 25, 26, 27, 30, 31 Mar
        (wib(2026, 12, 31, 10), wib(2027, 1, 6, 10), 2),  # 4 and 6 Jan 2027
        (wib(2026, 12, 1, 8), wib(2026, 11, 30, 8), 0),  # end before start
        (wib(2026, 12, 1, 8), wib(2026, 12, 1, 8), 0),  # end == start
        (utc(2026, 12, 1, 16, 0), utc(2026, 12, 1, 17, 0), 1),  # Tue → Wed in WIB, one hour apart
    ],
    ids=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
)
def test_working_days_between(start: datetime, end: datetime, expected: int) -> None:
    # Given two instants
    # When the working days between them are counted
    # Then only working days after start's WIB date, up to and including end's, count
    assert CAL.working_days_between(start, end) == expected


@pytest.mark.parametrize("t", [wib(2026, 3, 13, 10), wib(2026, 12, 24, 10), utc(2026, 12, 31, 17)], ids=str)
@pytest.mark.parametrize("n", [1, 2, 5, 10, 30])
def test_working_days_between_inverts_add_working_days(t: datetime, n: int) -> None:
    # Given a deadline n working days after t
    deadline = CAL.add_working_days(t, n)
    # When the working days up to the deadline are counted
    # Then there are exactly n
    assert CAL.working_days_between(t, deadline) == n
    assert CAL.working_days_between(t, deadline - timedelta(days=1)) == n - 1


# --- input validation and helpers --------------------------------------------------------------

NAIVE = datetime(2026, 12, 1, 10, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.add_working_days(NAIVE, 1),
        lambda: CAL.add_calendar_days(NAIVE, 1),
        lambda: CAL.working_days_between(NAIVE, wib(2026, 12, 5)),
        lambda: CAL.working_days_between(wib(2026, 12, 1), NAIVE),
        lambda: wib_date(NAIVE),
    ],
    ids=["add_working_days", "add_calendar_days", "between_start", "between_end", "wib_date"],
)
def test_naive_datetimes_are_rejected(call) -> None:
    # Given a naive datetime, whose instant is unknown
    # When it is used as an input
    # Then it is refused rather than silently read as UTC or local time
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_working_day(wib(2026, 12, 25)),
        lambda: CAL.holiday_name(wib(2026, 12, 25)),
        lambda: end_of_day_wib(wib(2026, 12, 25)),
        lambda: WorkCalendar(extra_holidays=[wib(2026, 12, 2)]),
    ],
    ids=["is_working_day", "holiday_name", "end_of_day_wib", "constructor"],
)
def test_datetimes_are_rejected_where_dates_are_expected(call) -> None:
    # Given a datetime where a calendar date is expected
    # When it is passed in
    # Then it is refused, because its date would be read in its own zone and not in WIB
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (utc(2026, 12, 1, 16, 59, 59), date(2026, 12, 1)),
        (utc(2026, 12, 1, 17, 0, 0), date(2026, 12, 2)),
        (datetime(2026, 12, 2, 0, 30, tzinfo=WIT), date(2026, 12, 1)),
        (wib(2027, 1, 1, 0, 0, 0), date(2027, 1, 1)),
    ],
    ids=str,
)
def test_wib_date(t: datetime, expected: date) -> None:
    # Given an aware instant
    # When its WIB date is taken
    # Then it is the calendar date on a wall clock in Jakarta
    assert wib_date(t) == expected


def test_end_of_day_wib() -> None:
    # Given a date
    # When its end in WIB is requested
    result = end_of_day_wib(date(2026, 12, 31))
    # Then it is the last microsecond of that date at UTC+7
    assert_same_wib_instant(result, eod(2026, 12, 31))
    assert result.astimezone(UTC) == datetime(2026, 12, 31, 16, 59, 59, 999999, tzinfo=UTC)
    assert str(WIB) == "Asia/Jakarta"


# --- performance contract ----------------------------------------------------------------------


def test_holiday_tables_are_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an empty year cache and a counting wrapper around the holidays factory
    import holidays

    calls: list[object] = []
    real_factory = holidays.country_holidays

    def counting_factory(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return real_factory(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting_factory)
    workdays._holidays_for_year.cache_clear()
    try:
        # When many deadlines spanning 2026 and 2027 are computed
        for _ in range(200):
            CAL.add_working_days(wib(2026, 12, 22), 10)
            CAL.working_days_between(wib(2026, 12, 1), wib(2027, 1, 20))
        # Then the factory ran once per year touched
        assert sorted(calls) == [2026, 2027]
    finally:
        workdays._holidays_for_year.cache_clear()


def test_importing_workdays_does_not_import_holidays() -> None:
    # Given a fresh interpreter (Lambda cold start)
    code = "import sys, lapor.domain.workdays; sys.exit(1 if 'holidays' in sys.modules else 0)"
    # When lapor.domain.workdays is imported
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    # Then the slow holidays package has not been loaded yet
    assert proc.returncode == 0, proc.stderr
