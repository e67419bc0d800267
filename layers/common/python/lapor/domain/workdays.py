"""Working-day and calendar-day arithmetic in Western Indonesia Time (WIB) for SLA deadlines.

A working day is Monday to Friday, except Indonesian public holidays and the government's joint-leave
days (cuti bersama), adjusted by the operator's directory file: ``extra_holidays`` become non-working
and ``extra_working_days`` become working (even on a weekend or holiday).

Deadlines always end at 23:59:59.999999 WIB of their last day, so a complaint filed at any time of day
gets the whole of its final day.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = ["WIB", "WorkCalendar", "end_of_day_wib", "joint_leave_gaps", "utc_iso", "wib_date"]

WIB = ZoneInfo("Asia/Jakarta")

EXTRA_HOLIDAY_NAME = "extra holiday"

_END_OF_DAY = time(23, 59, 59, 999999)
_ONE_DAY = timedelta(days=1)
# Cuti bersama is published by joint ministerial decree and lives in the "government" category;
# without it, deadlines would run through days on which no civil servant is at work.
_HOLIDAY_CATEGORIES = ("public", "government")


def utc_iso(instant: datetime) -> str:
    """A sortable, fixed-width UTC form used in keys (``2026-12-02T16:59:59.999999Z``)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.cache
def _holidays_for_year(year: int) -> Mapping[date, str]:
    """Indonesian public and joint-leave holidays of one year, built once per process per year."""
    # Imported here because `holidays` is slow to import and most Lambda invocations that load this
    # module never need it on the cold-start path.
    import holidays

    calendar = holidays.country_holidays("ID", years=year, categories=_HOLIDAY_CATEGORIES)
    # A frozen plain copy: the library object grows itself on lookups of other years, which would
    # make a shared cached value mutable and slower.
    return MappingProxyType(dict(calendar))


@functools.cache
def _joint_leave_days(year: int) -> int:
    """How many government joint-leave days (cuti bersama) the ``holidays`` package knows for ``year``."""
    import holidays

    return len(holidays.country_holidays("ID", years=year, categories=("government",)))


# The government decides next year's joint-leave days by joint decree, usually in September; from
# this month on, a calendar that does not know them yet is worth an alarm.
NEXT_YEAR_ALARM_MONTH = 10


def joint_leave_gaps(
    today: date, extra_holidays: Iterable[date] = (), *, next_year: bool = True
) -> list[int]:
    """The years (``today``'s, and the next unless ``next_year`` is false) whose cuti bersama are unknown.

    ``holidays`` adds a year's joint-leave days only after the government's decree (and estimates the
    lunar holidays beyond it), so deadlines in such a year would run through days offices are
    closed. A year counts as known once the package has joint-leave days for it, or the operator
    added days of that year to the directory's ``calendar.extra_holidays``.
    """
    years = [today.year] + ([today.year + 1] if next_year else [])
    added = {day.year for day in extra_holidays}
    return [year for year in years if year not in added and _joint_leave_days(year) == 0]


def _require_aware(t: datetime) -> None:
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()} is ambiguous; pass a timezone-aware instant")


def _require_date(day: date) -> date:
    # A datetime is a date subclass, but it would be read in its own zone (or hash differently from
    # the date in sets); callers must convert with wib_date() first.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}; use wib_date() for instants")
    return day


def wib_date(t: datetime) -> date:
    """The calendar date of the aware instant ``t`` in WIB.

    Raises ValueError for a naive datetime, whose instant is unknown.
    """
    _require_aware(t)
    return t.astimezone(WIB).date()


def end_of_day_wib(day: date) -> datetime:
    """The last representable instant of ``day`` in WIB: 23:59:59.999999+07:00."""
    return datetime.combine(_require_date(day), _END_OF_DAY, tzinfo=WIB)


class WorkCalendar:
    """Indonesian working days, adjusted by the operator's extra holidays and extra working days.

    When a date is both an extra holiday and an extra working day, it is a working day: the explicit
    decision to work on a day is taken as the later, more specific one.
    """

    __slots__ = ("_extra_holidays", "_extra_working_days")

    def __init__(self, extra_holidays: Iterable[date] = (), extra_working_days: Iterable[date] = ()) -> None:
        """Create a calendar; both arguments are plain dates (WIB calendar dates), not datetimes."""
        self._extra_holidays = frozenset(_require_date(d) for d in extra_holidays)
        self._extra_working_days = frozenset(_require_date(d) for d in extra_working_days)

    def is_working_day(self, day: date) -> bool:
        """Whether government offices are open on ``day``."""
        _require_date(day)
        if day in self._extra_working_days:
            return True
        if day.weekday() >= 5 or day in self._extra_holidays:
            return False
        return day not in _holidays_for_year(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The name of the public or joint-leave holiday on ``day``, ``"extra holiday"`` for an
        operator-added one, or None when ``day`` is not a holiday.

        Weekends are not holidays, and a day the operator made a working day has no holiday name.
        Several holidays on one date come back joined with ``"; "``, as the ``holidays`` package names them.
        """
        _require_date(day)
        if day in self._extra_working_days:
            return None
        name = _holidays_for_year(day.year).get(day)
        if name is not None:
            return name
        return EXTRA_HOLIDAY_NAME if day in self._extra_holidays else None

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """The end (23:59:59.999999 WIB) of the ``n``-th working day strictly after ``t``'s WIB date.

        ``t``'s own date never counts, even when it is a working day, so a complaint filed at 08:00 on
        a Monday with n=1 is due at the end of Tuesday. Raises ValueError for n < 1 or a naive ``t``.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1 working day, got {n}")
        day = wib_date(t)
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return end_of_day_wib(day)

    def add_calendar_days(self, t: datetime, n: int) -> datetime:
        """The end (23:59:59.999999 WIB) of the date ``n`` calendar days after ``t``'s WIB date.

        n=0 is the end of ``t``'s own WIB date. Raises ValueError for n < 0 or a naive ``t``.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        return end_of_day_wib(wib_date(t) + timedelta(days=n))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """The number of working days ``d`` with wib_date(start) < d <= wib_date(end); 0 if end <= start.

        It is the inverse of add_working_days: for n >= 1,
        ``working_days_between(t, add_working_days(t, n)) == n``.
        """
        first, last = wib_date(start), wib_date(end)
        if end <= start:
            return 0
        count = 0
        day = first
        while day < last:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count
