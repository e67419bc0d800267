"""POST /reports, GET /reports/{id}, GET /categories and /openapi.json through the real intake handler."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from lapor.domain.ids import RECEIPT_PATTERN
from tests.helpers import api_event, context, response_json

VALID = {
    "kind": "complaint",
    "title": "Puskesmas tutup di jam layanan",
    "description": "Puskesmas Kecamatan Menteng tutup pada jam layanan hari Senin pagi.",
    "region": "31.71",
    "anonymous": False,
    "reporter": {"name": "Andi Wijaya", "email": "Andi.Wijaya@example.com", "phone": "0812-3456-7890"},
}


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    import intake_app

    return intake_app.lambda_handler(api_event(method, path, body, **kwargs), context("lapor-intake"))


def stored_reports(resources: Any) -> list[dict[str, Any]]:
    table = boto3.client("dynamodb").scan(TableName=resources.names.reports_table)["Items"]
    return [item for item in table if item["sk"]["S"] == "REPORT"]


def test_submit_then_track_shows_public_view_without_contact(aws, captured_logs):
    # Given a valid report with the reporter's contact
    # When it is submitted and then tracked
    created = call("POST", "/reports", VALID)
    body = response_json(created)
    view = call("GET", f"/reports/{body['id']}")

    # Then it is stored as received, with a receipt, and the public view has no contact anywhere
    assert created["statusCode"] == 201
    assert body["status"] == "received" and re.fullmatch(RECEIPT_PATTERN, body["receipt"])
    assert body["created_at"].endswith("+07:00")
    public = response_json(view)
    assert view["statusCode"] == 200
    assert public["title"] == VALID["title"] and public["status"] == "received"
    assert public["timeline"][0]["status"] == "received"
    assert set(public["deadlines"]) == {"verify_by", "follow_up_by", "resolve_by", "close_after"}
    logged = captured_logs()
    assert (
        "report received" in logged
    )  # the log is really captured, so its absence of contact means something
    text = view["body"] + created["body"] + logged
    for secret in ("Andi", "andi.wijaya", "8123456789", "example.com"):
        assert secret.lower() not in text.lower()
    # ... but the contact is stored (normalized) for the system's own updates
    [item] = stored_reports(aws)
    assert item["reporter"]["M"]["phone"]["S"] == "+6281234567890"
    assert item["reporter"]["M"]["email"]["S"] == "andi.wijaya@example.com"
    assert "receipt" not in json.dumps(item).lower().replace("receipt_hash", "")


def test_tracking_code_is_forgiving_and_unknown_is_404(aws):
    # Given a stored report
    report_id = response_json(call("POST", "/reports", VALID))["id"]
    # When it is looked up in lower case without dashes, and an unknown or malformed code is asked for
    forgiving = call("GET", f"/reports/{report_id.lower().replace('-', '')}")
    unknown = call("GET", "/reports/2222-2222-22222")
    malformed = call("GET", "/reports/not-a-code")
    # Then the first is found and the others are 404 with a JSON message
    assert forgiving["statusCode"] == 200
    assert unknown["statusCode"] == 404 and malformed["statusCode"] == 404
    assert "message" in response_json(unknown)


def test_confidential_report_hides_title_and_description(aws):
    created = response_json(call("POST", "/reports", VALID | {"confidential": True}))
    public = response_json(call("GET", f"/reports/{created['id']}"))
    assert "title" not in public and "description" not in public


def test_ids_are_unguessable_and_readable(aws):
    ids = {response_json(call("POST", "/reports", VALID))["id"] for _ in range(20)}
    assert len(ids) == 20
    for report_id in ids:
        compact = report_id.replace("-", "")
        assert len(compact) == 13 and not set(compact) & set("01OIL")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param({}, {"title", "description"}, id="missing-required"),
        pytest.param(VALID | {"title": 42}, {"title"}, id="mistyped-title"),
        pytest.param(VALID | {"title": "abc"}, {"title"}, id="title-too-short"),
        pytest.param(VALID | {"description": "x" * 5001}, {"description"}, id="description-too-long"),
        pytest.param(VALID | {"kind": "gossip"}, {"kind"}, id="unknown-kind"),
        pytest.param(VALID | {"region": "3a.71"}, {"region"}, id="region-format"),
        pytest.param(VALID | {"region": "99"}, {"region"}, id="region-unknown-province"),
        pytest.param(VALID | {"category": "Kesehatan!"}, {"category"}, id="category-format"),
        pytest.param(VALID | {"location": {"lat": 95, "lon": 106}}, {"location.lat"}, id="location-range"),
        pytest.param(VALID | {"occurred_on": "2999-01-01"}, {"occurred_on"}, id="occurred-in-future"),
        pytest.param(VALID | {"anonymous": "yes"}, {"anonymous"}, id="anonymous-not-bool"),
        pytest.param(VALID | {"language": "fr"}, {"language"}, id="language"),
        pytest.param(VALID | {"reporter": {"email": "not-an-email"}}, {"reporter.email"}, id="bad-email"),
        pytest.param(VALID | {"reporter": {"phone": "021-5550123"}}, {"reporter.phone"}, id="landline-phone"),
        pytest.param(VALID | {"reporter": {"phone": "+6591234567"}}, {"reporter.phone"}, id="foreign-phone"),
        pytest.param(VALID | {"title": "Judul\x00dengan null"}, {"title"}, id="control-char"),
        pytest.param(VALID | {"surprise": 1}, {"surprise"}, id="unknown-field"),
    ],
)
def test_bad_fields_are_422_naming_each_field(aws, body, fields):
    # When invalid input is submitted
    response = call("POST", "/reports", body)
    # Then it is refused with 422 and every offending field is named; nothing is stored
    assert response["statusCode"] == 422
    named = {error["field"] for error in response_json(response)["errors"]}
    assert fields <= named
    assert stored_reports(aws) == []


@pytest.mark.parametrize(
    ("raw", "headers", "status", "field"),
    [
        pytest.param(b"{not json", {"Content-Type": "application/json"}, 400, "body", id="malformed-json"),
        pytest.param(b"[1, 2]", {"Content-Type": "application/json"}, 422, "body", id="json-array"),
        pytest.param(b"x" * 300_000, {"Content-Type": "application/json"}, 413, "body", id="300kB-body"),
        pytest.param(
            b"--b\r\n",
            {"Content-Type": "multipart/form-data"},
            415,
            "Content-Type",
            id="multipart-no-boundary",
        ),
        pytest.param(
            b"title=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type", id="form"
        ),
        pytest.param(json.dumps(VALID).encode(), {}, 415, "Content-Type", id="no-content-type"),
        pytest.param(b"\xff\xfe", {"Content-Type": "application/json"}, 400, "body", id="not-utf8"),
    ],
)
def test_malformed_requests_are_4xx_never_5xx(aws, raw, headers, status, field):
    response = call("POST", "/reports", raw, headers=headers)
    assert response["statusCode"] == status
    assert response_json(response)["errors"][0]["field"] == field


def test_idempotency_key_retry_returns_same_report_and_stores_one(aws):
    # Given a submission with an Idempotency-Key
    headers = {"Content-Type": "application/json", "Idempotency-Key": "retry-1"}
    first = call("POST", "/reports", VALID, headers=headers)
    # When the client retries with the same key and body
    second = call("POST", "/reports", VALID, headers=headers)
    # Then it gets the same answer and only one report exists
    assert first["statusCode"] == second["statusCode"] == 201
    assert response_json(first) == response_json(second)
    assert len(stored_reports(aws)) == 1


def test_idempotency_key_with_different_body_is_refused(aws):
    headers = {"Content-Type": "application/json", "Idempotency-Key": "retry-2"}
    call("POST", "/reports", VALID, headers=headers)
    reused = call("POST", "/reports", VALID | {"title": "Judul yang lain sama sekali"}, headers=headers)
    assert reused["statusCode"] == 422
    assert response_json(reused)["errors"][0]["field"] == "Idempotency-Key"
    assert len(stored_reports(aws)) == 1


def test_idempotency_key_is_written_in_the_report_transaction(aws):
    from lapor.adapters.aws import client as aws_client

    operations: list[str] = []
    events = aws_client("dynamodb").meta.events
    events.register("before-call.dynamodb", lambda model, **_: operations.append(model.name), "count-ops")
    headers = {"Content-Type": "application/json", "Idempotency-Key": "once-only-7f3a"}
    try:
        # When a report is submitted with an Idempotency-Key
        first = call("POST", "/reports", VALID, headers=headers)
        submitted, operations[:] = list(operations), []
        # ... and the client retries it
        again = call("POST", "/reports", VALID, headers=headers)
        retried = list(operations)
    finally:
        events.unregister("before-call.dynamodb", unique_id="count-ops")

    # Then the first attempt is one DynamoDB request: the report, its event and the key together
    assert submitted == ["TransactWriteItems"]
    # ... the retry is refused by that transaction and answered from the key's record
    assert retried == ["TransactWriteItems", "GetItem"]
    assert response_json(again) == response_json(first)
    assert len(stored_reports(aws)) == 1
    # ... and the stored key is a hash: the client's header itself is not kept
    items = boto3.client("dynamodb").scan(TableName=aws.names.idempotency_table)["Items"]
    records = [item for item in items if item["id"]["S"].startswith("report#")]
    assert len(records) == 1 and records[0]["status"]["S"] == "COMPLETED"
    assert "once-only-7f3a" not in json.dumps(items)
    # ... and the receipt is in neither (a retry derives it again from the key and the secret)
    receipt = response_json(first)["receipt"]
    assert receipt not in json.dumps(items) and receipt.replace("-", "") not in json.dumps(items)


def test_expired_idempotency_key_files_a_new_report(aws):
    from lapor.app.intake import SubmitAttempt

    # Given a key whose record expired (the table's TTL has not removed it yet)
    table = aws.names.idempotency_table
    key = SubmitAttempt(table=table, key="old-key-1", payload=VALID, ttl_seconds=60, secret=b"s").record_key
    boto3.client("dynamodb").put_item(
        TableName=table,
        Item={
            "id": {"S": key},
            "status": {"S": "COMPLETED"},
            "data": {"S": "{}"},
            "validation": {"S": "another payload"},
            "expiration": {"N": "1000"},
        },
    )
    # When the key is used again
    response = call(
        "POST",
        "/reports",
        VALID,
        headers={"Content-Type": "application/json", "Idempotency-Key": "old-key-1"},
    )
    # Then it files a new report, as a new key would
    assert response["statusCode"] == 201
    assert len(stored_reports(aws)) == 1


def test_categories_and_openapi(aws):
    categories = response_json(call("GET", "/categories"))
    assert {"code": "kesehatan", "name": "Kesehatan", "agency": "KEMENKES"} in categories
    document = response_json(call("GET", "/openapi.json"))
    assert document["openapi"].startswith("3.")
    assert {"/reports", "/reports/{report_id}", "/categories"} <= set(document["paths"])


def test_unknown_route_is_json_404(aws):
    response = call("GET", "/nothing-here")
    assert response["statusCode"] == 404
    assert response_json(response)["message"]
