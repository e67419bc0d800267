"""From a point to a Kemendagri region: the region of the nearest populated place.

No package on the registries this project uses ships Indonesia's administrative boundaries, so a
point (an Open311 client's ``lat``/``long``) is not tested against polygons: it takes the region
of the nearest of about 2,000 populated places (GeoNames, built into ``places.tsv.gz`` by ``make
regions``). That is the right regency for a point in or near a town, and the right province almost
everywhere; near a border it can be the neighbour's. docs/decisions.md, "Open311", says more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from msgspec import Struct

EARTH_RADIUS_KM = 6371.0
# Farther than this from every known place (open sea, or a point outside Indonesia), a point says
# nothing reliable about its region.
MAX_DISTANCE_KM = 100.0


class NearestPlace(Struct, frozen=True):
    """The region of the place nearest to a point, and how far that place is."""

    region: str
    distance_km: float


class PlaceIndex:
    """Populated places with their region codes, searched by distance."""

    def __init__(self, rows: Iterable[tuple[float, float, str]]) -> None:
        self._places = [(math.radians(lat), math.radians(lon), code) for lat, lon, code in rows]

    def __len__(self) -> int:
        return len(self._places)

    def nearest(self, lat: float, lon: float, *, max_km: float = MAX_DISTANCE_KM) -> NearestPlace | None:
        """The nearest place's region within ``max_km``, or None.

        Distances are equirectangular: within a few hundred kilometres of the equator they differ
        from great-circle ones by far less than the places are apart. A linear scan of 2,000 places
        takes about a millisecond, less than the request it serves.
        """
        phi, lam = math.radians(lat), math.radians(lon)
        best: tuple[float, str] | None = None
        for place_phi, place_lam, code in self._places:
            x = (place_lam - lam) * math.cos((place_phi + phi) / 2)
            y = place_phi - phi
            squared = x * x + y * y
            if best is None or squared < best[0]:
                best = (squared, code)
        if best is None:
            return None
        distance = math.sqrt(best[0]) * EARTH_RADIUS_KM
        return NearestPlace(best[1], distance) if distance <= max_km else None
