"""The region and place lists shipped in the package (``lapor/adapters/data/``, built by ``make regions``)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from lapor.domain.places import PlaceIndex
from lapor.domain.regions import RegionIndex

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.tsv.gz"
PLACES_FILE = Path(__file__).resolve().parent / "data" / "places.tsv.gz"


class RegionsMissing(RuntimeError):
    """The compact region file was not built into this package."""


def read_regions(path: Path = REGIONS_FILE) -> RegionIndex:
    """Parse a compact region file (``code<TAB>name`` lines after ``#`` comments)."""
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except FileNotFoundError:
        raise RegionsMissing(f"{path} is missing: build it with `make regions`") from None
    rows = (line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return RegionIndex((code, name) for code, name in rows)


@lru_cache(maxsize=1)
def load_regions() -> RegionIndex:
    """The shipped region list, read once per warm function (about 8,000 regions, 55 KB)."""
    return read_regions()


def read_places(path: Path = PLACES_FILE) -> PlaceIndex:
    """Parse a compact place file (``lat<TAB>lon<TAB>code`` lines after ``#`` comments)."""
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except FileNotFoundError:
        raise RegionsMissing(f"{path} is missing: build it with `make regions`") from None
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return PlaceIndex((float(lat), float(lon), code) for lat, lon, code in rows)


@lru_cache(maxsize=1)
def load_places() -> PlaceIndex:
    """The shipped places (about 2,000, 17 KB), read once per warm function on first use."""
    return read_places()
