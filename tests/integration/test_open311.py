"""Open311 GeoReport v2 through the real intake handler on moto, read against the specification:
form encoding, the same answer in JSON and XML (parsed with a safe parser), the defaults of
``GET requests``, and every refusal in the specification's ``[{code, description}]`` shape."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from defusedxml import ElementTree

from lapor.adapters.partners import PartnerKeys
from lapor.domain import open311 as spec
from tests.helpers import api_event, context, response_json

KEY = "partner-test-key"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
VALID = {
    "api_key": KEY,
    "service_code": "kesehatan",
    "description": "Puskesmas Sukajadi tutup pada jam layanan hari Senin pagi.",
    "address_string": "Jl. Sukajadi 5, Sukajadi, Kota Bandung, Jawa Barat",
}


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    import intake_app

    return intake_app.lambda_handler(api_event(method, path, body, **kwargs), context("lapor-intake"))


def post(fields: dict[str, str], fmt: str = "json", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return call(
        "POST", f"/open311/v2/requests.{fmt}", urlencode(fields).encode(), headers=FORM | (headers or {})
    )


def get(path: str, query: str = "", **headers: str) -> dict[str, Any]:
    return call("GET", f"/open311/v2/{path}", query=query, headers=headers or None)


def xml(response: dict[str, Any]) -> Any:
    return ElementTree.fromstring(response["body"].encode())


def content_type(response: dict[str, Any]) -> str:
    headers = response.get("multiValueHeaders") or {}
    return headers.get("Content-Type", [""])[0] if headers else response["headers"]["Content-Type"]


def as_data(element: Any) -> Any:
    """Spark convention read back: a wrapper of repeated items is a list, other elements a dict or text."""
    children = list(element)
    if not children:
        return element.text
    if element.tag in spec.ITEM_ELEMENTS:
        return [as_data(child) for child in children]
    return {child.tag: as_data(child) for child in children}


def scalar(value: Any) -> Any:
    """A JSON value as its XML text reads (an empty text is an empty element)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [scalar(item) for item in value]
    if isinstance(value, dict):
        return {key: scalar(item) for key, item in value.items()}
    return str(value)


@pytest.fixture
def partner(aws: Any) -> PartnerKeys:
    keys = PartnerKeys(aws.names.directory_table)
    keys.add("Test partner", KEY, now=datetime.now(UTC))
    return keys


def test_a_form_encoded_request_is_filed_as_a_report(aws, partner):
    # Given a form as the specification's example sends it: brackets and spaces encoded
    fields = VALID | {
        "attribute[kind]": "aspiration",
        "attribute[anonymous]": "true",
        "email": "warga@example.com",
        "first_name": "Budi",
        "last_name": "Santoso",
        "device_id": "tt222111",
        "media_url": "https://example.com/foto/1.jpg",
        "jurisdiction_id": "lapor.go.id",
        "account_id": "123456",
    }
    # When it is posted
    created = post(fields)
    # Then the answer is the tracking code with the verify deadline, and no token
    assert created["statusCode"] == 200, created["body"]
    assert content_type(created) == "application/json; charset=utf-8"
    [answer] = response_json(created)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert "WIB" in answer["service_notice"]
    # And the report holds what the form said, mapped to Lapor's fields
    report = partner_report(aws, answer["service_request_id"])
    assert report.kind == "aspiration" and report.anonymous and not report.confidential
    assert report.region == "32.73.07"  # Sukajadi, Kota Bandung
    assert report.reporter is not None
    assert (report.reporter.name, report.reporter.email, report.reporter.device_id) == (
        "Budi Santoso",
        "warga@example.com",
        "tt222111",
    )
    assert report.media_url == "https://example.com/foto/1.jpg" and report.address == fields["address_string"]
    assert report.source == "open311:" + spec.key_id_of(spec.hash_api_key(KEY))


def partner_report(aws: Any, report_id: str) -> Any:
    from lapor.adapters.repository import ReportRepository

    return ReportRepository(aws.names.reports_table, aws.names.directory_table, due_shards=8).get(report_id)


@pytest.mark.parametrize(
    ("location", "region"),
    [
        ({"lat": "-7.2575", "long": "112.7521"}, "35.78"),  # Surabaya: the nearest place's regency
        ({"attribute[region]": "3578"}, "35.78"),
        ({"lat": "-6.9", "long": "107.6", "attribute[region]": "35.78"}, "35.78"),  # the attribute decides
    ],
)
def test_a_location_is_a_point_an_address_or_the_region_attribute(aws, partner, location, region):
    fields = {k: v for k, v in VALID.items() if k != "address_string"} | location
    created = post(fields)
    assert created["statusCode"] == 200, created["body"]
    assert partner_report(aws, response_json(created)[0]["service_request_id"]).region == region


