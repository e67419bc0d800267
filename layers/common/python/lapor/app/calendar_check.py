"""The daily calendar check: does the working-day calendar know this year's and next year's cuti bersama?"""

from __future__ import annotations

from datetime import datetime

from lapor.domain.directory import Directory
from lapor.domain.workdays import NEXT_YEAR_ALARM_MONTH, joint_leave_gaps, wib_date
from lapor.observability import logger, metrics

# The scheduled event that asks sla_check for this check instead of an SLA run: {"check": "calendar"}.
CALENDAR_CHECK = "calendar"
METRIC = "CalendarYearsWithoutJointLeave"


def check_calendar(directory: Directory, now: datetime) -> dict[str, object]:
    """Count the years whose joint-leave days are unknown (next year only from 1 October, WIB).

    The count is published as a metric every day, so its alarm fires on the first day it is not
    zero and clears on the first day after the operator added the decree's days to the directory.
    """
    today = wib_date(now)
    gaps = joint_leave_gaps(
        today, directory.calendar.extra_holidays, next_year=today.month >= NEXT_YEAR_ALARM_MONTH
    )
    metrics.add_metric(name=METRIC, unit="Count", value=len(gaps))
    if gaps:
        logger.warning(
            "the holiday calendar has no joint-leave days (cuti bersama) for these years: add the decree's "
            "days to the directory's calendar.extra_holidays",
            years=gaps,
        )
    return {"check": CALENDAR_CHECK, "date": today.isoformat(), "years_without_joint_leave": gaps}
