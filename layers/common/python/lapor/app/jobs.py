"""What the monthly jobs share: the month they run for, and what they report back."""

from __future__ import annotations

import re
from datetime import datetime

from msgspec import Struct, field

from lapor.domain.errors import InvalidInput
from lapor.domain.workdays import WIB

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class JobResult(Struct):
    """Where a job wrote (``bucket``, ``keys``), and what else it did (e.g. emails sent)."""

    bucket: str
    keys: list[str] = field(default_factory=list)
    emails: int = 0

    def as_dict(self) -> dict[str, object]:
        """The JSON answer of the job (and of ``POST /_local/jobs/{name}``)."""
        return {"bucket": self.bucket, "keys": list(self.keys), "emails": self.emails}


def current_month(now: datetime) -> str:
    """The WIB month of ``now``."""
    return now.astimezone(WIB).strftime("%Y-%m")


def previous_month(month: str) -> str:
    """The month before ``YYYY-MM``."""
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def next_month(month: str) -> str:
    """The month after ``YYYY-MM``."""
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"


def job_month(period: object, now: datetime) -> str:
    """The month a job runs for: ``period`` (``YYYY-MM``, not in the future) or, by default, last month."""
    if period is None or period == "":
        return previous_month(current_month(now))
    match = _MONTH.match(period) if isinstance(period, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput("period", "period_month")
    if period > current_month(now):
        raise InvalidInput("period", "period_future")
    return period
