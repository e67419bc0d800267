"""Routing: which category, track, agency and official a report goes to, decided from the directory.

Deterministic by design (see DESIGN.md, "Routing (contract)"): the same report and directory always
give the same assignment, so a re-delivered stream record routes identically.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Mapping

from msgspec import Struct

from lapor.domain.directory import Category, Directory, Role

__all__ = [
    "Assignment",
    "choose_agency",
    "choose_official",
    "choose_track",
    "classify",
    "route",
]

STANDARD_TRACK = "standard"


class Assignment(Struct, frozen=True):
    """Where a report goes.

    ``category`` is None when no category matched: the report then goes to the national admin for
    manual triage (``triage`` is True, ``agency`` is the national admin's agency). ``fallback`` says
    why the official is not one of the agency's liaisons: ``"admin"`` (no active liaison) or
    ``"national_admin"`` (the agency has no active liaison or admin).
    """

    category: str | None
    track: str
    agency: str
    official: str
    cc: tuple[str, ...]
    triage: bool
    fallback: str | None


# --- keyword matching -------------------------------------------------------------------------------

_Patterns = tuple[re.Pattern[str], ...]


class _Matchers(Struct, frozen=True):
    categories: tuple[tuple[str, _Patterns], ...]  # non-generic categories with keywords, directory order
    tracks: tuple[tuple[str, _Patterns], ...]  # tracks with keywords, directory order


# Keyed by id() because Directory (a pydantic model with dict fields) is unhashable, so neither
# lru_cache nor WeakKeyDictionary can take it. The weakref drops the entry when the directory is
# collected, which is also what makes the id safe from reuse; lookups still check identity.
_CACHE: dict[int, tuple[weakref.ref[Directory], _Matchers]] = {}


# Web addresses and e-mail addresses: a word inside one ("https://x.id/covid", "covid@x.id") is part
# of a name, not something the reporter says, so it must not pick a category or a track.
# Each alternative starts only where a token starts (after a space or an opening bracket or quote), so
# a long run of letters is scanned once, not once per position.
_AT_WORD_START = r"(?<![^\s(\[<\"'])"
_ADDRESSES = re.compile(
    rf"{_AT_WORD_START}(?:[a-z][a-z0-9+.-]*://|www\.)\S*|{_AT_WORD_START}[^\s@]+@\S+", re.IGNORECASE
)


def _fold(text: str) -> str:
    # Addresses are blanked first (keywords never match inside a link or an e-mail address).
    # NFC so a decomposed "é" (e + combining accent) matches a composed keyword and, more importantly,
    # so a keyword cannot end in the middle of a letter whose accent is a separate code point.
    # Lower-casing text and keywords once, instead of re.IGNORECASE, keeps each pattern's leading
    # literal, which lets the regex engine skip ahead with a fast substring search: about 50x faster
    # on a long description.
    return _ADDRESSES.sub(" ", unicodedata.normalize("NFC", text)).lower()


def _compile_keyword(folded: str) -> re.Pattern[str]:
    first, *rest = (re.escape(part) for part in folded.split())
    # The word boundary before the keyword is checked after its first word, as a fixed-width
    # lookbehind, so the pattern still starts with a literal. str patterns are Unicode-aware: \w
    # covers accented letters, digits and "_", so "bus" does not match inside "busuk" or "busán",
    # and "covid" does not match "covid19" but does match "COVID-19".
    body = "".join(rf"\s+{part}" for part in rest)
    return re.compile(rf"{first}(?<!\w{first}){body}(?!\w)")


def _compile_keywords(keywords: Iterable[str]) -> _Patterns:
    patterns: list[re.Pattern[str]] = []
    seen: set[str] = set()
    for keyword in keywords:
        folded = " ".join(_fold(keyword).split())
        # A keyword listed twice (e.g. "KTP" and "ktp") must not count each occurrence twice.
        if folded and folded not in seen:
            seen.add(folded)
            patterns.append(_compile_keyword(folded))
    return tuple(patterns)


def _build_matchers(directory: Directory) -> _Matchers:
    categories = tuple(
        (category.code, patterns)
        for category in directory.categories
        if not category.generic and (patterns := _compile_keywords(category.keywords))
    )
    tracks = tuple(
        (name, patterns)
        for name, track in directory.tracks.items()
        if (patterns := _compile_keywords(track.keywords))
    )
    return _Matchers(categories=categories, tracks=tracks)


def _matchers(directory: Directory) -> _Matchers:
    key = id(directory)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is directory:
        return entry[1]
    matchers = _build_matchers(directory)

    def _forget(ref: weakref.ref[Directory], key: int = key) -> None:
        current = _CACHE.get(key)
        if current is not None and current[0] is ref:
            del _CACHE[key]

    _CACHE[key] = (weakref.ref(directory, _forget), matchers)
    return matchers


def _count(patterns: _Patterns, text: str) -> int:
    return sum(len(pattern.findall(text)) for pattern in patterns)


def _best(candidates: tuple[tuple[str, _Patterns], ...], text: str) -> str | None:
    best: str | None = None
    best_count = 0
    for name, patterns in candidates:
        count = _count(patterns, text)
        # Strictly greater: on a tie the earlier entry (directory order) keeps the lead.
        if count > best_count:
            best, best_count = name, count
    return best


# --- the four steps ---------------------------------------------------------------------------------


def classify(text: str, directory: Directory) -> str | None:
    """The code of the category whose keywords occur most often in ``text``, or None.

    Keywords match as whole words or phrases, case-insensitively and Unicode-aware; each keyword's
    non-overlapping occurrences count. Generic categories never win; ties go to the category listed
    first in the directory; no match at all gives None (manual triage).
    """
    return _best(_matchers(directory).categories, _fold(text))


def choose_category(text: str, requested_category: str | None, directory: Directory) -> Category | None:
    """The reporter's category when the directory has it and it is not generic; else the one the
    text's keywords point to; None when neither (manual triage)."""
    if requested_category is not None:
        requested = directory.categories_by_code.get(requested_category)
        if requested is not None and not requested.generic:
            return requested
    code = classify(text, directory)
    return directory.categories_by_code[code] if code is not None else None


def choose_track(category: Category | None, text: str, directory: Directory) -> str:
    """The deadline track for a report.

    A track with keywords that occur in ``text`` overrides the category's track (most occurrences
    wins, ties by the tracks' order in the directory) — the COVID-19 SOP applies whatever the
    category. Otherwise the category's track, or ``"standard"`` when there is no category.
    """
    matched = _best(_matchers(directory).tracks, _fold(text))
    if matched is not None:
        return matched
    return category.track if category is not None else STANDARD_TRACK


def _region_matches(prefix: str, region: str) -> bool:
    # Whole BPS segments only: "35" covers "35.78", but "3" is not a prefix of "35".
    return region == prefix or region.startswith(prefix + ".")


def choose_agency(category: Category, region: str | None) -> str:
    """The agency competent for ``category`` in ``region`` (a BPS code such as ``35`` or ``35.78``).

    The category's ``regions`` entry with the longest prefix of ``region`` on BPS segment boundaries
    wins, so a regency entry beats its province's; otherwise the category's own agency.
    Raises ValueError for a category with no agency and no matching region (a generic category).
    """
    region = (region or "").strip()
    if region:
        prefixes = [prefix for prefix in category.regions if _region_matches(prefix, region)]
        if prefixes:
            return category.regions[max(prefixes, key=len)]
    if category.agency is None:
        raise ValueError(f"category '{category.code}' has no agency to route to")
    return category.agency


def _candidates(agency: str, directory: Directory) -> tuple[list[str], str | None]:
    liaisons = directory.officials_of(agency, Role.LIAISON)
    if liaisons:
        return [o.id for o in liaisons], None
    admins = directory.officials_of(agency, Role.ADMIN)
    if admins:
        return [o.id for o in admins], "admin"
    return [], "national_admin"


def _least_loaded(candidates: list[str], loads: Mapping[str, int]) -> str:
    return min(candidates, key=lambda official: (loads.get(official, 0), official))


def choose_official(agency: str, directory: Directory, loads: Mapping[str, int]) -> tuple[str, str | None]:
    """The official of ``agency`` to assign, and the fallback used (None, "admin" or "national_admin").

    The active liaison with the fewest open reports in ``loads`` (missing ids count 0), ties by id;
    with no active liaison, the agency's active admins likewise; with neither, the national admin.
    """
    candidates, fallback = _candidates(agency, directory)
    if not candidates:
        return directory.national_admin, fallback
    return _least_loaded(candidates, loads), fallback


def route(
    *,
    title: str,
    description: str,
    requested_category: str | None,
    region: str | None,
    directory: Directory,
    loads_of: Callable[[str], Mapping[str, int]],
) -> Assignment:
    """Route a report: category, then track, agency and official.

    The reporter's category is used when it is in the directory and not generic; otherwise the text
    is classified. With no category the report goes to the national admin for triage, still on the
    track its text calls for. ``loads_of(agency)`` (open reports per official id) is called at most
    once, only for the chosen agency, and only when it has active liaisons or admins to choose from.
    """
    text = title + "\n" + description
    category = choose_category(text, requested_category, directory)
    track = choose_track(category, text, directory)
    cc = directory.tracks[track].cc

    if category is None:
        admin = directory.national_admin
        return Assignment(
            category=None,
            track=track,
            agency=directory.officials_by_id[admin].agency,
            official=admin,
            cc=cc,
            triage=True,
            fallback=None,
        )

    agency = choose_agency(category, region)
    candidates, fallback = _candidates(agency, directory)
    # Loads cost a query in production: skip it when the national admin is the only possibility.
    official = _least_loaded(candidates, loads_of(agency)) if candidates else directory.national_admin
    return Assignment(
        category=category.code,
        track=track,
        agency=agency,
        official=official,
        cc=cc,
        triage=False,
        fallback=fallback,
    )