def test_every_resource_says_the_same_in_json_and_xml(aws, partner):
    # Given one filed request
    report_id = response_json(post(VALID))[0]["service_request_id"]
    resources = [
        ("discovery", "discovery"),
        ("services", "services"),
        ("services/kesehatan", "service_definition"),
        ("requests", "service_requests"),
        (f"requests/{report_id}", "service_requests"),
        (f"tokens/{report_id}", "service_requests"),
    ]
    for path, root in resources:
        as_json, as_xml = get(f"{path}.json"), get(f"{path}.xml")
        # Then each is UTF-8 XML with the declaration, and its elements are the JSON's names and values
        assert (as_json["statusCode"], as_xml["statusCode"]) == (200, 200), path
        assert content_type(as_xml) == "text/xml; charset=utf-8"
        assert as_xml["body"].startswith('<?xml version="1.0" encoding="UTF-8"?>')
        element = xml(as_xml)
        assert element.tag == root, path
        assert as_data(element) == scalar(response_json(as_json)), path


def test_the_discovery_document_names_this_endpoint(aws, partner):
    document = response_json(
        get("discovery.json", **{"Host": "api.lapor.test", "X-Forwarded-Proto": "https"})
    )
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "https://api.lapor.test/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert document["changeset"] == endpoint["changeset"]


def test_lists_show_only_public_text_newest_first_within_the_defaults(aws, partner, monkeypatch):
    # Given a public report, a confidential one, and the record limit lowered to two
    first = response_json(post(VALID))[0]["service_request_id"]
    secret = response_json(post(VALID | {"attribute[confidential]": "true"}))[0]["service_request_id"]
    second = response_json(post(VALID))[0]["service_request_id"]
    third = response_json(post(VALID))[0]["service_request_id"]
    # When the requests are listed with no arguments
    listed = [r["service_request_id"] for r in response_json(get("requests.json"))]
    # Then the confidential report is not among them, and the newest come first
    assert listed == [third, second, first]
    monkeypatch.setattr(spec, "MAX_RECORDS", 2)
    assert [r["service_request_id"] for r in response_json(get("requests.json"))] == [third, second]
    # And by its tracking code the confidential one shows its state but not its text or place
    [hidden] = response_json(get(f"requests/{secret}.json"))
    assert hidden["status"] == "open" and hidden["description"] is None and hidden["address"] is None
    # And a window that ended before they were filed lists none of them
    old = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response_json(get("requests.json", f"end_date={old}")) == []


def test_filters_by_ids_service_and_status(aws, partner):
    ids = [response_json(post(VALID))[0]["service_request_id"] for _ in range(2)]
    both = response_json(
        get("requests.json", f"service_request_id={ids[0]},{ids[1].lower()},2222-2222-22222")
    )
    assert sorted(r["service_request_id"] for r in both) == sorted(ids)
    assert response_json(get("requests.json", "status=closed")) == []
    assert len(response_json(get("requests.json", "status=open,closed&service_code=kesehatan"))) == 2
    assert response_json(get("requests.json", "service_code=pariwisata")) == []


