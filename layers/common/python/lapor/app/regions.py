"""Regions by name: the list reporters pick from, and the lookup every view uses to name a code."""

from __future__ import annotations

import re

from lapor.domain.errors import InvalidInput
from lapor.domain.models import RegionRef, RegionView
from lapor.domain.places import PlaceIndex
from lapor.domain.regions import SEARCH_LIMIT, Region, RegionIndex

_ADDRESS_PARTS = re.compile(r"[,;\n]")


def region_ref(code: str | None, regions: RegionIndex) -> RegionRef | None:
    """The code and names of a region (``35.78`` → Kota Surabaya, Jawa Timur); None when unknown or empty.

    The one lookup views use to turn a stored code into words (public and official views alike).
    """
    if not code:
        return None
    region = regions.get(code)
    if region is None:
        return None
    return RegionRef(
        code=region.code, name=region.name, full_name=regions.full_name(region.code) or region.name
    )


def known_region(code: str, regions: RegionIndex, *, field: str = "region") -> str:
    """``code`` when Kemendagri lists it (dotted); otherwise InvalidInput naming ``field``."""
    region = regions.get(code)
    if region is None:
        raise InvalidInput(field, "region_unknown", code=code)
    return region.code


def find_regions(
    regions: RegionIndex, *, q: str | None, parent: str | None, limit: int = SEARCH_LIMIT
) -> list[RegionView]:
    """``GET /regions``: matches of ``q`` (inside ``parent`` if given), else ``parent``'s children
    (the provinces when there is no parent either)."""
    within = known_region(parent, regions, field="parent") if parent else None
    text = (q or "").strip()
    found = regions.search(text, within=within, limit=limit) if text else regions.children(within)
    return [_view(region, regions) for region in found]


def _view(region: Region, regions: RegionIndex) -> RegionView:
    return RegionView(
        code=region.code,
        name=region.name,
        level=region.level,  # type: ignore[arg-type]  # the list holds no villages
        parent=region.parent,
        full_name=regions.full_name(region.code) or region.name,
    )


def region_of_point(lat: float, lon: float, places: PlaceIndex, regions: RegionIndex) -> str | None:
    """The Kemendagri region of a point: the region of the nearest known populated place (within
    100 km), or None when no place is that near (``lapor.domain.places``)."""
    nearest = places.nearest(lat, lon)
    if nearest is None:
        return None
    region = regions.get(nearest.region)
    return region.code if region is not None else None


def region_of_address(address: str, regions: RegionIndex) -> str | None:
    """The most precise region an address names, or None.

    Addresses are written from the most specific part to the most general ("Jl. Kramat Raya 10,
    Senen, Jakarta Pusat, DKI Jakarta"): the parts are read from the last one back, each searched
    inside the region found so far; a part that names no region inside it (a street) is skipped.
    """
    found: str | None = None
    for part in reversed([p.strip() for p in _ADDRESS_PARTS.split(address) if p.strip()]):
        matches = regions.search(part, within=found, limit=1)
        if matches:
            found = matches[0].code
    return found
