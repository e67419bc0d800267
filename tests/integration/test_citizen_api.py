"""Citizens' API through the real intake handler: regions by name, errors in the caller's language,
CORS on every refusal, and repeated headers as API Gateway delivers them."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from lapor.domain.catalogue import FIELDS, MESSAGES, field_name
from tests.helpers import api_event, context, response_json

VALID = {
    "title": "Puskesmas tutup di jam layanan",
    "description": "Puskesmas kecamatan tutup pada jam layanan hari Senin pagi.",
    "reporter": {"email": "warga@example.com"},
}
ORIGIN = "https://lapor.example.go.id"
# Phrases of pydantic, powertools and Python that must never reach a reader.
LIBRARY_PHRASES = re.compile(
    r"value error|field required|input should|string should|invalid input|extra inputs|"
    r"valid dictionary|unable to parse|not a valid|is not valid json|validation error|"
    r"type=|pydantic|errors\.pydantic\.dev|traceback",
    re.IGNORECASE,
)


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    import intake_app

    return intake_app.lambda_handler(api_event(method, path, body, **kwargs), context("lapor-intake"))


def report_item(resources: Any, report_id: str) -> dict[str, Any]:
    return boto3.client("dynamodb").get_item(
        TableName=resources.names.reports_table,
        Key={"pk": {"S": f"REPORT#{report_id}"}, "sk": {"S": "REPORT"}},
    )["Item"]


# --- regions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["3578", "35.78", " 35.78 "])
def test_region_is_accepted_dotted_or_not_and_stored_dotted(aws, typed):
    # When a report names Kota Surabaya with or without dots
    created = call("POST", "/reports", VALID | {"region": typed})
    # Then it is stored dotted and the public view names it
    assert created["statusCode"] == 201, created["body"]
    report_id = response_json(created)["id"]
    assert report_item(aws, report_id)["region"]["S"] == "35.78"
    view = response_json(call("GET", f"/reports/{report_id}"))
    assert view["region"] == {
        "code": "35.78",
        "name": "Kota Surabaya",
        "full_name": "Kota Surabaya, Jawa Timur",
    }


@pytest.mark.parametrize("typed", ["35.99", "3599", "35.78.99", "31.71.01.1001"])
def test_a_region_kemendagri_does_not_list_is_422_naming_region(aws, typed):
    response = call("POST", "/reports", VALID | {"region": typed})
    assert response["statusCode"] == 422
    [error] = response_json(response)["errors"]
    assert error["field"] == "region" and error["code"] == "region_unknown"
    assert "Wilayah" in error["message"] and "daftar" in error["message"]


def test_confidential_report_does_not_show_its_region(aws):
    created = response_json(call("POST", "/reports", VALID | {"region": "3578", "confidential": True}))
    assert response_json(call("GET", f"/reports/{created['id']}"))["region"] is None


def test_regions_search_by_name_finds_surabaya_first(aws):
    # When a citizen types "surabaya"
    response = call("GET", "/regions", query="q=surabaya")
    found = response_json(response)
    # Then Kota Surabaya comes first, with its level and the province above it
    assert response["statusCode"] == 200
    assert found[0] == {
        "code": "35.78",
        "name": "Kota Surabaya",
        "level": "regency",
        "parent": "35",
        "full_name": "Kota Surabaya, Jawa Timur",
    }
    assert "max-age" in response["multiValueHeaders"]["Cache-Control"][0]


def test_regions_without_query_list_provinces_then_children(aws):
    provinces = response_json(call("GET", "/regions"))
    assert len(provinces) == 38 and provinces[0]["code"] == "11" and provinces[0]["level"] == "province"
    regencies = response_json(call("GET", "/regions", query="parent=35"))
    assert {"35.78", "35.73"} <= {r["code"] for r in regencies}
    districts = response_json(call("GET", "/regions", query="parent=3578"))
    assert all(d["level"] == "district" and d["parent"] == "35.78" for d in districts)
    inside = response_json(call("GET", "/regions", query="q=bandar&parent=18"))
    assert inside and all(r["code"].startswith("18.") for r in inside)


@pytest.mark.parametrize(
    ("query", "field"), [("parent=99", "parent"), ("parent=abc", "parent"), ("limit=0", "limit")]
)
def test_bad_region_queries_name_the_parameter(aws, query, field):
    response = call("GET", "/regions", query=query)
    assert response["statusCode"] == 422
    assert response_json(response)["errors"][0]["field"] == field


# --- errors in the caller's language ---------------------------------------------------------------

# One request for every kind of 4xx the citizens' and officials' API answers.
FOUR_XX: list[tuple[str, dict[str, Any], int]] = [
    ("missing-fields", {"method": "POST", "path": "/reports", "body": {}}, 422),
    ("field-errors", {"method": "POST", "path": "/reports", "body": VALID | {"title": "ab", "anonymous": "yes",
                                                                               "reporter": {"email": "x"}}}, 422),
    ("unknown-field", {"method": "POST", "path": "/reports", "body": VALID | {"surprise": 1}}, 422),
    ("unknown-region", {"method": "POST", "path": "/reports", "body": VALID | {"region": "35.99"}}, 422),
    ("not-json", {"method": "POST", "path": "/reports", "body": b"{nope",
                  "headers": {"Content-Type": "application/json"}}, 400),
    ("not-an-object", {"method": "POST", "path": "/reports", "body": b"[1]",
                       "headers": {"Content-Type": "application/json"}}, 422),
    ("form-body", {"method": "POST", "path": "/reports", "body": b"a=b",
                   "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415),
    ("too-large", {"method": "POST", "path": "/reports", "body": b"x" * 70_000,
                   "headers": {"Content-Type": "application/json"}}, 413),
    ("unknown-report", {"method": "GET", "path": "/reports/2222-2222-22222"}, 404),
    ("unknown-route", {"method": "GET", "path": "/nothing-here"}, 404),
    ("feedback-wrong-receipt", {"method": "POST", "path": "/reports/{id}/feedback",
                                "body": {"receipt": "AAAA-BBBB-CCCC-DDDD", "action": "accept"}}, 403),
    ("feedback-bad-action", {"method": "POST", "path": "/reports/{id}/feedback",
                             "body": {"receipt": "x", "action": "maybe", "rating": 9}}, 422),
    ("stats-period", {"method": "GET", "path": "/stats", "query": "period=2026-13"}, 422),
    ("inbox-without-sign-in", {"method": "GET", "path": "/inbox"}, 401),
    ("regions-parent", {"method": "GET", "path": "/regions", "query": "parent=99"}, 422),
]  # fmt: skip


@pytest.fixture
def report_id(aws) -> str:
    return response_json(call("POST", "/reports", VALID))["id"]


def _request(case: dict[str, Any], report_id: str, language: str | None) -> dict[str, Any]:
    kwargs = dict(case)
    path = kwargs.pop("path").replace("{id}", report_id)
    method = kwargs.pop("method")
    body = kwargs.pop("body", None)
    headers = dict(kwargs.pop("headers", {"Content-Type": "application/json"} if body is not None else {}))
    if language:
        headers["Accept-Language"] = language
    return call(method, path, body, headers=headers, **kwargs)


@pytest.mark.parametrize(("name", "case", "status"), FOUR_XX, ids=[c[0] for c in FOUR_XX])
@pytest.mark.parametrize(
    ("accept", "language"),
    [
        (None, "id"),
        ("id-ID,id;q=0.9", "id"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,en;q=0.5", "en"),
        ("de", "id"),
    ],
    ids=["default", "indonesian", "english", "english-second", "neither"],
)
def test_every_4xx_speaks_the_callers_language_in_our_words(
    aws, report_id, name, case, status, accept, language
):
    # When the request is refused
    response = _request(case, report_id, accept)
    body = response_json(response)
    # Then the status is right, and every message is the catalogue's, in the chosen language
    assert response["statusCode"] == status, response["body"]
    catalogue = {entry[language] for entry in MESSAGES.values()}
    assert body["code"] in MESSAGES
    texts = [body["message"], *(error["message"] for error in body["errors"])]
    assert not LIBRARY_PHRASES.search(" ".join(texts)), texts
    for error in body["errors"]:
        # ... naming the field in words, as the pages name it
        assert error["code"] in MESSAGES
        named = field_name(error["field"], language)
        assert named in error["message"], (named, error)
    if status == 422 or status == 400:
        assert body["errors"], "a refused input names its field"
    # ... and the wording is that language's (an Indonesian answer is not the English one)
    other = "en" if language == "id" else "id"
    if body["message"] in {entry[other] for entry in MESSAGES.values()} - catalogue:
        pytest.fail(f"{body['message']!r} is the {other} wording")


def test_messages_name_fields_and_say_how_to_fix(aws):
    # Given a report with a too-short title and an invalid email, in Indonesian
    body = response_json(call("POST", "/reports", VALID | {"title": "ab", "reporter": {"email": "warga@"}}))
    by_field = {error["field"]: error["message"] for error in body["errors"]}
    # Then each message names the field and says what to do
    assert by_field["title"] == "Judul laporan terlalu pendek: tulis paling sedikit 5 karakter."
    assert by_field["reporter.email"] == "Email harus berupa alamat email lengkap, misalnya nama@contoh.id."
    assert body["message"] == "Periksa isian yang ditandai."


def test_the_catalogue_is_served_for_the_pages(aws):
    response = call("GET", "/messages")
    document = response_json(response)
    assert document["messages"] == MESSAGES and document["fields"] == FIELDS
    assert set(document["item"]) == {"id", "en"}


# --- the deployed API's shapes: CORS on refusals, repeated headers --------------------------------


@pytest.fixture
def cors_api(aws, monkeypatch):
    """The intake function deployed with one allowed web origin (its module is re-imported)."""
    import importlib

    import intake_app

    monkeypatch.setenv("LAPOR_CORS_ORIGINS", ORIGIN)
    importlib.reload(intake_app)
    yield
    monkeypatch.delenv("LAPOR_CORS_ORIGINS")
    importlib.reload(intake_app)


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{nope", "application/json", 400),
        (b"x" * 70_000, "application/json", 413),
        (b"a=b", "application/x-www-form-urlencoded", 415),
        (b"[1]", "application/json", 422),
    ],
)
def test_refusals_before_the_resolver_carry_cors_headers(cors_api, raw, content_type, status):
    # When a page on the allowed origin sends something the pre-check refuses
    response = call("POST", "/reports", raw, headers={"Content-Type": content_type, "Origin": ORIGIN})
    # Then the browser may read the refusal: it carries the same CORS headers as any other answer
    assert response["statusCode"] == status
    assert response["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    # ... and another origin gets none
    other = call(
        "POST", "/reports", raw, headers={"Content-Type": content_type, "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in other["headers"]


def test_resolver_answers_carry_cors_headers_too(cors_api):
    response = call(
        "POST", "/reports", {"title": "x"}, headers={"Content-Type": "application/json", "Origin": ORIGIN}
    )
    assert response["statusCode"] == 422
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == [ORIGIN]


def _repeated(key_values: list[str]) -> dict[str, Any]:
    import json

    headers = [("Content-Type", "application/json"), *(("Idempotency-Key", v) for v in key_values)]
    from local.gateway import proxy_event

    return proxy_event(
        "POST",
        "/reports",
        "",
        headers,
        json.dumps(VALID).encode(),
        resource="/reports",
        params={},
        claims=None,
    )


def test_an_idempotency_key_sent_twice_with_one_value_counts_once(aws):
    import intake_app

    # Given API Gateway's event for a request that repeats the same Idempotency-Key
    event = _repeated(["same-key-1", "same-key-1"])
    assert event["multiValueHeaders"]["Idempotency-Key"] == ["same-key-1", "same-key-1"]
    # When it is sent twice
    first = intake_app.lambda_handler(event, context())
    second = intake_app.lambda_handler(_repeated(["same-key-1"]), context())
    # Then it is one key: filed once, the retry answered with the first answer
    assert first["statusCode"] == 201, first["body"]
    assert response_json(second) == response_json(first)


def test_an_idempotency_key_with_two_values_is_refused_in_our_words(aws):
    import intake_app

    response = intake_app.lambda_handler(_repeated(["key-a", "key-b"]), context())
    assert response["statusCode"] == 422
    [error] = response_json(response)["errors"]
    assert error["field"] == "Idempotency-Key" and error["code"] == "header_repeated"
    assert error["message"] == (
        "Header Idempotency-Key dikirim lebih dari sekali dengan nilai berbeda. Kirim satu kali saja."
    )
