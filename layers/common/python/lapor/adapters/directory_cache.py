"""A warm function's view of the directory: read from the table, kept for a short while."""

from __future__ import annotations

import time
from collections.abc import Callable

from lapor.adapters.repository import DirectoryStore
from lapor.domain.directory import Directory, parse_directory


class DirectoryNotLoaded(RuntimeError):
    """No directory has been loaded into this deployment yet (operators: run the load command)."""


class DirectoryCache:
    """Serves the stored directory, re-reading it at most every ``max_age`` seconds.

    A reload by an operator reaches every warm function within ``max_age``; between reloads a
    warm function reads the directory once, not once per report.
    """

    def __init__(
        self, store: DirectoryStore, *, max_age: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._max_age = max_age
        self._clock = clock
        self._directory: Directory | None = None
        self._fetched_at = 0.0

    def get(self) -> Directory:
        """The current directory."""
        now = self._clock()
        if self._directory is None or now - self._fetched_at >= self._max_age:
            document = self._store.get_document()
            if document is None:
                raise DirectoryNotLoaded("no directory loaded; load one with `make load-directory`")
            self._directory = parse_directory(document)
            self._fetched_at = now
        return self._directory
