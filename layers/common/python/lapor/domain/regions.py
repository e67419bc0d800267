"""Indonesia's regions by Kemendagri code: lookups by code, children of a region, search by name.

Codes are dotted as Kemendagri and BPS write them: province ``35``, regency/city ``35.78``, district
``35.78.01``. People also type them without dots (``3578``), so every lookup normalizes first.
The rows come from the compact file built from the ``idn-area-data`` package (adapters read it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property
from typing import Literal

from msgspec import Struct

RegionLevel = Literal["province", "regency", "district", "village"]
LEVELS: tuple[RegionLevel, ...] = ("province", "regency", "district", "village")
_SEGMENTS = (2, 2, 2, 4)  # digits per level: 35 . 78 . 01 . 1001
# ASCII digits only: \d would also take full-width and other scripts' digits.
_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", re.ASCII)
_UNDOTTED = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{10})$", re.ASCII)
# What a name may be prefixed with that people leave out when they type it.
_PREFIXES = ("kabupaten ", "kota ", "kab. ", "kota administrasi ", "daerah istimewa ")
_WORD = re.compile(r"[a-z0-9]+")
SEARCH_LIMIT = 20


def normalize_region_code(text: str) -> str | None:
    """The dotted form of a region code written with or without dots (``3578`` → ``35.78``), or None."""
    value = text.strip()
    if _DOTTED.match(value):
        return value
    if not _UNDOTTED.match(value):
        return None
    parts, start = [], 0
    for size in _SEGMENTS:
        if start >= len(value):
            break
        parts.append(value[start : start + size])
        start += size
    return ".".join(parts)


def level_of(code: str) -> RegionLevel:
    """``province``, ``regency``, ``district`` or ``village``, from the number of segments."""
    return LEVELS[code.count(".")]


def parent_of(code: str) -> str | None:
    """The code one level up (``35.78.01`` → ``35.78``), None for a province."""
    return code.rsplit(".", 1)[0] if "." in code else None


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type against official names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


class Region(Struct, frozen=True):
    """One province, regency/city or district."""

    code: str
    name: str

    @property
    def level(self) -> RegionLevel:
        return level_of(self.code)

    @property
    def parent(self) -> str | None:
        return parent_of(self.code)


class _Entry(Struct, frozen=True):
    region: Region
    own: tuple[str, ...]  # folded words of the region's own name
    words: tuple[str, ...]  # ... and of every region above it
    short: str  # folded name without "Kabupaten"/"Kota"


class RegionIndex:
    """Every region, looked up by code and searched by name."""

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self._by_code: dict[str, Region] = {}
        self._children: dict[str | None, list[Region]] = {}
        for code, name in rows:
            region = Region(code, name)
            self._by_code[code] = region
            self._children.setdefault(region.parent, []).append(region)

    @cached_property
    def _entries(self) -> list[_Entry]:
        # Built on the first search only: a function that only looks codes up never pays for it.
        return [self._entry(region) for region in self._by_code.values()]

    def __len__(self) -> int:
        return len(self._by_code)

    def _entry(self, region: Region) -> _Entry:
        names = [r.name for r in self.path(region.code)]
        short = fold(region.name)
        for prefix in _PREFIXES:
            short = short.removeprefix(prefix)
        own = tuple(_WORD.findall(fold(region.name)))
        return _Entry(region, own, tuple(_WORD.findall(fold(" ".join(names)))), short)

    def get(self, code: str) -> Region | None:
        """The region with this code (dotted or not), or None when Kemendagri lists no such region."""
        canonical = normalize_region_code(code)
        return self._by_code.get(canonical) if canonical else None

    def path(self, code: str) -> list[Region]:
        """The region and every region above it, smallest first: district, regency, province."""
        found: list[Region] = []
        current: str | None = normalize_region_code(code)
        while current:
            region = self._by_code.get(current)
            if region is not None:
                found.append(region)
            current = parent_of(current)
        return found

    def full_name(self, code: str) -> str | None:
        """``Seputih Surabaya, Kabupaten Lampung Tengah, Lampung``; None for an unknown code."""
        path = self.path(code)
        if not path or path[0].code != normalize_region_code(code):
            return None
        return ", ".join(region.name for region in path)

    def children(self, parent: str | None) -> list[Region]:
        """The regions directly under ``parent`` (provinces when None), in code order."""
        return list(self._children.get(normalize_region_code(parent) if parent else None, ()))

    def search(self, query: str, *, within: str | None = None, limit: int = SEARCH_LIMIT) -> list[Region]:
        """Regions whose name (or a name above them) starts words with every word typed.

        A code, dotted or not, finds that region. Best first: an exact name, then names that start
        with the query, then bigger regions before smaller ones, then code order. ``within`` keeps
        the answer inside one region.
        """
        prefix = (normalize_region_code(within) or "") if within else ""
        code = normalize_region_code(query)
        if code is not None:
            region = self._by_code.get(code)
            inside = region is not None and (not prefix or code.startswith(prefix + "."))
            return [region] if region is not None and inside else []
        typed = _WORD.findall(fold(query))
        if not typed:
            return []
        phrase = " ".join(typed)
        scored: list[tuple[tuple[int, int, int, str], Region]] = []
        for entry in self._entries:
            region = entry.region
            if prefix and not region.code.startswith(prefix + "."):
                continue
            if not all(any(word.startswith(t) for word in entry.words) for t in typed):
                continue
            if entry.short == phrase:
                rank = 0
            elif entry.short.startswith(phrase):
                rank = 1
            elif all(any(word.startswith(t) for word in entry.own) for t in typed):
                rank = 2  # its own name has every word: "Seputih Surabaya" before Surabaya's districts
            else:
                rank = 3
            key = (rank, LEVELS.index(region.level), len(region.name), region.code)
            scored.append((key, region))
        scored.sort(key=lambda pair: pair[0])
        return [region for _, region in scored[:limit]]
