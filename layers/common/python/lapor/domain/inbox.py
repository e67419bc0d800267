"""The officials' inbox: scopes, the current deadline of a report, and its inbox entries.

Every report is listed in one inbox entry per scope it belongs to (its agency, its assignee, each
official or oversight agency an escalation went to, each agency it was copied to). An entry carries
what a list shows and the keys that let each inbox question be one DynamoDB Query; the repository
writes entries and the per-status counters in the same transaction as the report, from
:func:`entries_of` and :func:`count_changes` below. See docs/decisions.md, "Inbox access patterns".
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import datetime
from enum import StrEnum

from msgspec import Struct

from lapor.domain.lifecycle import Status
from lapor.domain.models import Report
from lapor.domain.redaction import for_officials
from lapor.domain.roles import OVERSIGHT_AGENCIES, Caller
from lapor.domain.workdays import utc_iso

# Sorts after every ISO instant: entries without a current deadline come last in deadline order.
NO_DEADLINE = "~"


class Scope(StrEnum):
    """Which reports an inbox lists."""

    AGENCY = "agency"  # the caller's agency's reports
    MINE = "mine"  # assigned to the caller
    ESCALATED = "escalated"  # escalations addressed to the caller (oversight agencies: to the agency)
    COPIES = "copies"  # covid19 copies to the caller's agency


class Sort(StrEnum):
    """Inbox order."""

    DEADLINE = "deadline"  # soonest current deadline first; reports without one last
    CREATED = "created"  # oldest first
    NEWEST = "-created"  # newest first


_PREFIX = {Scope.AGENCY: "A", Scope.MINE: "M", Scope.ESCALATED: "E", Scope.COPIES: "C"}
_ESCALATED_TO_AGENCY = "EA"


def scope_key(scope: Scope, caller: Caller) -> str:
    """The partition an inbox scope of ``caller`` reads."""
    if scope == Scope.ESCALATED and caller.agency in OVERSIGHT_AGENCIES:
        # Oversight escalations go to every admin of the body; any of its officials reads them all.
        return f"{_ESCALATED_TO_AGENCY}#{caller.agency}"
    who = caller.official_id if scope in (Scope.MINE, Scope.ESCALATED) else caller.agency
    return f"{_PREFIX[scope]}#{who}"


def memberships(report: Report) -> set[str]:
    """The scope keys whose inboxes list ``report``."""
    keys: set[str] = set()
    if report.agency:
        keys.add(f"A#{report.agency}")
    if report.assignee:
        keys.add(f"M#{report.assignee}")
    keys.update(f"E#{official}" for official in report.escalated_to)
    keys.update(f"{_ESCALATED_TO_AGENCY}#{agency}" for agency in report.escalated_agencies)
    keys.update(f"C#{agency}" for agency in report.copied_to)
    return keys


class CurrentDeadline(Struct, frozen=True):
    """The deadline an official works against now: its stage and instant."""

    stage: str  # verify | follow_up | resolve
    at: datetime


def current_deadline(report: Report) -> CurrentDeadline | None:
    """The soonest deadline that binds the officials now (None once the report is completed or closed).

    ``verify_by`` while dispatched, ``follow_up_by`` while verified or in progress, and ``resolve_by``
    while any of those; the reporter's ``close_after`` is not the officials' deadline.
    """
    deadlines = report.deadlines
    candidates: list[tuple[datetime, str]] = []
    if report.status == Status.DISPATCHED and deadlines.verify_by:
        candidates.append((deadlines.verify_by, "verify"))
    if report.status in (Status.VERIFIED, Status.IN_PROGRESS) and deadlines.follow_up_by:
        candidates.append((deadlines.follow_up_by, "follow_up"))
    if report.status in (Status.DISPATCHED, Status.VERIFIED, Status.IN_PROGRESS) and deadlines.resolve_by:
        candidates.append((deadlines.resolve_by, "resolve"))
    if not candidates:
        return None
    at, stage = min(candidates)
    return CurrentDeadline(stage, at)


def is_overdue(report: Report, now: datetime) -> bool:
    """A current deadline has passed."""
    deadline = current_deadline(report)
    return deadline is not None and deadline.at < now


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: how titles are stored for search and searched."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


def listed_title(report: Report) -> str:
    """The title an inbox shows: an anonymous reporter's typed-in identity is redacted."""
    if report.anonymous:
        return for_officials(report)(report.title)
    return report.title


class Entry(Struct, frozen=True):
    """One report as listed in one scope's inbox, with the index keys of every access pattern."""

    key: str  # scope key (partition of the work, work_created and work_due indexes)
    report_id: str
    title: str
    search: str  # folded title and tracking code, for q
    status: str
    category: str | None
    track: str | None
    agency: str | None
    assignee: str | None
    created_at: datetime
    deadline: CurrentDeadline | None

    @property
    def status_key(self) -> str:
        """Partition of the work_status index: one scope, one status."""
        return f"{self.key}#{self.status}"

    @property
    def due_sort(self) -> str:
        """Sort key in deadline order: deadline, then age, then id (unique)."""
        due = utc_iso(self.deadline.at) if self.deadline else NO_DEADLINE
        return f"{due}#{utc_iso(self.created_at)}#{self.report_id}"

    @property
    def created_sort(self) -> str:
        """Sort key in creation order."""
        return f"{utc_iso(self.created_at)}#{self.report_id}"

    @property
    def deadline_key(self) -> str | None:
        """Sort key of the sparse overdue-count index; None when no deadline binds the officials."""
        return utc_iso(self.deadline.at) + f"#{self.report_id}" if self.deadline else None


def entries_of(report: Report) -> dict[str, Entry]:
    """The report's inbox entries, by scope key."""
    title = listed_title(report)
    deadline = current_deadline(report)
    return {
        key: Entry(
            key=key,
            report_id=report.id,
            title=title,
            search=f"{fold(title)} {report.id.lower()}",
            status=report.status.value,
            category=report.category,
            track=report.track,
            agency=report.agency,
            assignee=report.assignee,
            created_at=report.created_at,
            deadline=deadline,
        )
        for key in sorted(memberships(report))
    }


def count_changes(before: Report | None, after: Report) -> Counter[tuple[str, str]]:
    """How the per-scope, per-status counters change when ``before`` becomes ``after``."""
    changes: Counter[tuple[str, str]] = Counter()
    if before is not None:
        for key in memberships(before):
            changes[(key, before.status.value)] -= 1
    for key in memberships(after):
        changes[(key, after.status.value)] += 1
    return Counter({k: v for k, v in changes.items() if v})


class InboxQuery(Struct, frozen=True):
    """One inbox question: a scope's partition, filters, order and page size."""

    key: str
    statuses: tuple[str, ...] = ()
    overdue: bool = False
    words: tuple[str, ...] = ()  # folded title words, all of which must occur
    category: str | None = None
    track: str | None = None
    sort: Sort = Sort.DEADLINE
    limit: int = 25
