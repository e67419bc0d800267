"""What a function needs at run time, assembled once per cold start from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from lapor.adapters.directory_cache import DirectoryCache
from lapor.adapters.outbox import NotifyQueue
from lapor.adapters.repository import DirectoryStore, ReportRepository
from lapor.domain.directory import Directory
from lapor.domain.workdays import WorkCalendar
from lapor.settings import Settings


def utc_now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


@dataclass(eq=False)  # hashed by identity: per-deployment caches key on it
class Services:
    """Adapters built from the settings; clients inside them are created on first use."""

    settings: Settings
    clock: Callable[[], datetime] = field(default=utc_now)

    @cached_property
    def reports(self) -> ReportRepository:
        """Reports, timelines and load counters."""
        return ReportRepository(
            self.settings.reports_table, self.settings.directory_table, due_shards=self.settings.due_shards
        )

    @cached_property
    def directory_store(self) -> DirectoryStore:
        """Where the directory document is stored."""
        return DirectoryStore(self.settings.directory_table)

    @cached_property
    def directory_cache(self) -> DirectoryCache:
        """The directory as this warm function sees it."""
        return DirectoryCache(self.directory_store, max_age=self.settings.directory_cache_seconds)

    @cached_property
    def notify_queue(self) -> NotifyQueue:
        """The notify queue, where every outbound message waits to be sent."""
        return NotifyQueue(self.settings.notify_queue_url)

    def directory(self) -> Directory:
        """The current directory."""
        return self.directory_cache.get()

    def calendar(self) -> WorkCalendar:
        """The working-day calendar with the current directory's corrections."""
        return self.directory().work_calendar
