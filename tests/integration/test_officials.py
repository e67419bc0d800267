"""Officials over the real intake handler: the roles table, assign and forward, the official view, inboxes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration import conftest_officials as officials_harness
from tests.integration import conftest_route_notify as harness
from tests.integration.conftest_officials import COVID_KEMENKES, KEMENKES_REPORT, Officials

pipeline = harness.pipeline
officials = officials_harness.officials

NATIONAL_ADMIN = "panrb-admin"
NOTE = "Sudah dicek di lapangan."


def _state(o: Officials, state: str, body: dict[str, Any] | None = None) -> str:
    """A KEMENKES report in ``state``: dispatched, verified or completed (assigned to a liaison)."""
    if state == "dispatched":
        return o.dispatched(body)
    report_id = o.verified(body)
    if state == "completed":
        status, answer = o.act(report_id, "kemenkes-admin", "complete", NOTE)
        assert status == 200, answer
    return report_id


def _extra(action: str) -> dict[str, Any]:
    return {
        "forward": {"to_agency": "KEMENPU"},
        "assign": {"to_official": "kemenkes-admin"},
    }.get(action, {})


# ---- the roles table: every cell, allowed and refused -------------------------------------------------
# (official, action, the report's state, expected status); KEMENKES reports, dispatched to a liaison.
ROLES_TABLE = [
    # verify, respond, complete: own agency's liaisons and admins; not supervisors, other agencies,
    # oversight, or the national admin unless the report is assigned to them (below)
    *[(who, "verify", "dispatched", 200) for who in ("kemenkes-lo1", "kemenkes-admin")],
    *[
        (who, "verify", "dispatched", 403)
        for who in ("kemenkes-sup", NATIONAL_ADMIN, "ori-admin", "kemenpu-admin")
    ],
    *[(who, "respond", "verified", 200) for who in ("kemenkes-lo1", "kemenkes-admin")],
    *[
        (who, "respond", "verified", 403)
        for who in ("kemenkes-sup", NATIONAL_ADMIN, "ksp-admin", "kemenpu-admin")
    ],
    *[(who, "complete", "verified", 200) for who in ("kemenkes-lo2", "kemenkes-admin")],
    *[
        (who, "complete", "verified", 403)
        for who in ("kemenkes-sup", NATIONAL_ADMIN, "ori-admin", "kemenpu-lo1")
    ],
    # reject, forward: own agency's admins and the national admin; liaisons ask an admin
    *[(who, "reject", "dispatched", 200) for who in ("kemenkes-admin", NATIONAL_ADMIN)],
    *[
        (who, "reject", "verified", 403)
        for who in ("kemenkes-lo1", "kemenkes-sup", "ori-admin", "kemenpu-admin")
    ],
    *[(who, "forward", "dispatched", 200) for who in ("kemenkes-admin", NATIONAL_ADMIN)],
    *[(who, "forward", "verified", 200) for who in ("kemenkes-admin",)],
    *[
        (who, "forward", "dispatched", 403)
        for who in ("kemenkes-lo1", "kemenkes-sup", "ksp-admin", "kemenpu-admin")
    ],
    # assign: own agency's admins and supervisor, and the national admin
    *[(who, "assign", "dispatched", 200) for who in ("kemenkes-sup", NATIONAL_ADMIN)],
    *[(who, "assign", "verified", 200) for who in ("kemenkes-sup",)],
    *[(who, "assign", "dispatched", 403) for who in ("kemenkes-lo1", "ori-admin", "kemenpu-admin")],
    # the role is checked before the state: a liaison rejecting a completed report is 403, not 409
    ("kemenkes-lo1", "reject", "completed", 403),
    # a move the role may make but the state does not allow: 409
    ("kemenkes-admin", "verify", "verified", 409),
    ("kemenkes-admin", "reject", "completed", 409),
    ("kemenkes-sup", "assign", "completed", 409),
    (NATIONAL_ADMIN, "forward", "completed", 409),
]


@pytest.mark.parametrize(("who", "action", "state", "expected"), ROLES_TABLE)
def test_roles_table(officials: Officials, who: str, action: str, state: str, expected: int):
    # Given a KEMENKES report in the given state
    report_id = _state(officials, state)
    before = officials.pipeline.report(report_id)
    extra = _extra(action)
    if action == "assign" and before.assignee == "kemenkes-admin":
        extra = {"to_official": "kemenkes-lo1"}
    # When the official makes the move
    status, answer = officials.act(report_id, who, action, NOTE, **extra)
    # Then it is applied, or refused with the expected status and nothing changes
    assert status == expected, answer
    after = officials.pipeline.report(report_id)
    if expected == 200:
        assert after.version == before.version + 1
    else:
        assert after.version == before.version and answer["message"]


def test_national_admin_works_the_reports_in_triage_and_hands_them_to_its_own_agency(officials: Officials):
    # Given a report no category matched: it is with the national admin, at PANRB
    report_id = officials.dispatched(harness.UNMATCHED)
    assert officials.pipeline.report(report_id).assignee == NATIONAL_ADMIN
    # Then the national admin may verify it (assigned to them), and PANRB's supervisor may not
    assert officials.act(report_id, "panrb-sup", "verify")[0] == 403
    status, _ = officials.act(report_id, NATIONAL_ADMIN, "verify")
    assert status == 200
    # When the national admin forwards it to PANRB itself, its liaison gets it by the routing rule
    status, answer = officials.act(report_id, NATIONAL_ADMIN, "forward", to_agency="PANRB")
    assert status == 200, answer
    report = officials.pipeline.report(report_id)
    assert (report.agency, report.assignee, report.status.value) == ("PANRB", "panrb-lo1", "dispatched")
    # ... and an ordinary report can never be "forwarded" to its own agency
    status, answer = officials.act(report_id, NATIONAL_ADMIN, "forward", to_agency="PANRB")
    assert status == 422 and answer["errors"][0]["field"] == "to_agency"


def test_assign_moves_the_report_and_the_load_and_tells_the_new_assignee(officials: Officials):
    # Given a verified report with one of the KEMENKES liaisons
    pipe = officials.pipeline
    report_id = officials.verified()
    first = pipe.report(report_id).assignee
    other = "kemenkes-lo2" if first == "kemenkes-lo1" else "kemenkes-lo1"
    loads = (pipe.load("KEMENKES", first), pipe.load("KEMENKES", other))
    pipe.notify()
    # When the admin assigns it to the other liaison with a note
    status, answer = officials.act(
        report_id, "kemenkes-admin", "assign", "Mohon ditangani.", to_official=other
    )
    # Then the status stays, the assignee changes, the load counters follow
    assert status == 200 and answer["status"] == "verified"
    assert pipe.report(report_id).assignee == other
    assert (pipe.load("KEMENKES", first), pipe.load("KEMENKES", other)) == (loads[0] - 1, loads[1] + 1)
    # ... and the new assignee is emailed with the note and a link to the report in the workspace
    pipe.route()
    pipe.notify()
    mails = [m for m in pipe.emails() if m.destinations["ToAddresses"] == [_email(other)]]
    assert mails and "Mohon ditangani." in mails[-1].body
    assert f"/officials.html#/reports/{report_id}" in mails[-1].body
    # ... and the timeline records who assigned it to whom, internally
    [entry] = [
        e for e in officials.view(report_id, "kemenkes-admin")[1]["timeline"] if e["action"] == "assign"
    ]
    assert entry["internal"] and entry["actor"]["id"] == "kemenkes-admin"
    assert [r["id"] for r in entry["recipients"]] == [other]


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("kemenkes-sup", "a supervisor does not handle reports"),
        ("kemenkes-lo3", "inactive"),
        ("kemenpu-lo1", "another agency"),
        ("nobody", "unknown"),
        ("", "missing"),
    ],
)
def test_assign_refuses_who_cannot_take_the_report(officials: Officials, target: str, why: str):
    report_id = officials.dispatched()
    status, answer = officials.act(report_id, "kemenkes-admin", "assign", to_official=target)
    assert status == 422, why
    assert answer["errors"][0]["field"] == "to_official"


def test_forward_from_verified_restarts_verification_at_the_new_agency(officials: Officials):
    # Given a report the liaison verified, then found outside KEMENKES's authority
    pipe = officials.pipeline
    report_id = officials.verified()
    before = pipe.report(report_id)
    # When the admin forwards it
    status, answer = officials.act(
        report_id, "kemenkes-admin", "forward", "Bukan wewenang.", to_agency="KEMENPU"
    )
    # Then it is dispatched to KEMENPU's liaison, to verify afresh; the resolve deadline keeps running
    assert status == 200 and answer["status"] == "dispatched"
    after = pipe.report(report_id)
    assert (after.agency, after.assignee, after.verified_at) == ("KEMENPU", "kemenpu-lo1", None)
    assert after.deadlines.verify_by and after.deadlines.resolve_by == before.deadlines.resolve_by
    assert pipe.load("KEMENKES", before.assignee) == 0 and pipe.load("KEMENPU", "kemenpu-lo1") == 1
    # ... KEMENKES no longer reads it (public view), KEMENPU does
    assert "reporter" not in officials.view(report_id, "kemenkes-lo1")[1]
    assert officials.view(report_id, "kemenpu-lo1")[1]["view"] == "official"


# ---- the official view --------------------------------------------------------------------------------


def test_official_view_of_an_ordinary_report(officials: Officials):
    # Given a report with contact, place and date, dispatched and its messages sent
    pipe = officials.pipeline
    body = KEMENKES_REPORT | {
        "region": "33.74",
        "location": {"lat": -6.2, "lon": 106.8},
        "occurred_on": "2026-02-10",
    }
    body["category"] = "kesehatan"
    report_id = officials.dispatched(body)
    pipe.notify()
    # When its assignee opens it
    status, view = officials.view(report_id, pipe.report(report_id).assignee)
    # Then everything an official needs is there
    assert status == 200 and view["view"] == "official"
    assert view["title"] == body["title"] and view["description"] == body["description"]
    assert view["reporter"] == {
        "name": "Andi Wijaya",
        "email": "andi.wijaya@example.com",
        "phone": "+6281234567890",
    }
    assert view["region"] == {
        "code": "33.74",
        "name": "Kota Semarang",
        "full_name": "Kota Semarang, Jawa Tengah",
    }
    assert view["location"] == {"lat": -6.2, "lon": 106.8} and view["occurred_on"] == "2026-02-10"
    assert view["assignee"]["id"] == pipe.report(report_id).assignee and view["assignee"]["name"]
    assert view["next_deadline"]["stage"] == "verify" and view["overdue"] is False
    assert view["allowed_actions"] == ["verify"] and view["read_only"] is False
    actions = [e["action"] for e in view["timeline"]]
    assert actions[:2] == ["submit", "route"]
    submit, route = view["timeline"][:2]
    assert submit["actor"] == {"id": "reporter", "name": "Andi Wijaya", "role": "reporter"}
    assert route["actor"] is None and route["recipients"][0]["id"] == view["assignee"]["id"]
    delivered = [e for e in view["timeline"] if e["action"] == "delivered"]
    assert {(d["delivery"]["channel"], d["delivery"]["message"]) for d in delivered} >= {
        ("email", "assigned"),
        ("sms", "assigned"),
        ("email", "received"),
    }
    assert all(d["internal"] for d in delivered)
    to_reporter = [d for d in delivered if d["delivery"]["message"] == "received"]
    assert to_reporter[0]["delivery"]["recipient"] is None  # the reporter, never their address


def test_official_view_of_a_confidential_report_shows_its_text_to_officials_only(officials: Officials):
    report_id = officials.dispatched(KEMENKES_REPORT | {"confidential": True})
    status, public = officials.view(report_id, None)
    assert status == 200 and "title" not in public and "description" not in public
    status, view = officials.view(report_id, "kemenkes-lo2")
    assert view["title"] == KEMENKES_REPORT["title"] and view["description"] == KEMENKES_REPORT["description"]
    assert view["confidential"] is True and view["reporter"]["email"] == "andi.wijaya@example.com"


def test_official_view_of_an_anonymous_report_has_no_reporter_anywhere(officials: Officials):
    # Given an anonymous report whose reporter typed their name and number into the text
    body = KEMENKES_REPORT | {
        "anonymous": True,
        "description": "Saya Andi Wijaya, hubungi 0812 3456 7890 atau andi.wijaya@example.com bila perlu.",
    }
    report_id = officials.dispatched(body)
    # When an official reads it
    status, view = officials.view(report_id, "kemenkes-admin")
    # Then the reporter is null and their identity is redacted from the text and the actors
    assert status == 200 and view["reporter"] is None and view["anonymous"] is True
    text = str(view)
    for secret in ("Andi", "3456", "example.com"):
        assert secret not in text
    assert "[…]" in view["description"]
    assert view["timeline"][0]["actor"] == {"id": "reporter", "name": None, "role": "reporter"}


@pytest.mark.parametrize("who", ["kemenpu-admin", "ori-admin", "ksp-admin", "bnpb-admin", "dinkes-dki-lo1"])
def test_officials_without_a_right_to_the_report_get_the_public_view(officials: Officials, who: str):
    report_id = officials.dispatched(KEMENKES_REPORT | {"confidential": True})
    status, view = officials.view(report_id, who)
    assert status == 200 and "view" not in view and "reporter" not in view and "title" not in view


def test_a_bad_token_is_401_and_no_token_is_the_public_view(officials: Officials):
    import intake_app

    from tests.helpers import api_event, context

    report_id = officials.dispatched()
    token = officials.token("kemenkes-lo1")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = intake_app.lambda_handler(
        api_event("GET", f"/reports/{report_id}", headers={"Authorization": f"Bearer {forged}"}),
        context("lapor-intake"),
    )
    assert response["statusCode"] == 401
    assert officials.view(report_id, None)[0] == 200


def test_oversight_reads_what_was_escalated_to_it_read_only(officials: Officials):
    # Given a report left unresolved past resolve_by: the national admin and the Ombudsman are told
    report_id = officials.verified()
    resolve_by = officials.pipeline.report(report_id).deadlines.resolve_by
    assert resolve_by
    officials.sla(resolve_by + timedelta(hours=1))
    # Then any Ombudsman official reads it, read only, with the escalation and its recipients
    for who in ("ori-admin", "ori-sup"):
        status, view = officials.view(report_id, who)
        assert status == 200 and view["view"] == "official"
        assert view["read_only"] is True and view["allowed_actions"] == []
    escalation = [e for e in view["timeline"] if e["action"] == "escalate_resolve_1"]
    assert escalation and {r["id"] for r in escalation[0]["recipients"]} == {NATIONAL_ADMIN, "ori-admin"}
    # ... finds it in the "escalated" inbox (the Ombudsman's, shared by its officials)
    import intake_app

    intake_app.services().clock = harness.fixed_clock(resolve_by + timedelta(hours=2))
    for who in ("ori-admin", "ori-sup"):
        status, page = officials.inbox(who, "scope=escalated")
        assert [item["id"] for item in page["items"]] == [report_id] and page["items"][0]["overdue"], who
    # ... and cannot act on it
    assert officials.act(report_id, "ori-admin", "respond", NOTE)[0] == 403
    # ... while KSP, which got nothing, sees the public view
    assert "view" not in officials.view(report_id, "ksp-admin")[1]


def test_covid19_copies_are_read_by_the_cc_agencies(officials: Officials):
    report_id = officials.dispatched(COVID_KEMENKES)
    for who in ("bnpb-admin", "ksp-admin", "komdigi-admin"):
        status, view = officials.view(report_id, who)
        assert status == 200 and view["view"] == "official" and view["read_only"] is True, who
        status, page = officials.inbox(who, "scope=copies")
        assert [item["id"] for item in page["items"]] == [report_id]
    assert officials.act(report_id, "bnpb-admin", "verify")[0] == 403


def test_reopen_tells_the_assignee_the_reporters_reason(officials: Officials):
    # Given a completed report
    import intake_app

    from tests.helpers import api_event, context, response_json

    pipe = officials.pipeline
    created = response_json(
        intake_app.lambda_handler(api_event("POST", "/reports", KEMENKES_REPORT), context("lapor-intake"))
    )
    report_id, receipt = created["id"], created["receipt"]
    pipe.route()
    assignee = pipe.report(report_id).assignee
    assert officials.act(report_id, assignee, "verify")[0] == 200
    assert officials.act(report_id, assignee, "complete", NOTE)[0] == 200
    pipe.route()
    pipe.notify()
    # When the reporter reopens it with a reason that repeats their phone number
    reason = "Puskesmas masih tutup, hubungi saya di 0812-3456-7890."
    response = intake_app.lambda_handler(
        api_event(
            "POST",
            f"/reports/{report_id}/feedback",
            {"receipt": receipt, "action": "reopen", "comment": reason},
        ),
        context("lapor-intake"),
    )
    assert response["statusCode"] == 200, response["body"]
    pipe.route()
    pipe.notify()
    # Then the assignee's email and SMS carry the reason, without the reporter's number
    mail = [m for m in pipe.emails() if m.destinations["ToAddresses"] == [_email(assignee)]][-1]
    assert "Puskesmas masih tutup" in mail.body and "Alasan pelapor" in mail.body
    assert "3456" not in mail.body
    phone = _phone(assignee)
    sms = [text for number, text in pipe.sms() if number == phone][-1]
    assert "Alasan: Puskesmas masih tutup" in sms and "3456" not in sms


def _email(official_id: str) -> str:
    from ops.directory_ops import load_directory_file
    from tests.integration.conftest import TEST_DIRECTORY

    return load_directory_file(TEST_DIRECTORY).officials_by_id[official_id].email


def _phone(official_id: str) -> str | None:
    from ops.directory_ops import load_directory_file
    from tests.integration.conftest import TEST_DIRECTORY

    return load_directory_file(TEST_DIRECTORY).officials_by_id[official_id].phone


# ---- TOTP for admins, supervisors and the national admin (deployed with mfa=required) -------------


def test_admins_need_totp_where_the_deployment_requires_it(officials: Officials):
    import intake_app

    from lapor.adapters.identity import MfaDirectory

    # Given a deployment that requires MFA, and an admin who has not enrolled an authenticator yet
    services = intake_app.services()
    services.settings = services.settings.model_copy(update={"mfa_required": True})
    services.__dict__["mfa_directory"] = MfaDirectory(officials.pool.pool_id, client=officials.cognito)
    report_id = officials.dispatched()
    # Then the admin's inbox and moves are refused, naming the missing second factor; a liaison works
    for status, answer in (
        officials.inbox("kemenkes-admin"),
        officials.act(report_id, "kemenkes-admin", "verify"),
        officials.inbox(NATIONAL_ADMIN),
    ):
        assert status == 403 and [(e["field"], e["code"]) for e in answer["errors"]] == [
            ("mfa", "mfa_required")
        ]
    assert officials.inbox("kemenkes-lo1")[0] == 200
    # ... and GET /me tells the page to enrol
    status, me = officials.call("GET", "/me", who="kemenkes-admin")
    assert status == 200 and me["mfa"] == {"required": True, "enrolled": False}
    assert officials.call("GET", "/me", who="kemenkes-lo1")[1]["mfa"]["required"] is False

    # When the admin enrols TOTP the way the page does (Cognito's API with their access token)
    cognito, pool = officials.cognito, officials.pool
    signed_in = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "kemenkes-admin", "PASSWORD": officials_harness.PASSWORD},
    )
    access = signed_in["AuthenticationResult"]["AccessToken"]
    assert cognito.associate_software_token(AccessToken=access)["SecretCode"]
    cognito.verify_software_token(AccessToken=access, UserCode="123456")
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    # Then the API lets them in, and every password sign-in now asks for the code
    assert officials.inbox("kemenkes-admin")[0] == 200
    assert officials.call("GET", "/me", who="kemenkes-admin")[1]["mfa"] == {
        "required": True,
        "enrolled": True,
    }
    again = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "kemenkes-admin", "PASSWORD": officials_harness.PASSWORD},
    )
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_sign_in_settings_for_the_page(officials: Officials):
    status, config = officials.call("GET", "/auth/config")
    assert status == 200
    assert config == {
        "region": "ap-southeast-3",
        "client_id": officials.pool.client_id,
        "endpoint": "https://cognito-idp.ap-southeast-3.amazonaws.com/",
        "mfa_required": False,
    }
    status, agencies = officials.call("GET", "/agencies")
    assert status == 200 and {"code": "KEMENKES", "name": "Kementerian Kesehatan"} in agencies


def test_assignable_officials_for_the_pickers(officials: Officials):
    status, options = officials.call("GET", "/officials", who="kemenkes-sup")
    assert status == 200
    # active liaisons and admins of the agency, fewest open reports first; no supervisor, no inactive
    assert {o["id"] for o in options} == {"kemenkes-lo1", "kemenkes-lo2", "kemenkes-admin"}
    assert all(o["open"] == 0 for o in options)
    assert officials.call("GET", "/officials", who="kemenkes-lo1")[0] == 403
    assert officials.call("GET", "/officials", who=NATIONAL_ADMIN, query="agency=KEMENPU")[0] == 200
    assert officials.call("GET", "/officials", who=NATIONAL_ADMIN, query="agency=NOPE")[0] == 404
