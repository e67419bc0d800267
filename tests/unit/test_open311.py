"""Open311's pure rules: the specification's defaults, its XML, reading a form, and points to regions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from defusedxml import ElementTree
from moto import mock_aws

from lapor.adapters.regions_file import load_places, load_regions
from lapor.app.regions import region_of_address, region_of_point
from lapor.domain import open311 as spec
from lapor.domain.errors import InvalidInput
from lapor.domain.lifecycle import Status
from lapor.domain.places import PlaceIndex
from local.resources import ResourceNames, Resources, create_resources
from ops.cli import main
from tools.build_places import regency_codes, regency_key

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


# ---- GET requests' arguments --------------------------------------------------------------------


def test_without_dates_the_window_is_the_latest_90_days():
    query = spec.parse_request_query({}, NOW)
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)
    assert not query.by_id and not query.statuses and not query.service_codes


def test_one_date_given_puts_the_other_90_days_away():
    start = spec.parse_request_query({"start_date": "2026-01-01T00:00:00Z"}, NOW)
    assert start.end - start.start == timedelta(days=90)
    end = spec.parse_request_query({"end_date": "2026-06-01T00:00:00+07:00"}, NOW)
    assert end.end - end.start == timedelta(days=90)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start_date": "2026-02-30T00:00:00Z"}, "start_date", "open311_datetime"),
        ({"start_date": "yesterday"}, "start_date", "open311_datetime"),
        ({"end_date": "2026-12-01T10:00:00"}, "end_date", "open311_datetime"),  # no zone
        ({"start_date": "2026-03-01", "end_date": "2026-01-01"}, "end_date", "open311_date_order"),
        ({"start_date": "2026-01-01", "end_date": "2026-04-02"}, "end_date", "open311_span"),
        ({"status": "open,pending"}, "status", "open311_status"),
        ({"service_request_id": ",".join(["X"] * 101)}, "service_request_id", "open311_too_many_ids"),
    ],
)
def test_bad_arguments_are_refused_naming_them(params, field, message):
    with pytest.raises(InvalidInput) as refused:
        spec.parse_request_query(params, NOW)
    assert (refused.value.field, refused.value.message_id) == (field, message)


def test_ids_override_every_other_argument_and_status_maps_to_lapors_statuses():
    by_id = spec.parse_request_query({"service_request_id": "A, B,A", "start_date": "nonsense"}, NOW)
    assert by_id.ids == ("A", "B")
    closed = spec.parse_request_query({"status": "closed"}, NOW).statuses
    assert closed == {Status.COMPLETED, Status.CLOSED, Status.REJECTED}
    assert spec.parse_request_query({"status": "open,closed"}, NOW).statuses == frozenset(Status)
    assert (
        spec.open311_status(Status.IN_PROGRESS) == "open" and spec.open311_status(Status.REJECTED) == "closed"
    )


def test_a_date_alone_starts_at_midnight_wib_and_times_are_answered_in_wib():
    assert spec.parse_w3c("start_date", "2026-12-01") == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert spec.w3c(datetime(2026, 12, 1, 16, 59, 59, 999999, tzinfo=UTC)) == "2026-12-01T23:59:59+07:00"
    assert spec.months_between(datetime(2026, 10, 31, 18, tzinfo=UTC), NOW) == ["2026-12", "2026-11"]


# ---- the XML ------------------------------------------------------------------------------------


def test_lists_are_wrapped_items_and_text_is_escaped():
    # Given a list of requests whose text could be read as markup
    value = [{"service_request_id": "A", "description": "<b>rusak</b> & bahaya", "lat": None, "ok": True}]
    # When it is written as the specification's XML
    text = spec.to_xml("service_requests", value)
    # Then a safe parser reads the wrapper, one <request> per item, and the text as text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests>')
    root = ElementTree.fromstring(text.encode())
    (request,) = root
    assert request.tag == "request"
    assert request.findtext("description") == "<b>rusak</b> & bahaya"
    assert request.find("lat").text is None and request.findtext("ok") == "true"


def test_a_format_is_the_last_suffix():
    assert spec.split_format("7KQ2-MX9R-TH4PW.json") == ("7KQ2-MX9R-TH4PW", "json")
    assert spec.split_format("kesehatan.XML") == ("kesehatan", "xml")
    assert spec.split_format("kesehatan.html") is None and spec.split_format(".json") is None


# ---- POST requests' form ------------------------------------------------------------------------


def form(**fields: str) -> dict[str, list[str]]:
    base = {
        "service_code": "kesehatan",
        "description": "Jalan rusak di depan sekolah.",
        "lat": "-6.9",
        "long": "107.6",
    }
    return {name: [value] for name, value in (base | fields).items()}


def test_a_form_is_read_with_empty_arguments_as_absent():
    submission = spec.parse_submission(
        form(email="", first_name="Budi", last_name="Santoso", **{"attribute[anonymous]": "TRUE"})
    )
    assert submission.email is None and submission.name == "Budi Santoso" and submission.anonymous
    assert (submission.lat, submission.lon) == (-6.9, 107.6)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"service_code": ""}, "service_code", "required"),
        ({"lat": "", "long": ""}, "lat", "open311_location"),
        ({"long": ""}, "long", "open311_lat_long"),
        ({"lat": "nan"}, "lat", "not_number"),
        ({"media_url": "ftp://example.com/a.jpg"}, "media_url", "open311_media_url"),
        ({"attribute[confidential]": "maybe"}, "attribute[confidential]", "not_boolean"),
        ({"description": " "}, "description", "required"),
    ],
)
def test_a_bad_form_is_refused_naming_the_argument(fields, field, message):
    with pytest.raises(InvalidInput) as refused:
        spec.parse_submission(form(**fields))
    assert (refused.value.field, refused.value.message_id) == (field, message)


def test_the_title_is_the_first_sentence_cut_at_a_word():
    assert spec.title_from("Jalan rusak parah. Sudah dua bulan.", "Infrastruktur") == "Jalan rusak parah."
    long_title = spec.title_from("kata " * 60, "Infrastruktur")
    assert len(long_title) <= spec.TITLE_LIMIT and long_title.endswith("kata…")
    assert spec.title_from("Aduh\nJalan di depan sekolah berlubang", "Infrastruktur") == "Infrastruktur: Aduh"


# ---- points and addresses to regions --------------------------------------------------------------


def test_a_point_takes_the_region_of_the_nearest_place_within_100_km():
    places = PlaceIndex([(-6.9175, 107.6191, "32.73"), (-7.2575, 112.7521, "35.78")])
    assert places.nearest(-6.95, 107.65).region == "32.73"  # type: ignore[union-attr]
    assert places.nearest(-11.9, 95.0) is None


@pytest.mark.parametrize(
    ("lat", "lon", "region"),
    [
        (-6.9175, 107.6191, "32.73"),
        (-7.7956, 110.3695, "34.71"),
        (-4.0958, 138.9453, "95.01"),
        (3.5952, 98.6722, "12.71"),
    ],
)
def test_the_shipped_places_map_cities_to_their_kemendagri_regency(lat, lon, region):
    # Bandung, Yogyakarta, Wamena (Papua Pegunungan since 2022), Medan (Kemendagri's code, not BPS's)
    assert region_of_point(lat, lon, load_places(), load_regions()) == region


def test_an_address_is_read_from_its_most_general_part():
    regions = load_regions()
    assert region_of_address("Jl. Kramat Raya 10, Senen, Jakarta Pusat, DKI Jakarta", regions) == "31.71.04"
    assert region_of_address("Jalan Tunjungan 5, Surabaya", regions) == "35.78"
    assert region_of_address("Jl. Sudirman No 5", regions) is None


def test_geonames_regencies_are_matched_to_kemendagri_by_name():
    assert regency_key("South Tapanuli Regency") == regency_key("Kabupaten Tapanuli Selatan")
    assert regency_key("Kota Tanjung Balai") == regency_key("Kota Tanjungbalai")
    assert regency_key("Kota Bandung") != regency_key("Kabupaten Bandung")
    kemendagri = [("12", "Sumatera Utara"), ("12.74", "Kota Tanjungbalai"), ("95.01", "Kabupaten Jayawijaya")]
    matched = regency_codes(
        {"ID.26.1272": "Kota Tanjung Balai", "ID.PE.9402": "Kabupaten Jayawijaya"}, kemendagri
    )
    assert matched == {"ID.26.1272": "12.74", "ID.PE.9402": "95.01"}


# ---- the operator command -------------------------------------------------------------------------


@pytest.fixture
def tables() -> Iterator[Resources]:
    with mock_aws():
        yield create_resources(
            boto3.session.Session(region_name="ap-southeast-3"), ResourceNames("lapor-ops")
        )


def test_keys_are_created_once_listed_and_revoked(tables, capsys):
    table = tables.names.directory_table
    # When an operator creates a key
    assert main(["open311-keys", "create", "Kota Bandung CRM", "--table", table]) == 0
    out = capsys.readouterr().out
    api_key = next(line.split()[-1] for line in out.splitlines() if "api_key" in line)
    assert api_key.startswith(spec.API_KEY_PREFIX)
    # Then only its hash is stored, and the list shows its id
    item = boto3.client("dynamodb", region_name="ap-southeast-3").scan(TableName=table)["Items"]
    assert api_key not in str(item) and spec.hash_api_key(api_key) in str(item)
    assert main(["open311-keys", "list", "--table", table]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "Kota Bandung CRM" in line]
    key_id = line.split()[0]
    assert "active" in line and key_id == spec.key_id_of(spec.hash_api_key(api_key))
    # And revoking it marks it revoked; an unknown or malformed id is refused
    assert main(["open311-keys", "revoke", key_id, "--table", table]) == 0
    assert main(["open311-keys", "list", "--table", table]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["open311-keys", "revoke", "0" * 12, "--table", table]) == 1
    assert main(["open311-keys", "revoke", "nope", "--table", table]) == 2
