"""Public follow-up statistics per agency, in LAPOR!'s four buckets, for one WIB month."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from lapor.domain.directory import Directory
from lapor.domain.errors import InvalidInput
from lapor.domain.lifecycle import public_bucket
from lapor.domain.models import AgencyRef, AgencyStats, Report, StatsPercent, StatsView
from lapor.domain.workdays import WIB

BUCKETS = ("unverified", "not_followed_up", "in_process", "completed")


def parse_period(period: str | None, now: datetime) -> str:
    """``YYYY-MM`` as given (validated), or the current WIB month."""
    if not period:
        return now.astimezone(WIB).strftime("%Y-%m")
    try:
        parsed = datetime.strptime(period, "%Y-%m")
    except ValueError:
        raise InvalidInput("period", "period_format") from None
    if parsed.year < 2000 or parsed.year > 2100:
        raise InvalidInput("period", "period_range")
    return period


def agency_stats(period: str, reports: Iterable[Report], directory: Directory) -> StatsView:
    """Figures per agency for reports created in ``period``; a figure without data is None."""
    by_agency: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        if report.agency:  # a report not yet routed (seconds old) has no agency to count against
            by_agency[report.agency].append(report)
    rows = [_row(code, items, directory) for code, items in sorted(by_agency.items())]
    return StatsView(period=period, agencies=rows)


def _row(code: str, reports: list[Report], directory: Directory) -> AgencyStats:
    counts = dict.fromkeys(BUCKETS, 0)
    rejected = 0
    for report in reports:
        bucket = public_bucket(report.status)
        if bucket is None:
            rejected += 1
        else:
            counts[bucket] += 1
    verified = [r for r in reports if r.verified_at is not None and r.dispatched_at is not None]
    followed = [r for r in reports if r.followed_up_at is not None and r.verified_at is not None]
    return AgencyStats(
        agency=AgencyRef(code=code, name=directory.agency_name(code) or code),
        total=len(reports),
        rejected=rejected,
        percent=StatsPercent(**percentages(counts)),
        verified_on_time_pct=_share([r.verified_on_time for r in reports if r.verified_on_time is not None]),
        followed_up_on_time_pct=_share(
            [r.followed_up_on_time for r in reports if r.followed_up_on_time is not None]
        ),
        median_hours_to_verify=_median_hours([(r.verified_at - r.dispatched_at) for r in verified]),  # type: ignore[operator]
        median_hours_to_follow_up=_median_hours([(r.followed_up_at - r.verified_at) for r in followed]),  # type: ignore[operator]
        **counts,
    )


def percentages(counts: dict[str, int]) -> dict[str, float | None]:
    """Shares with one decimal that sum to exactly 100 (largest remainder); all None without data."""
    total = sum(counts.values())
    if total == 0:
        return dict.fromkeys(counts, None)
    tenths = {k: v * 1000 / total for k, v in counts.items()}
    floors = {k: int(v) for k, v in tenths.items()}
    short = 1000 - sum(floors.values())
    for key in sorted(tenths, key=lambda k: (floors[k] - tenths[k], k))[:short]:
        floors[key] += 1
    return {k: v / 10 for k, v in floors.items()}


def _share(flags: list[bool]) -> float | None:
    return round(100 * sum(flags) / len(flags), 1) if flags else None


def _median_hours(durations: list) -> float | None:  # type: ignore[type-arg]
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 2)
