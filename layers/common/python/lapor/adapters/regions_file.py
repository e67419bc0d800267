"""The region list shipped in the package (``lapor/adapters/data/regions.tsv.gz``, built by ``make regions``)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from lapor.domain.regions import RegionIndex

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.tsv.gz"


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
