"""The daily calendar check: years whose joint-leave days (cuti bersama) the calendar does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lapor.adapters.directory_file import load_directory_file
from lapor.app import calendar_check
from lapor.domain.workdays import joint_leave_gaps

DIRECTORY = load_directory_file(Path(__file__).resolve().parents[1] / "data" / "directory.test.yaml")


def test_the_pinned_holidays_package_knows_2026_and_2027_but_not_2028() -> None:
    # The floor in pyproject.toml (0.105) is the first release with the 2027 decree
    assert joint_leave_gaps(date(2026, 6, 1)) == []
    assert joint_leave_gaps(date(2027, 6, 1)) == [2028]
    assert joint_leave_gaps(date(2027, 6, 1), next_year=False) == []


def test_extra_holidays_of_a_year_count_as_its_decree() -> None:
    assert joint_leave_gaps(date(2027, 11, 1), [date(2028, 1, 27)]) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 9, 30, 16, 59, tzinfo=UTC), []),  # 23:59 WIB on 30 September: not yet
        (datetime(2027, 9, 30, 17, 0, tzinfo=UTC), [2028]),  # 00:00 WIB on 1 October: next year counts
        (datetime(2028, 3, 1, tzinfo=UTC), [2028]),  # the year itself, without its decree
    ],
)
def test_daily_metric_counts_next_year_from_1_october_wib(monkeypatch, now, expected) -> None:
    added: list[tuple[str, float]] = []
    monkeypatch.setattr(
        calendar_check.metrics, "add_metric", lambda name, unit, value: added.append((name, value))
    )
    result = calendar_check.check_calendar(DIRECTORY, now)
    assert result["years_without_joint_leave"] == expected
    assert added == [("CalendarYearsWithoutJointLeave", len(expected))]
