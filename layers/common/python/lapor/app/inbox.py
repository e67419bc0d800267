"""Officials' inboxes: one scope, filtered and ordered, a page at a time, with the scope's counts."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from msgspec.structs import replace

from lapor.adapters.repository import CursorInvalid, ReportRepository
from lapor.domain.directory import Directory
from lapor.domain.errors import InvalidInput
from lapor.domain.ids import normalize_report_id
from lapor.domain.inbox import InboxQuery, Scope, Sort, fold, scope_key
from lapor.domain.lifecycle import Status
from lapor.domain.models import AgencyRef
from lapor.domain.roles import Caller
from lapor.domain.workdays import WIB
from lapor.domain.workspace import (
    InboxCounts,
    InboxItem,
    InboxPageView,
    InboxSummary,
    NextDeadline,
    OfficialRef,
)

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MAX_WORDS = 5


def parse_statuses(text: str | None) -> tuple[str, ...]:
    """``status=dispatched,verified`` → the statuses; InvalidInput naming ``status`` for an unknown one."""
    if not text:
        return ()
    statuses = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    known = {s.value for s in Status}
    unknown = [s for s in statuses if s not in known]
    if unknown:
        raise InvalidInput("status", "choice", choices=", ".join(sorted(known)))
    return statuses


def inbox(
    caller: Caller,
    *,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
    scope: Scope = Scope.AGENCY,
    statuses: tuple[str, ...] = (),
    overdue: bool = False,
    q: str | None = None,
    category: str | None = None,
    track: str | None = None,
    sort: Sort = Sort.DEADLINE,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> InboxPageView:
    """One page of the caller's ``scope``, and the scope's counts.

    ``q`` is a tracking code (the report itself, if the scope lists it) or words that must all occur
    in the title. Counts describe the whole scope, before the other filters.
    """
    key = scope_key(scope, caller)
    query = InboxQuery(
        key=key,
        statuses=statuses,
        overdue=overdue,
        category=category or None,
        track=track or None,
        sort=sort,
        limit=max(1, min(limit, MAX_LIMIT)),
    )
    text = (q or "").strip()
    report_id = normalize_report_id(text) if text else None
    if report_id:
        entry = reports.inbox_entry(report_id, key)
        entries = [entry] if entry is not None and _matches(entry, query, now) else []
        next_cursor = None
    else:
        words = tuple(fold(text).split())[:MAX_WORDS]
        query = replace(query, words=words)
        try:
            page = reports.inbox(query, now=now, start_key=_decode_cursor(cursor) if cursor else None)
        except CursorInvalid:
            raise InvalidInput("cursor", "cursor_invalid") from None
        entries = page.entries
        next_cursor = _encode_cursor(page.next_key) if page.next_key else None
    return InboxPageView(
        items=[_item(entry, directory, now) for entry in entries],
        next_cursor=next_cursor,
        counts=counts(key, reports=reports, now=now),
    )


def counts(key: str, *, reports: ReportRepository, now: datetime) -> InboxCounts:
    """A scope's reports per status and how many are overdue: two requests, whatever the scope's size."""
    by_status = reports.inbox_counts(key)
    return InboxCounts(
        total=sum(by_status.values()), overdue=reports.overdue_count(key, now), by_status=by_status
    )


def summary(caller: Caller, *, reports: ReportRepository, now: datetime) -> InboxSummary:
    """The counts of each of the caller's scopes (the workspace's tabs)."""
    return InboxSummary(
        **{scope.value: counts(scope_key(scope, caller), reports=reports, now=now) for scope in Scope}
    )


def _matches(entry: dict[str, Any], query: InboxQuery, now: datetime) -> bool:
    if query.statuses and entry.get("status") not in query.statuses:
        return False
    if query.category and entry.get("category") != query.category:
        return False
    if query.track and entry.get("track") != query.track:
        return False
    return not query.overdue or _overdue(entry, now)


def _overdue(entry: dict[str, Any], now: datetime) -> bool:
    at = _instant(entry.get("next_at"))
    return at is not None and at < now


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _item(entry: dict[str, Any], directory: Directory, now: datetime) -> InboxItem:
    agency_code = entry.get("agency")
    agency = directory.agencies_by_code.get(agency_code or "")
    assignee = entry.get("assignee")
    official = directory.officials_by_id.get(assignee or "")
    at = _instant(entry.get("next_at"))
    created = _instant(entry["created_at"])
    assert created is not None
    return InboxItem(
        id=entry["id"],
        title=entry["title"],
        status=Status(entry["status"]),
        category=entry.get("category"),
        track=entry.get("track"),
        agency=AgencyRef(code=agency.code, name=agency.name) if agency else None,
        assignee=OfficialRef(id=assignee, name=official.name if official else None) if assignee else None,
        next_deadline=NextDeadline(stage=entry["next_stage"], at=at.astimezone(WIB)) if at else None,
        overdue=at is not None and at < now,
        created_at=created.astimezone(WIB),
    )


def _encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise InvalidInput("cursor", "cursor_invalid") from None
    if not isinstance(key, dict):
        raise InvalidInput("cursor", "cursor_invalid")
    return key
