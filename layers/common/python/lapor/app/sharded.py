"""Walking a sparse, sharded index page by page within a function's time budget."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Page = tuple[list[str], dict[str, Any] | None]


class ShardWalk:
    """Every id of every shard, one page Query at a time, stopping while ``reserve_ms`` remain.

    ``page(shard, start_key)`` answers one page of ids and the key of the next page. A walk that ran
    short of time says so in ``stopped_early``; what it did not reach stays in the index for the
    next run.
    """

    def __init__(
        self,
        page: Callable[[int, dict[str, Any] | None], Page],
        *,
        shards: int,
        time_left_ms: Callable[[], int],
        reserve_ms: int,
    ) -> None:
        self._page = page
        self._shards = shards
        self._time_left_ms = time_left_ms
        self._reserve_ms = reserve_ms
        self.stopped_early = False

    def _out_of_time(self) -> bool:
        self.stopped_early = self._time_left_ms() < self._reserve_ms
        return self.stopped_early

    def __iter__(self) -> Iterator[str]:
        for shard in range(self._shards):
            start_key = None
            while True:
                if self._out_of_time():
                    return
                ids, start_key = self._page(shard, start_key)
                for item_id in ids:
                    if self._out_of_time():
                        return
                    yield item_id
                if not start_key:
                    break
