"""The whole lifecycle over HTTP against the local stack, with the messages each step sends."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Http

REPORT = {
    "title": "Puskesmas tutup saat jam layanan",
    "description": "Puskesmas kecamatan tutup pada Senin pagi, dokter tidak ada di tempat.",
    "region": "32.73",
    "reporter": {"name": "Wulan Sari", "email": "wulan@example.com", "phone": "0813-1111-2222"},
}


def submit(stack: Http, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, created = stack.call(
        "POST", "/reports", body or REPORT | {"title": f"Puskesmas tutup {uuid.uuid4().hex[:6]}"}
    )
    assert status == 201, created
    return created


def dispatched(stack: Http, report_id: str) -> dict[str, Any]:
    return stack.wait_for(
        lambda: (v := stack.call("GET", f"/reports/{report_id}")[1])["status"] != "received" and v
    )


def messages_for(stack: Http, report_id: str) -> list[dict[str, Any]]:
    return [m for m in stack.outbox() if report_id in (m.get("subject") or "") + m["body"]]


def wait_messages(stack: Http, report_id: str, count: int) -> list[dict[str, Any]]:
    return stack.wait_for(lambda: (found := messages_for(stack, report_id)) and len(found) >= count and found)


def act(stack: Http, report_id: str, who: str, action: str, note: str = "", **extra: Any) -> tuple[int, Any]:
    return stack.call(
        "POST", f"/reports/{report_id}/actions", {"action": action, "note": note, **extra}, stack.token(who)
    )


def test_full_lifecycle_with_messages_at_each_step(stack: Http):
    # Given a report in the health category, region outside any override → KEMENKES
    created = submit(stack)
    rid, receipt = created["id"], created["receipt"]
    view = dispatched(stack, rid)
    assert view["status"] == "dispatched" and view["agency"]["code"] == "KEMENKES"
    assert view["deadlines"]["verify_by"] and view["deadlines"]["resolve_by"]
    # Then the assignee gets an email and an SMS, and the reporter an acknowledgment
    sent = wait_messages(stack, rid, 3)
    assert {m["channel"] for m in sent} == {"email", "sms"}
    assignee = "kemenkes-lo1" if any("siti@kemkes.go.id" in m["to"] for m in sent) else "kemenkes-lo2"
    assert any("wulan@example.com" in m["to"] for m in sent)

    steps = [
        ("verify", "Laporan diverifikasi", "verified"),
        ("respond", "Tim sedang meninjau", "in_progress"),
        ("complete", "Layanan sudah normal", "completed"),
    ]
    for action, note, status in steps:
        before = len(messages_for(stack, rid))
        code, result = act(stack, rid, assignee, action, note)
        assert code == 200 and result["status"] == status
        # Each step tells the reporter, with the official's note
        update = wait_messages(stack, rid, before + 1)[-1]
        assert "wulan@example.com" in update["to"] and note in update["body"]

    # When the reporter reopens within 10 working days
    before = len(messages_for(stack, rid))
    code, result = stack.call(
        "POST", f"/reports/{rid}/feedback", {"receipt": receipt, "action": "reopen", "comment": "Belum beres"}
    )
    assert code == 200 and result["status"] == "in_progress" and result["deadlines"]["follow_up_by"]
    # Then the official is told
    reopened = wait_messages(stack, rid, before + 1)
    assert any(
        assignee.split("-")[0] in " ".join(m["to"]) or "kemkes" in " ".join(m["to"])
        for m in reopened[before:]
    )

    assert act(stack, rid, assignee, "complete", "Sudah diperbaiki total")[0] == 200
    code, result = stack.call(
        "POST", f"/reports/{rid}/feedback", {"receipt": receipt, "action": "accept", "rating": 5}
    )
    assert code == 200 and result["status"] == "closed"

    timeline = [(e["status"], e["note"]) for e in stack.call("GET", f"/reports/{rid}")[1]["timeline"]]
    assert [s for s, _ in timeline] == [
        "received",
        "dispatched",
        "verified",
        "in_progress",
        "completed",
        "in_progress",
        "completed",
        "closed",
    ]
    # And no public response or message to officials carried the reporter's phone
    public = json.dumps(stack.call("GET", f"/reports/{rid}")[1])
    assert "wulan@example.com" not in public and "1111" not in public


def test_forward_reroutes_and_restarts_verify_clock(stack: Http):
    created = submit(stack)
    rid = created["id"]
    first = dispatched(stack, rid)
    inbox = stack.call("GET", "/inbox", headers=stack.token("kemenkes-admin"))[1]
    assert rid in [item["id"] for item in inbox["items"]]
    code, result = act(stack, rid, "kemenkes-admin", "forward", "Bukan kewenangan kami", to_agency="KEMENPU")
    assert code == 200 and result["status"] == "dispatched"
    view = stack.call("GET", f"/reports/{rid}")[1]
    assert view["agency"]["code"] == "KEMENPU"
    assert view["deadlines"]["verify_by"] >= first["deadlines"]["verify_by"]
    # The new agency's liaison is told; the old agency can no longer act
    stack.wait_for(lambda: any("agus@pu.go.id" in m["to"] for m in messages_for(stack, rid)))
    assert act(stack, rid, "kemenkes-admin", "verify", "x")[0] == 403
    assert act(stack, rid, "kemenpu-lo1", "verify", "Diterima")[0] == 200


def test_reject_requires_a_reason(stack: Http):
    rid = submit(stack)["id"]
    dispatched(stack, rid)
    code, body = act(stack, rid, "kemenkes-admin", "reject", "")
    assert code == 422 and body["errors"][0]["field"] == "note"
    code, body = act(stack, rid, "kemenkes-admin", "reject", "Bukan kewenangan instansi")
    assert code == 200 and body["status"] == "rejected"
    # rejected is terminal
    assert act(stack, rid, "kemenkes-admin", "verify", "x")[0] == 409


def test_auth_failures(stack: Http):
    rid = submit(stack)["id"]
    dispatched(stack, rid)
    body = {"action": "verify", "note": ""}
    # missing and garbage tokens: 401 before the function runs
    assert stack.call("POST", f"/reports/{rid}/actions", body)[0] == 401
    assert stack.call("GET", "/inbox", headers={"Authorization": "Bearer not.a.token"})[0] == 401
    # a tampered token (claims edited, signature kept) is refused
    token = stack.token("kemenkes-lo1")["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:official_id"] = "panrb-admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert (
        stack.call("GET", "/inbox", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"})[0]
        == 401
    )
    # another agency's report: 403; the national admin verifies only what is assigned to it (triage)
    assert act(stack, rid, "kemenpu-lo1", "verify")[0] == 403
    assert act(stack, rid, "panrb-admin", "verify", "Triase nasional")[0] == 403
    assert act(stack, rid, "kemenkes-admin", "verify")[0] == 200
    # a transition the table forbids: 409
    assert act(stack, rid, "kemenkes-admin", "complete", "x")[0] == 200
    assert act(stack, rid, "kemenkes-admin", "verify", "x")[0] == 409


def test_feedback_rules(stack: Http):
    created = submit(stack)
    rid, receipt = created["id"], created["receipt"]
    dispatched(stack, rid)
    # feedback before completion is a conflict; a wrong receipt is forbidden
    assert stack.call("POST", f"/reports/{rid}/feedback", {"receipt": receipt, "action": "accept"})[0] == 409
    assert stack.call("POST", f"/reports/{rid}/feedback", {"receipt": "wrong", "action": "accept"})[0] == 403
    assert (
        stack.call("POST", f"/reports/{rid}/feedback", {"receipt": receipt, "action": "accept", "rating": 9})[
            0
        ]
        == 422
    )


def test_replayed_action_with_idempotency_key_applies_once(stack: Http):
    rid = submit(stack)["id"]
    dispatched(stack, rid)
    headers = stack.token("kemenkes-admin") | {"Idempotency-Key": f"verify-{rid}"}
    body = {"action": "verify", "note": "Diverifikasi"}
    first = stack.call("POST", f"/reports/{rid}/actions", body, headers)
    again = stack.call("POST", f"/reports/{rid}/actions", body, headers)
    assert first == again and first[0] == 200
    verified_events = [
        e for e in stack.call("GET", f"/reports/{rid}")[1]["timeline"] if e["status"] == "verified"
    ]
    assert len(verified_events) == 1


@pytest.mark.parametrize("official", ["nobody", ""])
def test_local_token_refuses_unknown_officials(stack: Http, official: str):
    assert stack.call("POST", "/_local/token", {"official_id": official})[0] in (404, 422)