def test_a_retry_with_the_same_idempotency_key_files_nothing_new(aws, partner):
    first = post(VALID, headers={"Idempotency-Key": "retry-1"})
    again = post(VALID, headers={"Idempotency-Key": "retry-1"})
    assert response_json(first) == response_json(again)
    assert len(response_json(get("requests.json"))) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("label", "request_", "status", "field"),
    [
        ("missing key", ("POST", {k: v for k, v in VALID.items() if k != "api_key"}), 403, "api_key"),
        ("bad key", ("POST", VALID | {"api_key": "guess"}), 403, "api_key"),
        ("unknown service", ("POST", VALID | {"service_code": "sampah"}), 404, "service_code"),
        ("no location", ("POST", {k: v for k, v in VALID.items() if k != "address_string"}), 400, "lat"),
        ("lat without long", ("POST", VALID | {"lat": "-6.9"}), 400, "long"),
        ("a point at sea", ("POST", VALID | {"lat": "-11.9", "long": "95.0"}), 400, "lat"),
        ("unknown region", ("POST", VALID | {"attribute[region]": "35.99"}), 400, "attribute[region]"),
        ("bad email", ("POST", VALID | {"email": "warga@"}), 400, "email"),
        ("short description", ("POST", VALID | {"description": "Tutup"}), 400, "description"),
        ("bad media link", ("POST", VALID | {"media_url": "javascript:alert(1)"}), 400, "media_url"),
        ("malformed date", ("GET", "start_date=2026-13-01"), 400, "start_date"),
        ("date without zone", ("GET", "start_date=2026-12-01T00:00:00"), 400, "start_date"),
        (
            "more than 90 days",
            ("GET", "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"),
            400,
            "end_date",
        ),
        ("bad status", ("GET", "status=pending"), 400, "status"),
        ("unknown service definition", ("GET", "services/sampah"), 404, "service_code"),
        ("unknown request", ("GET", "requests/2222-2222-22222"), 404, None),
        ("unknown token", ("GET", "tokens/nope"), 404, None),
    ],
)
def test_refusals_are_the_specifications_errors_in_both_formats(
    aws, partner, fmt, label, request_, status, field
):
    method, data = request_
    if method == "POST":
        response = post(data, fmt)
    elif "=" in data:
        response = get(f"requests.{fmt}", data, **{"Accept-Language": "en"})
    else:
        response = get(f"{data}.{fmt}", **{"Accept-Language": "en"})
    assert response["statusCode"] == status, (label, response["body"])
    assert content_type(response) == spec.MEDIA_TYPES[fmt]
    if fmt == "json":
        errors = response_json(response)
    else:
        root = xml(response)
        assert root.tag == "errors"
        errors = [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]
    assert errors and all(error["code"] == status for error in errors), errors
    if field is not None and fmt == "xml":
        assert any(
            f"({field})" in e["description"] or field.split("[")[0] in e["description"].lower()
            for e in errors
        ), errors


def test_a_post_that_is_not_a_form_is_refused_without_touching_the_json_routes(aws, partner):
    as_json = call("POST", "/open311/v2/requests.json", VALID)
    assert as_json["statusCode"] == 400 and "form" in response_json(as_json)[0]["description"]
    as_xml = call("POST", "/open311/v2/requests.xml", VALID)
    assert as_xml["statusCode"] == 400 and content_type(as_xml) == spec.MEDIA_TYPES["xml"]
    assert xml(as_xml).tag == "errors"
    # The citizens' JSON route still refuses a form, as before
    refused = call("POST", "/reports", urlencode(VALID).encode(), headers=FORM)
    assert refused["statusCode"] == 415


def test_an_unknown_format_or_resource_is_a_404_in_the_specifications_shape(aws, partner):
    for path in ("services.html", "services/kesehatan.yaml", "nothing.json", "discovery.000", "a/b/c.xml"):
        response = get(path)
        assert response["statusCode"] == 404, path
        assert (
            xml(response).tag == "errors"
            if not path.endswith(".json")
            else response_json(response)[0]["code"] == 404
        )


def test_a_revoked_key_is_refused(aws, partner):
    [record] = partner.list()
    partner.revoke(record.key_id, now=datetime.now(UTC))
    assert post(VALID)["statusCode"] == 403
    assert partner.list()[0].revoked_at is not None


def test_the_api_loads_open311_only_for_an_open311_request():
    # Given a fresh interpreter laid out as Lambda lays out the API function
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, intake_app; "
        "print(sorted(m for m in ('lapor.http.open311', 'lapor.app.open311', 'lapor.domain.open311') "
        "if m in sys.modules))"
    )
    env = {
        "PYTHONPATH": f"{root / 'layers/common/python'}:{root / 'functions/intake'}",
        "AWS_REGION": "ap-southeast-3",
        "PATH": "/usr/bin:/bin",
    }
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # Then a cold start for Lapor's own routes does not pay for Open311's models
    assert loaded.stdout.strip() == "[]"


def test_a_fresh_api_documents_and_serves_open311_from_its_first_request(aws):
    from intake_app import services

    from lapor.http.api import create_app, handle

    def fresh_call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        return handle(fresh, api_event(method, path, body, **kwargs), context("lapor-intake"), 64 * 1024)

    # The OpenAPI document lists Open311's routes before any Open311 request was made
    fresh = create_app(services)
    document = response_json(fresh_call("GET", "/openapi.json"))
    assert {"/open311/v2/discovery.{fmt}", "/open311/v2/requests.{fmt}"} <= set(document["paths"])
    # And a first Open311 request on another fresh API is answered by its route, not a 404
    fresh = create_app(services)
    answered = fresh_call("GET", "/open311/v2/services.json")
    assert answered["statusCode"] == 200
    assert any(service["service_code"] == "kesehatan" for service in response_json(answered))
    # And a refusal on a fresh API is still the specification's
    fresh = create_app(services)
    refused = fresh_call("GET", "/open311/v2/nothing.json")
    assert refused["statusCode"] == 404 and set(response_json(refused)[0]) == {"code", "description"}
