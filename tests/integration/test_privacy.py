"""Privacy and abuse, through the real handlers on moto: the canary suite and the bounds.

A canary reporter (a name, an email and a phone nobody else uses) files ordinary, anonymous and
confidential reports and types their own identity, in every shape a number is written, into every
free text; officials quote it in every note of a full lifecycle. Then every path is searched: the
public view and its timeline pages, officials' views and inboxes of anonymous reports, every email
and SMS sent, every log line, and every table (for receipts). The relay attempt, the daily limit per
contact, commit order under 20 parallel moves, the reopen limit, the page size and cursors follow.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from local.moto_patches import cached_action_lookup, one_dynamodb_request_at_a_time, plain_json_item_responses
from tests.helpers import api_event, context, response_json
from tests.integration.conftest_officials import KEMENKES_REPORT, Officials, officials  # noqa: F401
from tests.integration.conftest_route_notify import Pipeline, pipeline  # noqa: F401


@pytest.fixture(autouse=True)
def _moto_as_the_local_stack_runs_it():
    """moto with the local stack's speed-ups (same answers, without its slow generic serializer)."""
    with plain_json_item_responses(), cached_action_lookup():
        yield


# ---- the canary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canary:
    """An identity that exists nowhere else: any sighting where the contract forbids it is a leak."""

    surname: str
    email: str
    digits: str  # eight digits after 0812

    @property
    def name(self) -> str:
        return f"Ratna {self.surname}"

    def phone_shapes(self) -> list[str]:
        """How people type the number: 0812-…, +62 812 …, 62812…, and without separators."""
        d = self.digits
        return [f"0812-{d[:4]}-{d[4:]}", f"+62 812 {d[:4]} {d[4:]}", f"62812{d}", f"0812{d}"]

    def typed(self, where: str) -> str:
        """A sentence of free text carrying the whole identity, as someone might write it."""
        shapes = ", ".join(self.phone_shapes())
        return f"{where}: saya {self.name}, email {self.email.upper()}, telepon {shapes}."

    def leaks(self, text: str, *, name: bool = True) -> list[str]:
        """Which parts of the identity ``text`` carries (digits are also sought without separators)."""
        found = [label for label, needle in self.needles(name=name).items() if needle.lower() in text.lower()]
        if "812" + self.digits in re.sub(r"[\s\-().+/]", "", text):
            found.append("phone digits")
        return found

    def needles(self, *, name: bool) -> dict[str, str]:
        needles = {"email": self.email, "email local part": self.email.split("@")[0]}
        needles |= {f"phone {shape!r}": shape for shape in self.phone_shapes()}
        if name:
            needles |= {"name": self.name, "surname": self.surname}
        return needles


def make_canary() -> Canary:
    digits = "".join(secrets.choice("23456789") for _ in range(8))
    return Canary(
        surname="Kanari" + secrets.token_hex(4),
        email=f"canary.{secrets.token_hex(6)}@example.com",
        digits=digits,
    )


def intake(
    method: str, path: str, body: Any = None, *, query: str = "", headers: dict[str, str] | None = None
):
    import intake_app

    if body is not None:
        headers = {"Content-Type": "application/json", **(headers or {})}
    response = intake_app.lambda_handler(
        api_event(method, path, body, query=query, headers=headers), context("lapor-intake")
    )
    return response["statusCode"], response_json(response)


