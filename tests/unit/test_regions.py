"""Regions by Kemendagri code (lapor.domain.regions) over the list built from idn-area-data."""

from __future__ import annotations

import pytest

from lapor.adapters.regions_file import load_regions
from lapor.app.regions import find_regions, known_region, region_ref
from lapor.domain.errors import InvalidInput
from lapor.domain.regions import normalize_region_code

REGIONS = load_regions()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("35", "35"),
        ("3578", "35.78"),
        ("357801", "35.78.01"),
        ("3578011001", "35.78.01.1001"),
        ("35.78", "35.78"),
        (" 35.78.01 ", "35.78.01"),
        ("357", None),
        ("35.7", None),
        ("35-78", None),
        ("", None),
        ("\uff13\uff15\uff17\uff18", None),  # full-width digits are not a code
    ],
)
def test_codes_are_read_with_or_without_dots(typed, expected):
    assert normalize_region_code(typed) == expected


def test_the_list_has_every_province_regency_and_district():
    # idn-area-data 4.x: 38 provinces, 514 regencies/cities, 7,285 districts
    levels = [REGIONS.get(code).level for code in ("11", "11.01", "11.01.01")]
    assert levels == ["province", "regency", "district"]
    assert len(REGIONS.children(None)) == 38
    assert len(REGIONS) > 7_000


def test_names_with_the_regions_above():
    assert REGIONS.full_name("3578") == "Kota Surabaya, Jawa Timur"
    assert REGIONS.full_name("35.78.99") is None
    assert region_ref("35.78", REGIONS).model_dump() == {
        "code": "35.78",
        "name": "Kota Surabaya",
        "full_name": "Kota Surabaya, Jawa Timur",
    }
    assert region_ref(None, REGIONS) is None and region_ref("99", REGIONS) is None


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Surabaya", "35.78"),
        ("surabaya", "35.78"),
        ("SURABAYA jawa timur", "35.78"),
        ("kota bandung", "32.73"),
        ("jakarta pusat", "31.71"),
        ("yogyakarta", "34"),
        ("kota yogyakarta", "34.71"),
        ("3578", "35.78"),
        ("35.78.01", "35.78.01"),
    ],
)
def test_search_puts_the_region_people_mean_first(query, first):
    assert find_regions(REGIONS, q=query, parent=None)[0].code == first


def test_search_finds_districts_named_like_the_city_before_the_citys_own_districts():
    codes = [r.code for r in find_regions(REGIONS, q="surabaya", parent=None, limit=4)]
    # Kota Surabaya, then districts whose own name says Surabaya (in Lampung), then Surabaya's districts
    assert codes[0] == "35.78" and set(codes[1:3]) == {"18.02.12", "18.02.26"}


def test_search_within_a_region_and_limits():
    inside = find_regions(REGIONS, q="bandar", parent="18", limit=50)
    assert inside and all(r.code.startswith("18.") for r in inside)
    assert len(find_regions(REGIONS, q="a", parent=None, limit=7)) == 7
    assert find_regions(REGIONS, q="3578", parent="32") == []


def test_unknown_codes_name_the_field():
    assert known_region("3578", REGIONS) == "35.78"
    with pytest.raises(InvalidInput) as raised:
        known_region("35.99", REGIONS)
    assert raised.value.field == "region" and raised.value.message_id == "region_unknown"
    with pytest.raises(InvalidInput) as raised:
        find_regions(REGIONS, q=None, parent="99")
    assert raised.value.field == "parent"
