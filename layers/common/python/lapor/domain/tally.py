"""What one report contributes to the accountability counters, and how counters become figures.

Two kinds of counters are kept by the reports stream (see ``lapor.app.tally``):

- **Statistics** (per agency and WIB month of creation): a function of each report's *current*
  state. A change of a report retracts what its previous version contributed and adds what the new
  one does, so the counters always equal a recount of the table (``stats_contribution``).
- **Evaluation** (per official and WIB month of the change): what *happened* in one change — an
  assignment, a verification, a follow-up, an escalation, a reopen, a rating — attributed to the
  official responsible for the report at that moment (``official_changes``).

Medians come from a compact histogram of hours: bins grow by a factor 2^(1/8) from one minute, and
a bin stands for its geometric midpoint, so a median read from it is within 2^(1/16) - 1 = 4.4 % of
the exact one (or within a minute, for durations under a minute, which count as 0). Bins, counts
and sums are integers, so adding and retracting them is exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from msgspec import Struct

from lapor.domain.lifecycle import OPEN_STATUSES, public_bucket
from lapor.domain.models import Report
from lapor.domain.workdays import WIB

BUCKETS = ("unverified", "not_followed_up", "in_process", "completed")
REJECTED = "rejected"

# Histogram of hours: bin 0 is [0, 1 minute); bin k >= 1 is [m * r^(k-1), m * r^k) with m = 1 minute
# and r = 2^(1/8); the last bin also takes everything longer (about 2 years and more).
_FIRST_EDGE_HOURS = 1 / 60
_STEPS_PER_DOUBLING = 8
LAST_BIN = 160  # 1 minute * 2^20 = 728 days
MEDIAN_RELATIVE_ERROR = 2 ** (1 / (2 * _STEPS_PER_DOUBLING)) - 1  # 0.0443

# Counter names (attribute names of the aggregate items).
VERIFIED_ON_TIME = "v.on"
VERIFIED_LATE = "v.late"
FOLLOWED_ON_TIME = "f.on"
FOLLOWED_LATE = "f.late"
VERIFY_HOURS = "hv."  # + bin
FOLLOW_HOURS = "hf."  # + bin
CATEGORY = "c."  # + category code: reports
CATEGORY_FOLLOW_SECONDS = "cfs."  # + category: sum of seconds to the first follow-up
CATEGORY_FOLLOWED = "cfn."  # + category: reports followed up
REGION = "r."  # + province code
REGION_FOLLOW_SECONDS = "rfs."
REGION_FOLLOWED = "rfn."
UNKNOWN = "-"  # category or region not (yet) known

# Evaluation counters.
ASSIGNED = "assigned"
VERIFIED = "verified"
FOLLOWED_UP = "followed_up"
ESCALATIONS_L1 = "esc.1"
ESCALATIONS_L2 = "esc.2"
REOPENED = "reopened"
RATING_SUM = "rating.sum"
RATING_COUNT = "rating.n"
OPEN_DELTA = "open"  # net change of the official's open reports in the month


def hours_bin(hours: float) -> int:
    """The histogram bin of a duration in hours (negative durations count as 0)."""
    if hours < _FIRST_EDGE_HOURS:
        return 0
    index = math.floor(math.log2(hours / _FIRST_EDGE_HOURS) * _STEPS_PER_DOUBLING) + 1
    return min(index, LAST_BIN)


def bin_hours(index: int) -> float:
    """The value a bin stands for: 0 for bin 0, else its geometric midpoint."""
    if index <= 0:
        return 0.0
    return _FIRST_EDGE_HOURS * 2 ** ((index - 0.5) / _STEPS_PER_DOUBLING)


def histogram_median(histogram: Mapping[int, int]) -> float | None:
    """The median of the durations in a histogram, in hours (None when empty).

    With an even count it is the mean of the two middle values, as ``statistics.median``; each is
    within ``MEDIAN_RELATIVE_ERROR`` of the exact one, and so is their mean.
    """
    total = sum(count for count in histogram.values() if count > 0)
    if total == 0:
        return None
    lower, upper = (total + 1) // 2, total // 2 + 1  # 1-based ranks of the middle value(s)
    values: list[float] = []
    seen = 0
    for index in sorted(histogram):
        count = histogram[index]
        if count <= 0:
            continue
        seen += count
        while len(values) < 2 and seen >= (lower if not values else upper):
            values.append(bin_hours(index))
    if total % 2:
        return values[0]
    return (values[0] + values[1]) / 2


def histogram(counters: Mapping[str, int], prefix: str) -> dict[int, int]:
    """The bins of one histogram out of a counter mapping (``hv.12`` -> {12: n})."""
    return {int(name[len(prefix) :]): int(v) for name, v in counters.items() if name.startswith(prefix)}


def month_of(instant: datetime) -> str:
    """The WIB month (``YYYY-MM``) of an instant."""
    return instant.astimezone(WIB).strftime("%Y-%m")


def province_of(region: str | None) -> str:
    """The province (first two digits of a BPS code) of a region, or ``-`` when unknown."""
    return region[:2] if region and len(region) >= 2 and region[:2].isdigit() else UNKNOWN


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


class Contribution(Struct, frozen=True):
    """What one report adds to the statistics counters of one agency and month."""

    period: str
    agency: str
    counters: dict[str, int]


def stats_contribution(report: Report | None) -> Contribution | None:
    """The report's share of the statistics of its creation month and current agency (None if unrouted)."""
    if report is None or not report.agency:
        return None
    counters: Counter[str] = Counter()
    counters[public_bucket(report.status) or REJECTED] += 1
    if report.verified_on_time is not None:
        counters[VERIFIED_ON_TIME if report.verified_on_time else VERIFIED_LATE] += 1
    if report.followed_up_on_time is not None:
        counters[FOLLOWED_ON_TIME if report.followed_up_on_time else FOLLOWED_LATE] += 1
    verify_hours = _hours(report.dispatched_at, report.verified_at)
    if verify_hours is not None:
        counters[f"{VERIFY_HOURS}{hours_bin(verify_hours)}"] += 1
    follow_hours = _hours(report.verified_at, report.followed_up_at)
    if follow_hours is not None:
        counters[f"{FOLLOW_HOURS}{hours_bin(follow_hours)}"] += 1
    category = report.category or UNKNOWN
    province = province_of(report.region)
    counters[f"{CATEGORY}{category}"] += 1
    counters[f"{REGION}{province}"] += 1
    if follow_hours is not None:
        seconds = round(follow_hours * 3600)
        counters[f"{CATEGORY_FOLLOW_SECONDS}{category}"] += seconds
        counters[f"{CATEGORY_FOLLOWED}{category}"] += 1
        counters[f"{REGION_FOLLOW_SECONDS}{province}"] += seconds
        counters[f"{REGION_FOLLOWED}{province}"] += 1
    return Contribution(month_of(report.created_at), report.agency, dict(counters))