def submit(body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, created = intake("POST", "/reports", body, headers=headers)
    assert status == 201, created
    return created


VARIANTS = {
    "ordinary": {},
    "anonymous": {"anonymous": True},
    "confidential": {"confidential": True},
    "anonymous and confidential": {"anonymous": True, "confidential": True},
}


@pytest.fixture
def canary_reports(officials: Officials, capfd: pytest.CaptureFixture[str]):  # noqa: F811
    """Every variant through a whole lifecycle with the canary everywhere; what came out of it."""
    canary = make_canary()
    pipe = officials.pipeline
    contact = {"name": canary.name, "email": canary.email, "phone": canary.phone_shapes()[0]}
    created: dict[str, dict[str, Any]] = {}
    for label, flags in VARIANTS.items():
        body = (
            KEMENKES_REPORT
            | flags
            | {
                "title": f"Puskesmas tutup, hubungi {canary.name} {canary.phone_shapes()[1]}",
                "description": canary.typed("Isi laporan puskesmas"),
                "reporter": contact,
            }
        )
        created[label] = submit(body, headers={"Idempotency-Key": f"canary-{label}-{secrets.token_hex(4)}"})
    pipe.route()
    for label, report in created.items():
        rid = report["id"]
        assignee = pipe.report(rid).assignee
        assert assignee
        for action in ("verify", "respond", "complete"):
            status, answer = officials.act(rid, assignee, action, canary.typed(f"Catatan {action}"))
            assert status == 200, (label, action, answer)
        status, answer = intake(
            "POST",
            f"/reports/{rid}/feedback",
            {"receipt": report["receipt"], "action": "reopen", "comment": canary.typed("Alasan membuka")},
        )
        assert status == 200, answer
        assert officials.act(rid, assignee, "complete", canary.typed("Catatan akhir"))[0] == 200
        assert (
            intake("POST", f"/reports/{rid}/feedback", {"receipt": report["receipt"], "action": "accept"})[0]
            == 200
        )
    pipe.route()
    pipe.notify()
    return canary, created, capfd


def test_canary_reaches_no_reader_the_contract_forbids(canary_reports, officials: Officials):  # noqa: F811
    canary, created, capfd = canary_reports
    pipe = officials.pipeline
    # Given the lifecycles above (guard against a vacuous pass: they ran and wrote to everyone)
    assert all(pipe.report(r["id"]).status.value == "closed" for r in created.values())
    # Then the public view and its timeline pages carry nothing of the reporter's, for every variant
    for label, report in created.items():
        rid = report["id"]
        view = pipe.track(rid)
        assert len(view["timeline"]) >= 8 and view["timeline_total"] == len(view["timeline"])
        assert "[…]" in json.dumps(view, ensure_ascii=False)
        status, page = intake("GET", f"/reports/{rid}/timeline")
        assert status == 200
        for body in (view, page):
            assert not canary.leaks(json.dumps(body, ensure_ascii=False)), (label, body)
    # ... officials reading an anonymous report (view and inbox) see no identity, and no contact in text
    assignee = pipe.report(created["anonymous"]["id"]).assignee
    _, inbox = officials.inbox(assignee, "limit=100")
    for label in ("anonymous", "anonymous and confidential"):
        rid = created[label]["id"]
        status, view = officials.view(rid, assignee)
        assert status == 200 and view["view"] == "official" and view["reporter"] is None
        assert not canary.leaks(json.dumps(view, ensure_ascii=False)), (label, view)
        item = next(i for i in inbox["items"] if i["id"] == rid)
        assert not canary.leaks(json.dumps(item, ensure_ascii=False)), item
    # ... the officials of an ordinary report see who reported it (they must be able to follow up)
    status, view = officials.view(created["ordinary"]["id"], assignee)
    assert view["reporter"]["email"] == canary.email
    # ... no email or SMS to an official carries the reporter's contact, nor an anonymous one's name
    emails, sms = pipe.emails(), pipe.sms()
    anonymous_ids = {created[label]["id"] for label in VARIANTS if "anonymous" in label}
    to_officials = [e for e in emails if canary.email not in e.destinations["ToAddresses"]]
    assert len(to_officials) >= 8
    for message in to_officials:
        text = f"{message.subject}\n{message.body}"
        about_anonymous = any(rid in text for rid in anonymous_ids)
        assert not canary.leaks(text, name=about_anonymous), (message.subject, canary.leaks(text))
    # ... and the reporter's own messages carry none of the text typed into the report
    to_reporter = [e for e in emails if canary.email in e.destinations["ToAddresses"]]
    assert len(to_reporter) >= 4 * 5  # acknowledgment and status updates of every report
    for message in to_reporter:
        assert "Puskesmas tutup" not in message.body and "Isi laporan" not in message.body
        assert "Alasan membuka" not in message.body
        assert not canary.leaks(f"{message.subject}\n{message.body}"), message.subject
    assert sms and not [
        text for _, text in sms if canary.leaks(text, name=any(r in text for r in anonymous_ids))
    ]
    # ... no log line names the reporter or their contact
    out, err = capfd.readouterr()
    logged = [line for line in (out + err).splitlines() if canary.leaks(line)]
    assert not logged, logged[:3]
    # ... the open-data export's rows carry no reporter data (title and description redacted)
    import intake_app

    from lapor.domain.open_data import open_data_row

    directory = intake_app.services().directory()
    for label, report in created.items():
        row = open_data_row(pipe.report(report["id"]), directory)
        assert not canary.leaks(json.dumps(row, default=str, ensure_ascii=False)), (label, row)
        assert ("[…]" in (row["description"] or "")) is ("confidential" not in label)
    # ... and no table holds a receipt in plaintext, in any written form
    assert_no_plaintext_receipts(pipe, [r["receipt"] for r in created.values()])


def assert_no_plaintext_receipts(pipe: Pipeline, receipts: list[str]) -> None:
    """Scan every table of the deployment: no receipt, with or without its dashes, in any attribute."""
    client = boto3.client("dynamodb")
    names = pipe.resources.names
    tables = [names.reports_table, names.directory_table, names.idempotency_table]
    dumped = ""
    for table in tables:
        for page in client.get_paginator("scan").paginate(TableName=table):
            dumped += json.dumps(page["Items"], default=str)
    assert len(dumped) > 10_000  # the tables were read
    for receipt in receipts:
        assert receipt not in dumped and receipt.replace("-", "") not in dumped


# ---- no relay, and the daily limit per contact ------------------------------------------------------


def test_relay_attempt_sends_no_typed_text_and_the_sixth_report_nothing(pipeline: Pipeline):  # noqa: F811
    # Given an attacker filing six reports in a day with a bait title and someone else's phone only
    victim_phone = "0813-9876-5432"
    bait = "Menangkan hadiah di evil.example/klaim"
    body = KEMENKES_REPORT | {
        "title": bait,
        "description": f"{bait} sekarang juga sebelum kehabisan",
        "reporter": {"name": bait[:60], "phone": victim_phone},
    }
    ids = [pipeline.submit(body) for _ in range(6)]
    pipeline.route()
    pipeline.notify()
    # Then the number got the acknowledgments of five reports, none carrying the typed text
    to_victim = [text for phone, text in pipeline.sms() if phone == "+6281398765432"]
    assert len(to_victim) == 5, to_victim
    assert not [text for text in to_victim if "evil" in text or "hadiah" in text.lower()]
    assert sorted(rid for rid in ids if any(rid in text for text in to_victim)) == sorted(ids[:5])
    # ... the sixth was filed all the same and says on its timeline why nothing was sent
    sixth = pipeline.track(ids[5])
    assert sixth["status"] == "dispatched"
    assert [entry["event"] for entry in sixth["timeline"]][:2] == ["submit", "messages_skipped"]
    # ... its messages are settled for the re-drive (nothing to expect, so never re-driven)
    from lapor.adapters.repository import ReportRepository
    from lapor.app.redrive import unconfirmed_messages

    repo: ReportRepository = pipeline.repository
    pending = repo.pending_messages(ids[5])
    report = pipeline.report(ids[5])
    assert report.contact_muted
    if pending is not None:
        import intake_app

        left = unconfirmed_messages(
            pending,
            report,
            repo.delivery_markers(ids[5]),
            directory=intake_app.services().directory(),
            sms_enabled=True,
            now=report.updated_at,
        )
        assert [u.notification.recipient for u in left if u.notification.recipient == "reporter"] == []


# ---- order: 20 parallel conflicting moves, 20 times ------------------------------------------------


def _public_statuses(view: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in view["timeline"] if entry.get("event") not in (None, "escalate")]


@pytest.mark.parametrize(("moves", "repetitions"), [(("complete", "reject"), 20), (("verify", "reject"), 3)])
def test_parallel_conflicting_moves_leave_one_order(
    officials: Officials,  # noqa: F811
    moves: tuple[str, str],
    repetitions: int,
):
    pipe = officials.pipeline
    for _ in range(repetitions):
        # Given a report where each of two moves excludes the other (or is left legal by it)
        rid = officials.verified() if moves[0] == "complete" else officials.dispatched()
        admin = "kemenkes-admin"
        results: list[tuple[str, int]] = []
        start = threading.Barrier(20)

        def move(action: str) -> None:
            start.wait()
            status, _ = officials.act(rid, admin, action, "Keputusan petugas")
            results.append((action, status))

        # When 20 officials' requests race, half one move and half the other (moto, as the local
        # stack runs it, answers one DynamoDB request at a time, as a table's conditions do)
        threads = [threading.Thread(target=move, args=(moves[i % 2],)) for i in range(20)]
        with one_dynamodb_request_at_a_time():
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        # Then every loser got a 409, and the winners are the moves the state machine allows in turn
        winners = [action for action, status in results if status == 200]
        assert all(status in (200, 409) for _, status in results), results
        if moves == ("complete", "reject"):
            assert len(winners) == 1, results
        else:
            assert winners in (["reject"], ["verify"], ["verify", "reject"]), results
        # ... and the public timeline agrees with the status, its last status entry being the status
        view = pipe.track(rid)
        assert _public_statuses(view)[-1] == view["status"], view["timeline"]


# ---- bounds -----------------------------------------------------------------------------------------


def test_reopen_is_refused_after_the_third_naming_the_ombudsman(officials: Officials):  # noqa: F811
    created = submit(KEMENKES_REPORT)
    pipe = officials.pipeline
    pipe.route()
    rid = created["id"]
    liaison = pipe.report(rid).assignee
    assert officials.act(rid, liaison, "verify")[0] == 200
    answers = []
    for attempt in range(200):
        if pipe.report(rid).status.value != "completed":
            assert officials.act(rid, liaison, "complete", f"Jawaban ke-{attempt}")[0] == 200
        status, body = intake(
            "POST",
            f"/reports/{rid}/feedback",
            {"receipt": created["receipt"], "action": "reopen", "comment": "Belum selesai " * 100},
            headers={"Accept-Language": "en"} if attempt % 2 else None,
        )
        answers.append((status, body))
    assert [status for status, _ in answers[:3]] == [200, 200, 200]
    assert {status for status, _ in answers[3:]} == {409}
    assert "Ombudsman" in answers[3][1]["message"] and "Ombudsman" in answers[4][1]["message"]
    assert answers[3][1]["code"] == "reopen_limit"


def test_public_view_stays_under_64_kb_and_pages_back_through_the_timeline(officials: Officials):  # noqa: F811
    # Given a report with the longest title and description, verified, and then 150 long follow-up
    # notes (written straight to its timeline: the actions' own path is the canary's)
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import TimelineEvent

    body = KEMENKES_REPORT | {"title": "Puskesmas " + "tutup " * 31, "description": "Puskesmas tutup. " * 290}
    rid = officials.dispatched(body)
    liaison = officials.pipeline.report(rid).assignee
    status, answer = officials.act(rid, liaison, "verify")
    assert status == 200, answer
    verified_at = officials.pipeline.report(rid).updated_at
    for number in range(150):
        note = f"Tindak lanjut ke-{number}: " + "pemeriksaan lapangan berlanjut " * 64
        event = TimelineEvent(
            at=verified_at + timedelta(minutes=number + 1),
            status=Status.IN_PROGRESS,
            action="respond",
            actor=liaison,
            note=note[:2000],
        )
        officials.pipeline.repository.add_event(rid, event)
    # When anyone opens its public view
    status, view = intake("GET", f"/reports/{rid}")
    raw = json.dumps(view)
    # Then it stays under 64 KB with the latest entries, the total and a cursor to the rest
    assert status == 200 and len(raw.encode()) < 64 * 1024
    assert view["timeline_total"] == 153 and 0 < len(view["timeline"]) < 100
    assert view["timeline"][-1]["note"].startswith("Tindak lanjut ke-149")
    # ... and the cursors lead back, page by page, to the first entry, each page under 64 KB
    seen = list(view["timeline"])
    cursor = view["timeline_cursor"]
    while cursor:
        status, page = intake("GET", f"/reports/{rid}/timeline", query=f"cursor={cursor}")
        assert status == 200 and len(json.dumps(page).encode()) < 64 * 1024
        seen = page["timeline"] + seen
        cursor = page["next_cursor"]
    assert len(seen) == 153 and seen[0]["event"] == "submit"
    assert [e["at"] for e in seen] == sorted(e["at"] for e in seen)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "eyJiZWZvcmUiOiAiMSJ9",  # {"before": "1"}: a string
        "eyJiZWZvcmUiOiA5OTk5fQ",  # {"before": 9999}: beyond the timeline
        "W10",  # []
        "%00%01",
        "x" * 65,
    ],
)
def test_malformed_timeline_cursor_is_a_4xx_naming_it(pipeline: Pipeline, cursor: str):  # noqa: F811
    rid = pipeline.submit(KEMENKES_REPORT)
    status, body = intake("GET", f"/reports/{rid}/timeline", query=f"cursor={cursor}")
    assert status in (400, 422), body
    assert [e["field"] for e in body["errors"]] == ["cursor"]


