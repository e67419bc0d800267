"""Regions by name: the list reporters pick from, and the lookup every view uses to name a code."""

from __future__ import annotations

from lapor.domain.errors import InvalidInput
from lapor.domain.models import RegionRef, RegionView
from lapor.domain.regions import SEARCH_LIMIT, Region, RegionIndex


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
