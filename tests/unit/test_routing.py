"""Routing rules (lapor.domain.routing): category, track, agency and official, per DESIGN.md "Routing (contract)".

Every table runs over one small directory built here: a national admin at KEMENPANRB, a standard,
a covid19 and a bencana (disaster) track, health with provincial and city overrides (DKI Jakarta 31,
Jawa Timur 35, Kota Surabaya 35.78), and agencies that exercise every official fallback.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from typing import Any

import pytest

from lapor.domain import routing
from lapor.domain.directory import Category, Directory, parse_directory
from lapor.domain.routing import Assignment, choose_agency, choose_official, choose_track, classify, route

COVID_CC = ("KSP", "ORI", "BNPB", "KEMENKES")


def _official(oid: str, agency: str, role: str, active: bool = True) -> dict[str, Any]:
    return {
        "id": oid,
        "name": oid.title(),
        "email": f"{oid}@example.go.id",
        "agency": agency,
        "role": role,
        "active": active,
    }


def _agency(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Instansi {code}", "kind": "kementerian"}


DIRECTORY_DOC: dict[str, Any] = {
    "national_admin": "panrb-admin",
    "tracks": {
        "standard": {"verify_days": 3, "follow_up_days": 5, "resolve_days": 60},
        "covid19": {
            "verify_days": 1,
            "follow_up_days": 2,
            "resolve_days": 60,
            "keywords": ["covid", "corona", "vaksin"],
            "cc": list(COVID_CC),
        },
        "bencana": {
            "verify_days": 1,
            "follow_up_days": 3,
            "resolve_days": 30,
            "keywords": ["banjir", "gempa bumi"],
            "cc": ["BNPB"],
        },
    },
    "agencies": [
        _agency(code)
        for code in (
            "KEMENPANRB",
            "KEMENKES",
            "DINKES-DKI",
            "DINKES-JATIM",
            "DINKES-SBY",
            "KEMENDIKBUD",
            "KEMENHUB",
            "KEMENDAGRI",
            "BPOM",
            "BNPB",
            "KSP",
            "ORI",
        )
    ],
    "officials": [
        _official("panrb-admin", "KEMENPANRB", "admin"),
        # kemenkes-lo0 sorts first and has no load: only its inactivity keeps it from winning.
        _official("kemenkes-lo0", "KEMENKES", "liaison", active=False),
        _official("kemenkes-lo1", "KEMENKES", "liaison"),
        _official("kemenkes-lo2", "KEMENKES", "liaison"),
        _official("kemenkes-admin", "KEMENKES", "admin"),
        _official("kemenkes-sup", "KEMENKES", "supervisor"),
        _official("dinkes-dki-lo2", "DINKES-DKI", "liaison"),
        _official("dinkes-dki-lo1", "DINKES-DKI", "liaison"),
        # Jawa Timur: its only liaison is inactive, so its admins take the reports.
        _official("dinkes-jatim-lo1", "DINKES-JATIM", "liaison", active=False),
        _official("dinkes-jatim-adm0", "DINKES-JATIM", "admin", active=False),
        _official("dinkes-jatim-adm2", "DINKES-JATIM", "admin"),
        _official("dinkes-jatim-adm1", "DINKES-JATIM", "admin"),
        _official("dinkes-sby-lo1", "DINKES-SBY", "liaison"),
        _official("kemendikbud-lo1", "KEMENDIKBUD", "liaison"),
        _official("kemendikbud-lo2", "KEMENDIKBUD", "liaison"),
        # KEMENHUB has no officials at all; BPOM only a supervisor and an inactive admin.
        _official("kemendagri-lo1", "KEMENDAGRI", "liaison"),
        _official("bpom-sup", "BPOM", "supervisor"),
        _official("bpom-admin", "BPOM", "admin", active=False),
        _official("bnpb-lo1", "BNPB", "liaison"),
    ],
    "categories": [
        {
            "code": "kesehatan",
            "name": "Kesehatan",
            "agency": "KEMENKES",
            "keywords": ["puskesmas", "rumah sakit", "bpjs", "dokter"],
            "regions": {"31": "DINKES-DKI", "35": "DINKES-JATIM", "35.78": "DINKES-SBY"},
        },
        {
            "code": "pendidikan",
            "name": "Pendidikan",
            "agency": "KEMENDIKBUD",
            "keywords": ["sekolah", "guru", "zonasi"],
        },
        {
            "code": "transportasi",
            "name": "Transportasi",
            "agency": "KEMENHUB",
            "keywords": ["bus", "angkot", "jalan tol"],
        },
        {
            "code": "kependudukan",
            "name": "Kependudukan",
            "agency": "KEMENDAGRI",
            "keywords": ["KTP", "e-ktp", "kartu keluarga"],
        },
        {
            "code": "pangan",
            "name": "Pangan",
            "agency": "BPOM",
            "keywords": ["makanan", "kafé", "kedaluwarsa"],
        },
        {
            "code": "karantina",
            "name": "Karantina",
            "agency": "BNPB",
            "track": "covid19",
            "keywords": ["karantina"],
        },
        # Listed last but matched often in complaints: it must still never win classification.
        {"code": "lainnya", "name": "Lainnya", "generic": True, "keywords": ["keluhan", "pelayanan", "bus"]},
    ],
}

DIRECTORY = parse_directory(DIRECTORY_DOC)

# Open reports per official, as the repository would count them, per agency.
LOADS: dict[str, dict[str, int]] = {
    "KEMENKES": {"kemenkes-lo0": 0, "kemenkes-lo1": 5, "kemenkes-lo2": 2, "kemenkes-admin": 0},
    "DINKES-DKI": {"dinkes-dki-lo1": 3, "dinkes-dki-lo2": 3},
    "DINKES-JATIM": {
        "dinkes-jatim-lo1": 0,
        "dinkes-jatim-adm0": 0,
        "dinkes-jatim-adm1": 4,
        "dinkes-jatim-adm2": 1,
    },
    "DINKES-SBY": {},
    # kemendikbud-lo2 is missing: it counts as 0 open reports.
    "KEMENDIKBUD": {"kemendikbud-lo1": 7, "someone-else": 0},
}


def loads_of(agency: str) -> Mapping[str, int]:
    return LOADS.get(agency, {})


def category(code: str) -> Category:
    return DIRECTORY.categories_by_code[code]


# --- route(): the whole decision, end to end --------------------------------------------------------

# id, title, description, requested_category, region,
#   expected (category, track, agency, official, cc, triage, fallback)
ROUTE_CASES = [
    # Regions: national default, province, regency, deeper codes, other province, none.
    (
        "kesehatan-no-region-least-loaded-active-liaison",
        "Antrean puskesmas",
        "Puskesmas buka jam 10.",
        None,
        None,
        ("kesehatan", "standard", "KEMENKES", "kemenkes-lo2", (), False, None),
    ),
    (
        "kesehatan-dki-province-prefix-tie-by-id",
        "Antrean puskesmas",
        "Di Jakarta Selatan.",
        None,
        "31.71",
        ("kesehatan", "standard", "DINKES-DKI", "dinkes-dki-lo1", (), False, None),
    ),
    (
        "kesehatan-dki-village-code",
        "Rumah sakit menolak pasien",
        "",
        None,
        "31.71.01.1001",
        ("kesehatan", "standard", "DINKES-DKI", "dinkes-dki-lo1", (), False, None),
    ),
    (
        "kesehatan-jatim-province-admin-fallback",
        "Puskesmas tutup",
        "Kabupaten Malang.",
        None,
        "35.07",
        ("kesehatan", "standard", "DINKES-JATIM", "dinkes-jatim-adm2", (), False, "admin"),
    ),
    (
        "kesehatan-province-code-alone",
        "Puskesmas tutup",
        "",
        None,
        "35",
        ("kesehatan", "standard", "DINKES-JATIM", "dinkes-jatim-adm2", (), False, "admin"),
    ),
    (
        "kesehatan-surabaya-regency-beats-province",
        "Puskesmas tutup",
        "Kota Surabaya.",
        None,
        "35.78",
        ("kesehatan", "standard", "DINKES-SBY", "dinkes-sby-lo1", (), False, None),
    ),
    (
        "kesehatan-surabaya-district-longest-prefix",
        "Puskesmas tutup",
        "",
        None,
        "35.78.05",
        ("kesehatan", "standard", "DINKES-SBY", "dinkes-sby-lo1", (), False, None),
    ),
    (
        "kesehatan-other-province-category-agency",
        "Puskesmas tutup",
        "Kota Bandung.",
        None,
        "32.73",
        ("kesehatan", "standard", "KEMENKES", "kemenkes-lo2", (), False, None),
    ),
    (
        "region-ignored-for-category-without-regions",
        "Guru jarang hadir",
        "",
        None,
        "31.71",
        ("pendidikan", "standard", "KEMENDIKBUD", "kemendikbud-lo2", (), False, None),
    ),
    # Requested categories.
    (
        "requested-known-beats-keywords",
        "Puskesmas di dekat rumah",
        "Rumah sakit dan puskesmas penuh, tapi saya melapor soal sekolah.",
        "pendidikan",
        "35.78",
        ("pendidikan", "standard", "KEMENDIKBUD", "kemendikbud-lo2", (), False, None),
    ),
    (
        "requested-unknown-classified-by-keywords",
        "Bus kota ugal-ugalan",
        "",
        "olahraga",
        None,
        ("transportasi", "standard", "KEMENHUB", "panrb-admin", (), False, "national_admin"),
    ),
    (
        "requested-generic-classified-by-keywords",
        "KTP belum jadi",
        "Sudah tiga bulan.",
        "lainnya",
        None,
        ("kependudukan", "standard", "KEMENDAGRI", "kemendagri-lo1", (), False, None),
    ),
    (
        "requested-generic-nothing-matches-triage",
        "Lampu taman mati",
        "",
        "lainnya",
        None,
        (None, "standard", "KEMENPANRB", "panrb-admin", (), True, None),
    ),
    # Keyword matching: phrases, whole words, case, punctuation, accents.
    (
        "phrase-keyword-with-odd-spacing",
        "RUMAH   SAKIT",
        "penuh sekali",
        None,
        None,
        ("kesehatan", "standard", "KEMENKES", "kemenkes-lo2", (), False, None),
    ),
    (
        "phrase-words-apart-do-not-match",
        "Rumah saya sakit",
        "Atap bocor.",
        None,
        None,
        (None, "standard", "KEMENPANRB", "panrb-admin", (), True, None),
    ),
    (
        "bus-does-not-match-busuk",
        "Sayur busuk",
        "Dijual di pasar.",
        None,
        None,
        (None, "standard", "KEMENPANRB", "panrb-admin", (), True, None),
    ),
    (
        "uppercase-keyword-matches-lowercase-text",
        "Pembuatan ktp lambat",
        "",
        None,
        None,
        ("kependudukan", "standard", "KEMENDAGRI", "kemendagri-lo1", (), False, None),
    ),
    (
        "punctuation-and-clitic-around-keyword",
        "Kapan (KTP-nya) jadi?!",
        "",
        None,
        None,
        ("kependudukan", "standard", "KEMENDAGRI", "kemendagri-lo1", (), False, None),
    ),
    (
        "accented-uppercase-keyword",
        "KAFÉ menjual sesuatu",
        "",
        None,
        None,
        ("pangan", "standard", "BPOM", "panrb-admin", (), False, "national_admin"),
    ),
    (
        "most-frequent-category-wins",
        "Guru dan dokter",
        "Guru mogok, guru tidak dibayar.",
        None,
        None,
        ("pendidikan", "standard", "KEMENDIKBUD", "kemendikbud-lo2", (), False, None),
    ),
    (
        "category-tie-goes-to-directory-order",
        "Sekolah di samping puskesmas",
        "",
        None,
        None,
        ("kesehatan", "standard", "KEMENKES", "kemenkes-lo2", (), False, None),
    ),
    (
        "no-keyword-triage",
        "Lampu taman mati",
        "Sudah seminggu.",
        None,
        "31.71",
        (None, "standard", "KEMENPANRB", "panrb-admin", (), True, None),
    ),
    (
        "generic-keywords-never-win",
        "Keluhan pelayanan",
        "Pelayanan buruk, keluhan tidak ditanggapi.",
        None,
        None,
        (None, "standard", "KEMENPANRB", "panrb-admin", (), True, None),
    ),
    # Tracks.
    (
        "covid-words-override-kesehatan-track",
        "Vaksin habis di puskesmas",
        "",
        None,
        None,
        ("kesehatan", "covid19", "KEMENKES", "kemenkes-lo2", COVID_CC, False, None),
    ),
    (
        "covid-words-override-pendidikan-track-with-region",
        "Sekolah tatap muka",
        "Murid positif COVID-19 tetapi sekolah tetap buka.",
        None,
        "35.78",
        ("pendidikan", "covid19", "KEMENDIKBUD", "kemendikbud-lo2", COVID_CC, False, None),
    ),
    (
        "covid-words-override-requested-category-track",
        "Corona",
        "",
        "kependudukan",
        None,
        ("kependudukan", "covid19", "KEMENDAGRI", "kemendagri-lo1", COVID_CC, False, None),
    ),
    (
        "covid-words-without-category-triage-on-covid-track",
        "Bantuan corona belum cair",
        "",
        None,
        None,
        (None, "covid19", "KEMENPANRB", "panrb-admin", COVID_CC, True, None),
    ),
    (
        "category-own-track-without-track-words",
        "Karantina mandiri",
        "",
        None,
        None,
        ("karantina", "covid19", "BNPB", "bnpb-lo1", COVID_CC, False, None),
    ),
    (
        "more-track-matches-win",
        "Banjir di puskesmas",
        "Banjir lagi, padahal sudah vaksin.",
        None,
        None,
        ("kesehatan", "bencana", "KEMENKES", "kemenkes-lo2", ("BNPB",), False, None),
    ),
    (
        "track-tie-goes-to-directory-order",
        "Banjir di puskesmas",
        "Vaksin terlambat.",
        None,
        None,
        ("kesehatan", "covid19", "KEMENKES", "kemenkes-lo2", COVID_CC, False, None),
    ),
    (
        "covid19-does-not-match-keyword-covid",
        "Puskesmas covid19",
        "",
        None,
        None,
        ("kesehatan", "standard", "KEMENKES", "kemenkes-lo2", (), False, None),
    ),
    # Officials.
    (
        "supervisor-and-inactive-admin-skipped-national-admin",
        "Makanan kedaluwarsa",
        "",
        None,
        None,
        ("pangan", "standard", "BPOM", "panrb-admin", (), False, "national_admin"),
    ),
]


@pytest.mark.parametrize(
    ("title", "description", "requested", "region", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ROUTE_CASES],
)
def test_route(
    title: str, description: str, requested: str | None, region: str | None, expected: tuple[Any, ...]
) -> None:
    # Given the test directory and the open-report loads in LOADS
    # When a report with this text, requested category and region is routed
    result = route(
        title=title,
        description=description,
        requested_category=requested,
        region=region,
        directory=DIRECTORY,
        loads_of=loads_of,
    )
    # Then every field of the assignment is as expected
    assert result == Assignment(*expected)


# --- classify() -------------------------------------------------------------------------------------

CLASSIFY_CASES = [
    ("whole-word", "Naik bus ke kantor", "transportasi"),
    ("prefix-of-longer-word", "Busuk semua", None),
    ("unicode-letter-after", "Busán", None),
    ("suffix-of-longer-word", "Naik trolibus atau minibus", None),
    ("unicode-letter-before", "ébus", None),
    ("phrase-inside-longer-word", "perjalan tolnya", None),
    ("digit-after", "bus2 rusak", None),
    ("underscore-after", "bus_kota", None),
    ("punctuation-both-sides", "«bus»,", "transportasi"),
    ("end-of-sentence", "Saya naik BUS.", "transportasi"),
    ("decomposed-accent", "kafe\u0301 ini kotor", "pangan"),
    ("accent-required", "kafe ini kotor", None),
    ("phrase-across-newline", "antre di jalan\ntol", "transportasi"),
    ("hyphenated-keyword", "e-KTP hilang", "kependudukan"),
    ("empty-text", "", None),
    ("word-inside-a-link", "Lihat https://contoh.id/bus/jadwal", None),
    ("word-inside-a-bracketed-link", "(lihat http://bus.example)", None),
    ("word-inside-a-www-address", "Situs www.bus.go.id lambat", None),
    ("word-inside-an-email-address", "Tulis ke bus@contoh.id", None),
    ("word-beside-a-link", "Bus kota https://contoh.id/x", "transportasi"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CLASSIFY_CASES]
)
def test_classify(text: str, expected: str | None) -> None:
    # Given the test directory
    # When the text is classified
    # Then the category is the one whose keywords match as whole words, or None
    assert classify(text, DIRECTORY) == expected


def test_classify_counts_repeated_keyword_once_per_occurrence() -> None:
    # Given a category listing the same keyword in two spellings
    doc = {
        **DIRECTORY_DOC,
        "categories": [
            {"code": "a", "name": "A", "agency": "KEMENKES", "keywords": ["KTP", "ktp", "x"]},
            {"code": "b", "name": "B", "agency": "KEMENKES", "keywords": ["y"]},
        ],
    }
    directory = parse_directory(doc)
    # When the text mentions it once and the other category's keyword twice
    # Then the duplicate listing did not double the count
    assert classify("ktp y y", directory) == "b"


# --- choose_track() ---------------------------------------------------------------------------------

TRACK_CASES = [
    ("no-category-no-words", None, "Lampu mati", "standard"),
    ("no-category-covid-words", None, "vaksin", "covid19"),
    ("category-track", "karantina", "karantina", "covid19"),
    ("category-standard", "kesehatan", "puskesmas", "standard"),
    ("words-override-category", "kesehatan", "Gempa  bumi merusak puskesmas", "bencana"),
    ("words-override-even-covid-category", "karantina", "banjir", "bencana"),
    ("track-word-inside-a-link-does-not-count", None, "Info di https://x.id/covid", "standard"),
]


@pytest.mark.parametrize(
    ("code", "text", "expected"), [pytest.param(*case[1:], id=case[0]) for case in TRACK_CASES]
)
def test_choose_track(code: str | None, text: str, expected: str) -> None:
    # Given a category (or none) and a report text
    # When the track is chosen
    # Then track keywords override the category's track, which overrides "standard"
    assert choose_track(category(code) if code else None, text, DIRECTORY) == expected


# --- choose_agency() --------------------------------------------------------------------------------

# Built directly, not parsed: the directory validator rejects "3" and "35.7", but choose_agency must
# still respect BPS segment boundaries if handed such keys.
ODD_REGIONS = Category(
    code="odd",
    name="Odd",
    agency="NATIONAL",
    regions={"3": "THREE", "35.7": "THIRTY-FIVE-DOT-7", "35": "JATIM"},
)

AGENCY_CASES = [
    ("none", category("kesehatan"), None, "KEMENKES"),
    ("empty", category("kesehatan"), "", "KEMENKES"),
    ("province", category("kesehatan"), "31", "DINKES-DKI"),
    ("regency-under-province", category("kesehatan"), "31.74", "DINKES-DKI"),
    ("regency-override", category("kesehatan"), "35.78", "DINKES-SBY"),
    ("village-under-regency", category("kesehatan"), "35.78.05.1001", "DINKES-SBY"),
    ("sibling-regency", category("kesehatan"), "35.79", "DINKES-JATIM"),
    ("other-province", category("kesehatan"), "51.71", "KEMENKES"),
    ("region-shorter-than-keys", category("kesehatan"), "3", "KEMENKES"),
    ("undotted-code-not-a-prefix", category("kesehatan"), "3578", "KEMENKES"),
    ("surrounding-whitespace", category("kesehatan"), " 35.78 ", "DINKES-SBY"),
    ("single-digit-key-never-matches", ODD_REGIONS, "31.71", "NATIONAL"),
    ("partial-segment-key-never-matches", ODD_REGIONS, "35.78", "JATIM"),
]


@pytest.mark.parametrize(
    ("cat", "region", "expected"), [pytest.param(*case[1:], id=case[0]) for case in AGENCY_CASES]
)
def test_choose_agency(cat: Category, region: str | None, expected: str) -> None:
    # Given a category with region overrides
    # When the agency is chosen for a BPS region code
    # Then the longest whole-segment prefix wins, else the category's agency
    assert choose_agency(cat, region) == expected


def test_choose_agency_generic_category_has_no_agency() -> None:
    # Given a generic category (no agency)
    # When an agency is asked for
    # Then it is refused rather than returning None
    with pytest.raises(ValueError, match="lainnya"):
        choose_agency(category("lainnya"), None)


# --- choose_official() ------------------------------------------------------------------------------

OFFICIAL_CASES = [
    ("least-loaded", "KEMENKES", {"kemenkes-lo1": 1, "kemenkes-lo2": 4}, ("kemenkes-lo1", None)),
    (
        "inactive-liaison-skipped",
        "KEMENKES",
        {"kemenkes-lo0": 0, "kemenkes-lo1": 1, "kemenkes-lo2": 1},
        ("kemenkes-lo1", None),
    ),
    (
        "admin-ignored-while-liaisons",
        "KEMENKES",
        {"kemenkes-admin": 0, "kemenkes-lo1": 9, "kemenkes-lo2": 9},
        ("kemenkes-lo1", None),
    ),
    ("tie-by-id", "DINKES-DKI", {"dinkes-dki-lo2": 3, "dinkes-dki-lo1": 3}, ("dinkes-dki-lo1", None)),
    ("missing-load-counts-zero", "DINKES-DKI", {"dinkes-dki-lo1": 1}, ("dinkes-dki-lo2", None)),
    ("empty-loads-tie-by-id", "DINKES-DKI", {}, ("dinkes-dki-lo1", None)),
    (
        "no-liaison-least-loaded-admin",
        "DINKES-JATIM",
        {"dinkes-jatim-adm1": 2, "dinkes-jatim-adm2": 5},
        ("dinkes-jatim-adm1", "admin"),
    ),
    (
        "no-liaison-inactive-admin-skipped",
        "DINKES-JATIM",
        {"dinkes-jatim-adm0": 0},
        ("dinkes-jatim-adm1", "admin"),
    ),
    ("no-officials", "KEMENHUB", {}, ("panrb-admin", "national_admin")),
    ("only-supervisor-and-inactive", "BPOM", {"bpom-sup": 0}, ("panrb-admin", "national_admin")),
    ("unknown-agency", "NOWHERE", {}, ("panrb-admin", "national_admin")),
]


@pytest.mark.parametrize(
    ("agency", "loads", "expected"), [pytest.param(*case[1:], id=case[0]) for case in OFFICIAL_CASES]
)
def test_choose_official(agency: str, loads: dict[str, int], expected: tuple[str, str | None]) -> None:
    # Given an agency's officials and their open-report loads
    # When the official is chosen
    # Then it is the least-loaded active liaison, else admin, else the national admin
    assert choose_official(agency, DIRECTORY, loads) == expected


# --- loads_of is called sparingly --------------------------------------------------------------------


class RecordingLoads:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, agency: str) -> Mapping[str, int]:
        self.calls.append(agency)
        return LOADS.get(agency, {})


@pytest.mark.parametrize(
    ("title", "region", "calls"),
    [
        pytest.param("Puskesmas tutup", "35.78.05", ["DINKES-SBY"], id="regional-agency-only"),
        pytest.param("Puskesmas tutup", None, ["KEMENKES"], id="national-agency"),
        pytest.param("Puskesmas tutup", "35.07", ["DINKES-JATIM"], id="admin-fallback"),
        pytest.param("Bus mogok", None, [], id="no-officials-no-query"),
        pytest.param("Lampu mati", None, [], id="triage-no-query"),
    ],
)
def test_route_calls_loads_of_once_for_chosen_agency(
    title: str, region: str | None, calls: list[str]
) -> None:
    # Given a loads_of that records its calls
    loads = RecordingLoads()
    # When a report is routed
    route(
        title=title,
        description="",
        requested_category=None,
        region=region,
        directory=DIRECTORY,
        loads_of=loads,
    )
    # Then loads were fetched once for the chosen agency, and not at all when there was no one to pick
    assert loads.calls == calls


def test_assignment_is_immutable() -> None:
    # Given an assignment
    result = route(
        title="Puskesmas",
        description="",
        requested_category=None,
        region=None,
        directory=DIRECTORY,
        loads_of=loads_of,
    )
    # When it is modified
    # Then it refuses, so a routing decision cannot be altered after the fact
    with pytest.raises(AttributeError, match="immutable"):
        result.official = "someone"  # type: ignore[misc]


# --- performance sanity: patterns compiled once per directory ----------------------------------------


def _big_directory(tag: str) -> Directory:
    doc = dict(DIRECTORY_DOC)
    doc["categories"] = [
        {
            "code": f"cat{i:02d}",
            "name": f"Kategori {i}",
            "agency": "KEMENKES",
            "keywords": [f"{tag}kata{i}a", f"{tag}kata{i}b", f"{tag}frasa {i}"],
            "regions": {"35": "DINKES-JATIM", "35.78": "DINKES-SBY"},
        }
        for i in range(30)
    ]
    return parse_directory(doc)


def test_route_does_not_recompile_patterns_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a 30-category directory that has routed one report (warm cache)
    directory = _big_directory("w")
    route_args = {
        "title": "wkata29b dan wfrasa 29",
        "description": "vaksin " * 20,
        "requested_category": None,
        "region": "35.78.01",
        "directory": directory,
        "loads_of": loads_of,
    }
    first = route(**route_args)
    compiles: list[str] = []
    real_compile = re.compile

    def counting_compile(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        compiles.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(re, "compile", counting_compile)

    # When it routes many more reports
    results = [route(**route_args) for _ in range(200)]

    # Then nothing was compiled again and the answers did not change
    assert compiles == []
    assert set(results) == {first}
    assert first == Assignment("cat29", "covid19", "DINKES-SBY", "dinkes-sby-lo1", COVID_CC, False, None)

    # And the counter does see compiles: a new directory compiles its patterns exactly once
    fresh = _big_directory("f")
    classify("fkata3a", fresh)
    compiled_once = len(compiles)
    classify("fkata3a", fresh)
    assert compiled_once >= 30 * 3
    assert len(compiles) == compiled_once


def test_pattern_cache_released_with_directory() -> None:
    # Given a directory whose patterns were cached
    directory = _big_directory("g")
    assert classify("gkata1a", directory) == "cat01"
    key = id(directory)
    assert key in routing._CACHE
    # When the directory is dropped (a Lambda reloading a changed directory)
    del directory
    gc.collect()
    # Then its cache entry goes too, so reloads neither leak nor hit a stale entry under a reused id
    assert key not in routing._CACHE


def test_a_long_unbroken_word_is_classified_in_linear_time() -> None:
    # Given a description that is one 20,000-character token with many dots and no address
    text = "a." * 10_000
    # When it is classified (the address filter must not rescan the token from every position)
    # Then it simply matches nothing; a quadratic scan would take minutes here
    assert classify(text, DIRECTORY) is None