@pytest.mark.parametrize(
    "key",
    [
        {"pk": {"N": "1"}, "sk": {"S": "INBOX#A#KEMENKES"}, "wk": {"S": "A#KEMENKES"}, "wd": {"S": "x"}},
        {"pk": {"S": "REPORT#X"}, "sk": {"B": "AA=="}, "wk": {"S": "A#KEMENKES"}, "wd": {"S": "x"}},
        {"pk": {"S": "REPORT#X"}, "sk": {"S": "INBOX#A"}, "wk": {"S": "A#KEMENKES"}, "wd": {"L": []}},
        {"pk": "REPORT#X", "sk": "INBOX#A", "wk": "A#KEMENKES", "wd": "x"},
        {"pk": {"S": "REPORT#X"}, "sk": {"S": "INBOX#A"}, "wk": {"S": "A#OTHER"}, "wd": {"S": "x"}},
        [1, 2],
    ],
)
def test_malformed_inbox_cursor_is_a_4xx_naming_it(officials: Officials, key: Any):  # noqa: F811
    import base64

    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    status, body = officials.inbox("kemenkes-admin", f"cursor={cursor}")
    assert status in (400, 422), body
    assert [e["field"] for e in body["errors"]] == ["cursor"]


def test_keyed_retry_returns_the_same_receipt_that_no_table_holds(pipeline: Pipeline):  # noqa: F811
    headers = {"Idempotency-Key": "retry-" + secrets.token_hex(4)}
    first = submit(KEMENKES_REPORT, headers)
    again = submit(KEMENKES_REPORT, headers)
    assert again == first
    plain = submit(KEMENKES_REPORT)
    pipeline.route()
    assert_no_plaintext_receipts(pipeline, [first["receipt"], plain["receipt"]])
    # ... and the receipt works for feedback (its hash is the report's)
    from lapor.domain.ids import receipt_matches

    assert receipt_matches(first["receipt"], pipeline.report(first["id"]).receipt_hash)


