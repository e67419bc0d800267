"""Keeps the accountability counters current from the reports stream, and rebuilds them from the table.

Every change of a report item arrives on the stream with its old and new image. Its statistics
delta (what the new version contributes minus what the old one did) and what it means for the
officials' evaluation go to the aggregates table in one transaction keyed by the report's version,
so the stream's at-least-once delivery never counts a change twice (``AggregateStore.apply_change``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from msgspec import Struct

from lapor.adapters.aggregates import AggregateStore, Change, StatsItem
from lapor.domain.models import Report
from lapor.domain.tally import add_counters, month_of, official_changes, stats_contribution, stats_delta

FIRST_YEAR = 2000


GROUP = 16  # changes counted per transaction (markers + merged counters stay under 100 items)


class CountFailed(Exception):
    """Counting stopped at ``index``: that change and those after it must be delivered again."""

    def __init__(self, index: int) -> None:
        super().__init__(f"counting failed at change {index}")
        self.index = index


def count_changes(changes: Sequence[tuple[Report | None, Report]], *, store: AggregateStore) -> int:
    """Count a stream batch's changes in order; the number counted now (replays are skipped).

    Changes of distinct reports are counted together, up to ``GROUP`` in one transaction; a group
    that holds a replayed change (or meets a conflict) is counted one change at a time instead.
    Raises CountFailed with the first change that could not be counted.
    """
    counted = 0
    index = 0
    while index < len(changes):
        group: list[Change] = []
        ids: set[str] = set()
        while index + len(group) < len(changes) and len(group) < GROUP:
            old, new = changes[index + len(group)]
            if new.id in ids:
                break
            ids.add(new.id)
            group.append(change_of(old, new))
        if len(group) > 1 and store.apply_changes(group):
            counted += len(group)
            index += len(group)
            continue
        for offset, change in enumerate(group):
            try:
                counted += store.apply_change(
                    change.report_id, change.version, stats=change.stats, officials=change.officials
                )
            except Exception as error:
                raise CountFailed(index + offset) from error
        index += len(group)
    return counted


def count_change(old: Report | None, new: Report, *, store: AggregateStore) -> bool:
    """Count one change of a report (``old`` None for a new one); False when it was counted before."""
    change = change_of(old, new)
    return store.apply_change(
        change.report_id, change.version, stats=change.stats, officials=change.officials
    )


def change_of(old: Report | None, new: Report) -> Change:
    """The counter changes of one report version: statistics delta and evaluation facts."""
    month = month_of(new.updated_at)
    agency_of = {}
    if old is not None and old.assignee:
        agency_of[old.assignee] = old.agency or ""
    if new.assignee:
        agency_of[new.assignee] = new.agency or ""
    officials = {
        (month, official): (agency_of.get(official, ""), counters)
        for official, counters in official_changes(old, new).items()
    }
    return Change(new.id, new.version, stats_delta(old, new), officials)


class RebuildSummary(Struct, frozen=True):
    """What a rebuild recounted and wrote."""

    reports: int
    items: int
    removed: int


def rebuild_stats(reports: Iterable[Report], *, store: AggregateStore, last_year: int) -> RebuildSummary:
    """Recount the statistics of every report and replace the stored counters with the recount.

    Each report's marker is set to the version recounted, so stream records of those versions that
    arrive later are recognised as counted. Evaluation counters record what happened when it
    happened and are not recounted (a report's current state does not say who held it before).
    """
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    versions: dict[str, int] = {}
    for report in reports:
        versions[report.id] = report.version
        contribution = stats_contribution(report)
        if contribution is not None:
            add_counters(totals[(contribution.period, contribution.agency)], contribution.counters)
    existing = {key for year in range(FIRST_YEAR, last_year + 1) for key in store.stats_keys(str(year))}
    stale = existing - set(totals)
    store.replace_stats((StatsItem(p, a, c) for (p, a), c in totals.items()), stale)
    store.mark_counted(versions)
    return RebuildSummary(reports=len(versions), items=len(totals), removed=len(stale))
