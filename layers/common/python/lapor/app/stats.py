"""Public follow-up statistics in LAPOR!'s four buckets, per agency, per kind and in total.

Figures come from the counters the reports stream keeps (``lapor.app.tally``), never from the
reports themselves: a request reads one counter item per agency and month, whatever the volume.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from lapor.adapters.aggregates import AggregateStore, StatsItem
from lapor.domain.directory import AgencyKind, Directory
from lapor.domain.errors import InvalidInput
from lapor.domain.models import AgencyRef, AgencyStats, KindStats, StatsFigures, StatsPercent, StatsView
from lapor.domain.tally import (
    BUCKETS,
    FOLLOW_HOURS,
    FOLLOWED_LATE,
    FOLLOWED_ON_TIME,
    REJECTED,
    VERIFIED_LATE,
    VERIFIED_ON_TIME,
    VERIFY_HOURS,
    add_counters,
    median_hours,
    percentages,
    share,
)
from lapor.domain.workdays import WIB

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def parse_period(period: str | None, now: datetime) -> str:
    """``YYYY-MM`` or ``YYYY`` as given (validated), or the current WIB month."""
    if not period:
        return now.astimezone(WIB).strftime("%Y-%m")
    match = _PERIOD.match(period)
    if not match:
        raise InvalidInput("period", "period_format")
    year, month = int(match.group(1)), match.group(2)
    if month is not None and not 1 <= int(month) <= 12:
        raise InvalidInput("period", "period_format")
    if not 2000 <= year <= 2100:
        raise InvalidInput("period", "period_range")
    return period


def read_stats(period: str, *, store: AggregateStore, directory: Directory) -> StatsView:
    """The statistics of a month or a year, from the aggregates table."""
    return stats_view(period, store.stats(period), directory)


def stats_view(period: str, items: Iterable[StatsItem], directory: Directory) -> StatsView:
    """Rows per agency (a year sums its months), the totals and the figures per agency kind."""
    by_agency: dict[str, dict[str, int]] = defaultdict(dict)
    for item in items:
        add_counters(by_agency[item.agency], item.counters)
    rows: list[AgencyStats] = []
    for code, counters in sorted(by_agency.items()):
        figures = figures_of(counters)
        if figures.total:
            rows.append(
                AgencyStats(
                    agency=AgencyRef(code=code, name=directory.agency_name(code) or code),
                    kind=directory.agency_kind(code),
                    **figures.model_dump(),
                )
            )
    by_kind = []
    for kind in AgencyKind:
        counters: dict[str, int] = {}
        codes = [code for code in by_agency if directory.agency_kind(code) == kind]
        for code in codes:
            add_counters(counters, by_agency[code])
        figures = figures_of(counters)
        by_kind.append(
            KindStats(kind=kind, agencies=sum(1 for r in rows if r.kind == kind), **figures.model_dump())
        )
    everything: dict[str, int] = {}
    for counters in by_agency.values():
        add_counters(everything, counters)
    return StatsView(period=period, agencies=rows, totals=figures_of(everything), by_kind=by_kind)


def figures_of(counters: dict[str, int]) -> StatsFigures:
    """The published figures of a set of counters; a figure without data is None."""
    counts = {bucket: counters.get(bucket, 0) for bucket in BUCKETS}
    rejected = counters.get(REJECTED, 0)
    return StatsFigures(
        total=sum(counts.values()) + rejected,
        rejected=rejected,
        percent=StatsPercent(**percentages(counts)),
        verified_on_time_pct=share(counters.get(VERIFIED_ON_TIME, 0), counters.get(VERIFIED_LATE, 0)),
        followed_up_on_time_pct=share(counters.get(FOLLOWED_ON_TIME, 0), counters.get(FOLLOWED_LATE, 0)),
        median_hours_to_verify=median_hours(counters, VERIFY_HOURS),
        median_hours_to_follow_up=median_hours(counters, FOLLOW_HOURS),
        **counts,
    )