def stats_delta(old: Report | None, new: Report) -> dict[tuple[str, str], dict[str, int]]:
    """Counter changes, by (period, agency), when ``old`` becomes ``new`` (zero changes left out)."""
    changes: dict[tuple[str, str], Counter[str]] = {}
    for contribution, sign in ((stats_contribution(old), -1), (stats_contribution(new), 1)):
        if contribution is None:
            continue
        bucket = changes.setdefault((contribution.period, contribution.agency), Counter())
        for name, value in contribution.counters.items():
            bucket[name] += sign * value
    return {key: {n: v for n, v in c.items() if v} for key, c in changes.items() if any(c.values())}


def official_changes(old: Report | None, new: Report) -> dict[str, dict[str, int]]:
    """What the change from ``old`` to ``new`` means for each official's evaluation, by official id.

    The responsible official is the report's assignee after the change (the one whose deadline it
    was); an official who lost an open report (forward, reassignment) gets the open count back.
    """
    changes: dict[str, Counter[str]] = {}

    def add(official: str | None, name: str, value: int = 1) -> None:
        if official and value:
            changes.setdefault(official, Counter())[name] += value

    responsible = new.assignee
    if responsible and (old is None or old.assignee != responsible or old.routing_seq != new.routing_seq):
        add(responsible, ASSIGNED)
    if new.verified_at is not None and (old is None or old.verified_at != new.verified_at):
        add(responsible, VERIFIED)
        add(responsible, VERIFIED_ON_TIME if new.verified_on_time is not False else VERIFIED_LATE)
        hours = _hours(new.dispatched_at, new.verified_at)
        if hours is not None:
            add(responsible, f"{VERIFY_HOURS}{hours_bin(hours)}")
    for follow_up in new.follow_ups[len(old.follow_ups) if old else 0 :]:
        add(responsible, FOLLOWED_UP)
        add(responsible, FOLLOWED_ON_TIME if follow_up.on_time else FOLLOWED_LATE)
        add(responsible, f"{FOLLOW_HOURS}{hours_bin(follow_up.hours)}")
    for step in new.escalations[len(old.escalations) if old else 0 :]:
        stage_level = step.split("@", 1)[0]
        if stage_level.endswith(":1") and not stage_level.startswith("resolve"):
            add(responsible, ESCALATIONS_L1)
        elif stage_level.endswith(":2"):
            add(responsible, ESCALATIONS_L2)
    for feedback in new.feedback[len(old.feedback) if old else 0 :]:
        if feedback.action == "reopen":
            add(responsible, REOPENED)
        if feedback.rating is not None:
            add(responsible, RATING_SUM, feedback.rating)
            add(responsible, RATING_COUNT)
    if old is not None and old.status in OPEN_STATUSES:
        add(old.assignee, OPEN_DELTA, -1)
    if new.status in OPEN_STATUSES:
        add(new.assignee, OPEN_DELTA, 1)
    return {official: {n: v for n, v in c.items() if v} for official, c in changes.items() if any(c.values())}


def share(on_time: int, late: int) -> float | None:
    """Percentage on time, one decimal; None without data."""
    total = on_time + late
    return round(100 * on_time / total, 1) if total else None


def percentages(counts: Mapping[str, int]) -> dict[str, float | None]:
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


def median_hours(counters: Mapping[str, int], prefix: str) -> float | None:
    """The median of one of the counters' histograms, in hours with two decimals."""
    value = histogram_median(histogram(counters, prefix))
    return None if value is None else round(value, 2)


def add_counters(total: dict[str, int], more: Mapping[str, int]) -> dict[str, int]:
    """``total`` plus ``more``, in place; returns ``total``."""
    for name, value in more.items():
        total[name] = total.get(name, 0) + int(value)
    return total
