"""The public timeline's bounds: the latest entries that fit a page, and cursors to the earlier ones.

A report's public view carries at most ``PAGE_ENTRIES`` of its latest timeline entries, and no more
than fit ``PAGE_BYTES`` of JSON (officials' notes may be long), with the total count; ``GET
/reports/{id}/timeline?cursor=`` pages back through the rest, oldest first within a page. Entries are
append-only and ordered by commit, so a cursor is simply the position of the first entry already
shown: it stays valid while new entries arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from msgspec import Struct

from lapor.domain.errors import InvalidInput

PAGE_ENTRIES = 100
# The whole public view stays under 64 KB: the timeline gets what the report's other fields leave.
VIEW_BYTES = 60 * 1024
MIN_PAGE_BYTES = 8 * 1024
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,32}")

T = TypeVar("T")


class Page(Struct, Generic[T], frozen=True):
    """Entries of one page (oldest first), how many there are in all, and the cursor to earlier ones."""

    entries: list[T]
    total: int
    next_cursor: str | None


def json_size(value: object) -> int:
    """Bytes of ``value`` as the API sends it (JSON with non-ASCII escaped: the larger form)."""
    return len(json.dumps(value, separators=(",", ":")))


def latest_page(
    entries: Sequence[T],
    *,
    cursor: str | None,
    size_of: Callable[[T], int],
    budget: int,
    limit: int = PAGE_ENTRIES,
) -> Page[T]:
    """The latest ``limit`` entries before ``cursor`` (all, without one) whose sizes fit ``budget``.

    At least one entry is returned when there is one. InvalidInput naming ``cursor`` when it is not a
    cursor this timeline handed out.
    """
    total = len(entries)
    end = decode_cursor(cursor, total) if cursor is not None else total
    start = max(0, end - limit)
    used = 0
    for index in range(end - 1, start - 1, -1):
        used += size_of(entries[index])
        if used > budget and index < end - 1:
            start = index + 1
            break
    return Page(list(entries[start:end]), total, encode_cursor(start) if start > 0 else None)


def encode_cursor(position: int) -> str:
    """The cursor of the entries before ``position``."""
    raw = json.dumps({"before": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, total: int) -> int:
    """The position a cursor points before; InvalidInput naming ``cursor`` for anything else."""
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput("cursor", "cursor_invalid")
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise InvalidInput("cursor", "cursor_invalid") from None
    position = value.get("before") if isinstance(value, dict) and len(value) == 1 else None
    if type(position) is not int or not 0 < position <= total:
        raise InvalidInput("cursor", "cursor_invalid")
    return position