# ---- the officials' API and the token's audience ----------------------------------------------------


def test_officials_api_refuses_a_token_of_another_app_client(officials: Officials):  # noqa: F811
    import intake_app

    # Given the deployed setting: the officials' page's app client, whose tokens alone open the API
    services = intake_app.services()
    services.settings = services.settings.model_copy(update={"user_pool_client_id": "officials-page"})

    def inbox(claims: dict[str, Any]) -> int:
        response = intake_app.lambda_handler(
            api_event("GET", "/inbox", claims=claims), context("lapor-intake")
        )
        return response["statusCode"]

    who = {"custom:official_id": "kemenkes-admin", "cognito:username": "kemenkes-admin", "token_use": "id"}
    # When API Gateway's authorizer passes the claims of an ID token of another client of the pool
    # Then the function refuses it; the page's own client's token is let in
    assert inbox(who | {"aud": "another-app-client"}) == 401
    assert inbox(who | {"aud": "officials-page", "token_use": "access"}) == 401
    assert inbox(who | {"aud": "officials-page"}) == 200


# ---- erasure on request -----------------------------------------------------------------------------


def test_erasure_removes_the_reporter_everywhere_and_keeps_the_record(officials: Officials):  # noqa: F811
    from lapor.app.erasure import erase_reporter
    from tests.integration.conftest_route_notify import SUBMITTED_AT

    canary = make_canary()
    pipe = officials.pipeline
    contact = {"name": canary.name, "email": canary.email, "phone": canary.phone_shapes()[2]}
    # Given two reports of one reporter, the identity typed into the texts, notes and a comment
    created = [
        submit(KEMENKES_REPORT | {"description": canary.typed("Isi"), "reporter": contact}) for _ in range(2)
    ]
    other = submit(KEMENKES_REPORT | {"reporter": {"email": "orang.lain@example.com"}})
    pipe.route()
    rid = created[0]["id"]
    liaison = pipe.report(rid).assignee
    for action in ("verify", "complete"):
        assert officials.act(rid, liaison, action, canary.typed("Catatan"))[0] == 200
    body = {"receipt": created[0]["receipt"], "action": "reopen", "comment": canary.typed("Alasan")}
    assert intake("POST", f"/reports/{rid}/feedback", body)[0] == 200
    pipe.route()
    # When the operator erases the reporter found by their email
    repo = pipe.repository
    found = repo.reports_of_contact(email=canary.email, phone=None)
    assert sorted(found) == sorted(r["id"] for r in created)
    summary = erase_reporter(
        found,
        reports=repo,
        uploads=None,
        counters_table=pipe.resources.names.idempotency_table,
        now=SUBMITTED_AT + timedelta(days=1),
    )
    # Then no item of the reports table names them any more, nor do the counters exist
    assert sorted(summary.reports) == sorted(found) and summary.notes >= 3 and summary.counters == 1
    client = boto3.client("dynamodb")
    for table in (pipe.resources.names.reports_table, pipe.resources.names.idempotency_table):
        items = json.dumps(
            [i for p in client.get_paginator("scan").paginate(TableName=table) for i in p["Items"]]
        )
        assert not canary.leaks(items), canary.leaks(items)
    # ... the reports, their status history and their officials' workflow go on
    assert pipe.report(rid).status.value == "in_progress" and pipe.report(rid).reporter is None
    assert officials.act(rid, liaison, "complete", "Selesai")[0] == 200
    assert pipe.report(other["id"]).reporter is not None
    status, view = officials.view(rid, liaison)
    assert status == 200 and "erased" in [entry["action"] for entry in view["timeline"]]
