"""Canary test: reporter identity and contact details never reach a log line or a public response.

A stack of its own runs ``python -m local`` at the production log level (INFO) with its whole output
(handlers' structured logs, pollers' prints, tracebacks, moto) captured to a file. Canary values — a
name, an email, a phone number and a NIK (Indonesian ID number) nobody else uses — go through a full
lifecycle on two reports (one named and public, one anonymous and confidential) and a third left to
miss its deadlines; then every log line, every public response and every message to officials is
searched for them, in every written form.

``start_logged_stack`` is shared with the schemathesis and hostile-input modules, which also need the
stack's output (the session ``stack`` fixture's pipe is never read after start-up).
"""

from __future__ import annotations

import json
import os
import random
import re
import string
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, TEST_DIRECTORY, Http

# ------------------------------------------------------------------------------------------------
# A local stack whose whole output goes to a file
# ------------------------------------------------------------------------------------------------

_PROJECT_FRAME = re.compile(r'File "' + re.escape(str(ROOT)) + r"/(?:local|layers|functions|ops)/")


@dataclass
class LoggedStack:
    """A running ``python -m local`` process, its HTTP client and the file holding its output."""

    http: Http
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def token(self, official_id: str) -> dict[str, str]:
        """``Authorization`` header for an official, from the local user pool."""
        return self.http.token(official_id)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def project_tracebacks(self) -> list[tuple[str, str]]:
        """``(exception line, traceback text)`` of every traceback that passed through project code.

        Tracebacks printed by moto's own server (its thread-safety races, with no project frame)
        are not the project's and are left out.
        """
        found: list[tuple[str, str]] = []
        lines = self.log_text().splitlines()
        index = 0
        while index < len(lines):
            if not lines[index].startswith("Traceback (most recent call last):"):
                index += 1
                continue
            block = [lines[index]]
            index += 1
            while index < len(lines) and (lines[index].startswith((" ", "\t")) or not lines[index].strip()):
                block.append(lines[index])
                index += 1
            final = lines[index] if index < len(lines) else ""
            block.append(final)
            text = "\n".join(block)
            if _PROJECT_FRAME.search(text):
                found.append((final, text))
        return found


@contextmanager
def start_logged_stack(log_path: Path, *, log_level: str = "INFO") -> Iterator[LoggedStack]:
    """Start the local stack on free ports with the test directory; stop it on exit."""
    env = os.environ | {
        "LAPOR_PORT": "0",
        "LAPOR_AWS_PORT": "0",
        "LAPOR_SLA_INTERVAL": "0",
        "LAPOR_DIRECTORY": str(TEST_DIRECTORY),
        "PYTHONUNBUFFERED": "1",
        "POWERTOOLS_LOG_LEVEL": log_level,
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCOUNT_ID_ENDPOINT_MODE", "LAPOR_LOCAL_STATE"):
        env.pop(name, None)
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = None
    ready = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        match = re.search(r"API and web pages on (http://\S+)", text)
        base = match.group(1) if match else None
        ready = any(line.startswith("[lapor] ready:") for line in text.splitlines())
        if base and ready:
            break
        time.sleep(0.1)
    if not (base and ready):
        process.kill()
        process.wait(timeout=20)
        raise RuntimeError(f"local stack did not start (exit {process.poll()}):\n{log_path.read_text()}")
    try:
        yield LoggedStack(Http(base), process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


# ------------------------------------------------------------------------------------------------
# Canary values
# ------------------------------------------------------------------------------------------------

_rng = random.SystemRandom()


def _digits(count: int) -> str:
    # No leading zero, no digit repeated four times in a row: the value must not look like padding.
    while True:
        value = str(_rng.randint(1, 9)) + "".join(_rng.choice(string.digits) for _ in range(count - 1))
        if not re.search(r"(\d)\1{3}", value):
            return value


@dataclass(frozen=True)
class Canary:
    """Values that exist nowhere else: any sighting of one of them is a leak."""

    surname: str  # the unique part of the name
    name: str
    email: str
    phone_digits: str  # the 8 random digits after 0812
    nik: str

    @property
    def phone_input(self) -> str:
        """The phone as the reporter types it."""
        return f"0812-{self.phone_digits}"

    def phone_forms(self) -> list[str]:
        """Every written form of the phone: national, with separators, E.164, without plus."""
        d = self.phone_digits
        return [
            f"0812-{d}",
            f"0812{d}",
            f"+62812{d}",
            f"62812{d}",
            f"0812-{d[:4]}-{d[4:]}",
            f"+62 812-{d[:4]}-{d[4:]}",
            d,
        ]

    def typed(self, where: str) -> str:
        """Free text carrying the whole identity, the number in every shape people type it."""
        d = self.phone_digits
        shapes = f"0812-{d[:4]}-{d[4:]}, +62 812 {d[:4]} {d[4:]}, 62812{d}"
        return f"{where}. Hubungi {self.name} di {self.email} atau {shapes}."

    def identity_needles(self) -> dict[str, str]:
        """What must never be seen in logs or public responses: name, email, phone (all forms)."""
        needles = {
            "name": self.name,
            "surname": self.surname,
            "email": self.email,
            "email local part": self.email.split("@")[0],
        }
        needles |= {f"phone {form!r}": form for form in self.phone_forms()}
        return needles


def make_canary() -> Canary:
    """A fresh set of canary values."""
    surname = "Kanari" + "".join(_rng.choice(string.ascii_lowercase) for _ in range(8))
    # A NIK: province/regency/district code, birth date DDMMYY, 4-digit serial.
    day, month, year = _rng.randint(10, 28), _rng.randint(10, 12), _rng.randint(70, 99)
    nik = f"317101{day:02d}{month:02d}{year:02d}{_digits(4)}"
    return Canary(
        surname=surname,
        name=f"Ratna {surname}",
        email=f"canary.{uuid.uuid4().hex[:12]}@example.com",
        phone_digits=_digits(8),
        nik=nik,
    )


_SEPARATORS = re.compile(r"[\s\-().+/]")


def leaks_in(text: str, needles: dict[str, str], *, digit_needles: dict[str, str] | None = None) -> list[str]:
    """The labels of ``needles`` found in ``text`` (case-insensitive); digit needles also without separators."""
    lowered = text.lower()
    found = [label for label, needle in needles.items() if needle.lower() in lowered]
    if digit_needles:
        compact = _SEPARATORS.sub("", text)
        found += [f"{label} (digits)" for label, digits in digit_needles.items() if digits in compact]
    return found


def _digit_needles(canary: Canary) -> dict[str, str]:
    return {"phone": "812" + canary.phone_digits}


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


@dataclass
class CanaryRun:
    """What the lifecycle produced: the stack, the canary, the report ids and what was collected."""

    stack: LoggedStack
    canary: Canary
    named: str
    anonymous: str
    overdue: str
    public_bodies: dict[str, Any]
    outbox: list[dict[str, Any]]


def _wait_dispatched(http: Http, report_id: str) -> dict[str, Any]:
    return http.wait_for(
        lambda: (view := http.call("GET", f"/reports/{report_id}")[1])["status"] != "received" and view,
        timeout=30,
    )


def _act(
    stack: LoggedStack, report_id: str, official: str, action: str, note: str, **extra: Any
) -> dict[str, Any]:
    status, body = stack.http.call(
        "POST",
        f"/reports/{report_id}/actions",
        {"action": action, "note": note, **extra},
        stack.token(official),
    )
    assert status == 200, (action, status, body)
    return body


def _feedback(http: Http, report_id: str, receipt: str, action: str, **extra: Any) -> dict[str, Any]:
    status, body = http.call(
        "POST", f"/reports/{report_id}/feedback", {"receipt": receipt, "action": action, **extra}
    )
    assert status == 200, (action, status, body)
    return body


def _settled_outbox(http: Http, minimum: int, quiet_seconds: float = 2.5) -> list[dict[str, Any]]:
    """The outbox once it holds ``minimum`` messages and has not grown for ``quiet_seconds``."""
    deadline = time.monotonic() + 60
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        messages = http.outbox()
        if len(messages) != last:
            last, since = len(messages), time.monotonic()
        elif last >= minimum and time.monotonic() - since >= quiet_seconds:
            return messages
        time.sleep(0.25)
    raise AssertionError(f"outbox did not settle (has {last}, expected at least {minimum})")


def _report(canary: Canary, **fields: Any) -> dict[str, Any]:
    return {
        "reporter": {"name": canary.name, "email": canary.email, "phone": canary.phone_input},
        **fields,
    }


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CanaryRun]:
    """Run the lifecycles once on a logged stack; the tests below examine what came out."""
    canary = make_canary()
    log_path = tmp_path_factory.mktemp("canary") / "stack.log"
    with start_logged_stack(log_path) as stack:
        http = stack.http
        # A named, public report: health category, KEMENKES (region 32.73 has no override).
        status, named = http.call(
            "POST",
            "/reports",
            _report(
                canary,
                title="Puskesmas tutup tanpa pemberitahuan",
                description=f"Puskesmas kecamatan tutup sejak pagi. NIK saya {canary.nik} untuk verifikasi. "
                + canary.typed("Pelapor"),
                region="32.73",
                language="id",
            ),
        )
        assert status == 201, named
        # An anonymous, confidential report on the COVID-19 track (copies to five agencies' admins),
        # region 31.71 → DINKES-DKI, later forwarded to KEMENKES.
        status, anonymous = http.call(
            "POST",
            "/reports",
            _report(
                canary,
                title="Stok vaksin habis di puskesmas",
                description=f"Vaksin covid habis di puskesmas kelurahan. NIK {canary.nik}. "
                + canary.typed("Pelapor"),
                region="31.71",
                anonymous=True,
                confidential=True,
            ),
            {"Idempotency-Key": f"canary-{uuid.uuid4()}"},
        )
        assert status == 201, anonymous
        # A named report nobody acts on: it misses every deadline in the SLA run below.
        status, overdue = http.call(
            "POST",
            "/reports",
            _report(
                canary,
                title="Jalan rusak di depan sekolah",
                description=f"Jalan rusak dan berlubang besar. Pelapor NIK {canary.nik}.",
                language="en",
            ),
        )
        assert status == 201, overdue

        for created in (named, anonymous, overdue):
            _wait_dispatched(http, created["id"])

        # Named report: verify, respond, complete, reopen, complete, accept.
        rid = named["id"]
        _act(stack, rid, "kemenkes-admin", "verify", canary.typed("Laporan diverifikasi"))
        _act(stack, rid, "kemenkes-admin", "respond", canary.typed("Tim sedang meninjau lokasi"))
        _act(stack, rid, "kemenkes-admin", "complete", canary.typed("Puskesmas sudah buka normal"))
        _feedback(http, rid, named["receipt"], "reopen", comment=canary.typed("Masih tutup pada hari Sabtu"))
        _act(stack, rid, "kemenkes-admin", "complete", canary.typed("Jadwal Sabtu sudah dipulihkan"))
        _feedback(http, rid, named["receipt"], "accept", rating=5)

        # Anonymous report: forward, verify, respond, complete, reopen, complete, accept.
        aid = anonymous["id"]
        view = http.call("GET", f"/reports/{aid}")[1]
        assert view["agency"]["code"] == "DINKES-DKI", view
        _act(
            stack, aid, "dinkes-dki-admin", "forward", canary.typed("Kewenangan pusat"), to_agency="KEMENKES"
        )
        _wait_dispatched(http, aid)
        _act(stack, aid, "kemenkes-admin", "verify", canary.typed("Diverifikasi"))
        _act(stack, aid, "kemenkes-admin", "respond", canary.typed("Distribusi vaksin dijadwalkan"))
        _act(stack, aid, "kemenkes-admin", "complete", canary.typed("Stok sudah dikirim"))
        _feedback(http, aid, anonymous["receipt"], "reopen", comment=canary.typed("Belum sampai"))
        _act(stack, aid, "kemenkes-admin", "complete", canary.typed("Stok sudah diterima puskesmas"))
        _feedback(http, aid, anonymous["receipt"], "accept", rating=4)

        # The overdue report misses verify_by, then resolve_by: escalations to supervisors and ORI.
        later = datetime.now(UTC) + timedelta(days=90)
        status, summary = http.call("POST", "/_local/sla-check", {"now": later.isoformat()})
        assert status == 200, summary

        # Error answers that carry the canaries in their requests.
        errors: dict[str, Any] = {}
        bad_requests = {
            "short title": _report(canary, title="x", description="Deskripsi yang cukup panjang"),
            "bad email": {
                "title": "Judul yang cukup",
                "description": "Deskripsi yang cukup panjang",
                "reporter": {"name": canary.name, "email": canary.email.replace(".com", "")},
            },
            "bad phone": {
                "title": "Judul yang cukup",
                "description": "Deskripsi yang cukup panjang",
                "reporter": {"name": canary.name, "phone": canary.phone_input + "99999"},
            },
            "unknown field": {
                "title": "Judul yang cukup",
                "description": "Deskripsi yang cukup panjang",
                "reporter": {"name": canary.name, "nik": canary.nik, "email": canary.email},
            },
            "name too long": _report(
                canary,
                title="Judul yang cukup",
                description="Deskripsi yang cukup panjang",
            )
            | {"reporter": {"name": canary.name * 20, "email": canary.email, "phone": canary.phone_input}},
        }
        for label, body in bad_requests.items():
            status, errors[label] = http.call("POST", "/reports", body)
            assert status == 422, (label, status, errors[label])
        status, errors["wrong receipt"] = http.call(
            "POST", f"/reports/{rid}/feedback", {"receipt": canary.email, "action": "accept"}
        )
        assert status in (403, 409), errors["wrong receipt"]
        key = {"Idempotency-Key": f"canary-reuse-{uuid.uuid4()}"}
        first = _report(canary, title="Judul pertama cukup", description="Deskripsi yang cukup panjang")
        assert http.call("POST", "/reports", first, key)[0] == 201
        status, errors["idempotency key reused"] = http.call(
            "POST", "/reports", first | {"title": "Judul kedua berbeda"}, key
        )
        assert status == 422, errors["idempotency key reused"]

        public: dict[str, Any] = {
            f"GET /reports/{{{label}}}": http.call("GET", f"/reports/{report_id}")[1]
            for label, report_id in (("named", rid), ("anonymous", aid), ("overdue", overdue["id"]))
        }
        public |= {
            f"GET /reports/{{{label}}}/timeline": http.call("GET", f"/reports/{report_id}/timeline")[1]
            for label, report_id in (("named", rid), ("anonymous", aid))
        }
        public["GET /stats"] = http.call("GET", "/stats")[1]
        public["GET /categories"] = http.call("GET", "/categories")[1]
        public |= {f"error: {label}": body for label, body in errors.items()}
        # Ten messages at least: acknowledgments, assignments, copies, status updates, escalations.
        outbox = _settled_outbox(http, minimum=10)
        yield CanaryRun(stack, canary, rid, aid, overdue["id"], public, outbox)


# ------------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------------


def test_the_canaries_went_all_the_way_through(canary_run: CanaryRun):
    # Guard against a vacuous pass: the reports were closed, the reporter was written to, the
    # stack logged at INFO, and the overdue report was escalated.
    public = canary_run.public_bodies
    assert public["GET /reports/{named}"]["status"] == "closed"
    assert public["GET /reports/{anonymous}"]["status"] == "closed"
    assert [m for m in canary_run.outbox if canary_run.canary.email in m["to"]]
    log = canary_run.stack.log_text()
    assert '"level":"INFO"' in log and '"message":"official action"' in log
    assert canary_run.named in log and canary_run.anonymous in log
    overdue_mail = [m for m in canary_run.outbox if _about(m, canary_run.overdue)]
    assert any("ombudsman" in " ".join(m["to"]) for m in overdue_mail), overdue_mail
    # The searches below can see a canary: the named report's assignee is told who reported it.
    canary = canary_run.canary
    assignment = [m for m in canary_run.outbox if _about(m, canary_run.named) and canary.email not in m["to"]]
    assert any(leaks_in(m["body"], {"name": canary.name}) for m in assignment), assignment


def test_no_log_line_carries_identity_contact_or_nik(canary_run: CanaryRun):
    canary = canary_run.canary
    needles = canary.identity_needles() | {"NIK": canary.nik}
    digits = _digit_needles(canary) | {"NIK": canary.nik}
    leaks = [
        (number, found, line[:300])
        for number, line in enumerate(canary_run.stack.log_text().splitlines(), 1)
        if (found := leaks_in(line, needles, digit_needles=digits))
    ]
    assert not leaks, leaks


@pytest.mark.parametrize(
    "response",
    [
        "GET /reports/{named}",
        "GET /reports/{anonymous}",
        "GET /reports/{overdue}",
        "GET /reports/{named}/timeline",
        "GET /reports/{anonymous}/timeline",
        "GET /stats",
        "GET /categories",
        "error: short title",
        "error: bad email",
        "error: bad phone",
        "error: unknown field",
        "error: name too long",
        "error: wrong receipt",
        "error: idempotency key reused",
    ],
)
def test_no_public_response_carries_identity_or_contact(canary_run: CanaryRun, response: str):
    canary = canary_run.canary
    body = json.dumps(canary_run.public_bodies[response], ensure_ascii=False)
    assert not leaks_in(body, canary.identity_needles(), digit_needles=_digit_needles(canary)), body


def test_public_views_show_the_nik_only_where_the_reporter_made_it_public(canary_run: CanaryRun):
    nik = canary_run.canary.nik
    named = canary_run.public_bodies["GET /reports/{named}"]
    assert nik in named["description"]  # the reporter wrote it in a public report
    assert "[…]" in named["description"]  # ... beside their name and contact, which are redacted
    confidential = canary_run.public_bodies["GET /reports/{anonymous}"]
    assert "title" not in confidential and "description" not in confidential
    assert nik not in json.dumps(confidential)
    errors = {label: body for label, body in canary_run.public_bodies.items() if label.startswith("error:")}
    assert nik not in json.dumps(errors)


def _about(message: dict[str, Any], report_id: str) -> bool:
    return report_id in (message.get("subject") or "") + message["body"]


def test_messages_to_officials_about_the_anonymous_report_carry_no_name(canary_run: CanaryRun):
    canary = canary_run.canary
    to_officials = [
        m for m in canary_run.outbox if _about(m, canary_run.anonymous) and canary.email not in m["to"]
    ]
    # Assignment (twice: DINKES-DKI, then KEMENKES), copies to five agencies, forward, reopen.
    assert len(to_officials) >= 6, to_officials
    leaks = [
        (m["to"], found)
        for m in to_officials
        if (
            found := leaks_in(
                (m.get("subject") or "") + "\n" + m["body"], {"name": canary.name, "surname": canary.surname}
            )
        )
    ]
    assert not leaks, leaks


def test_messages_to_officials_never_carry_the_reporters_contact(canary_run: CanaryRun):
    # render.py's rule: the reporter's email and phone never appear in a message text, whoever reads it.
    canary = canary_run.canary
    contact = {k: v for k, v in canary.identity_needles().items() if not k.endswith(("name", "surname"))}
    to_officials = [m for m in canary_run.outbox if canary.email not in m["to"]]
    assert to_officials
    leaks = [
        (m["to"], m.get("subject"), found)
        for m in to_officials
        if (
            found := leaks_in(
                (m.get("subject") or "") + "\n" + m["body"], contact, digit_needles=_digit_needles(canary)
            )
        )
    ]
    assert not leaks, leaks


def test_officials_never_see_the_anonymous_reporter(canary_run: CanaryRun):
    http = canary_run.stack.http
    token = canary_run.stack.token("kemenkes-admin")
    canary = canary_run.canary
    status, inbox = http.call("GET", "/inbox?limit=100", headers=token)
    assert status == 200, inbox
    items = {item["id"]: item for item in inbox["items"]}
    # Neither the inbox line nor the full official view of the anonymous report names the reporter
    assert not leaks_in(
        json.dumps(items[canary_run.anonymous], ensure_ascii=False), canary.identity_needles()
    )
    status, view = http.call("GET", f"/reports/{canary_run.anonymous}", headers=token)
    assert status == 200 and view["view"] == "official" and view["reporter"] is None
    assert not leaks_in(
        json.dumps(view, ensure_ascii=False), canary.identity_needles(), digit_needles=_digit_needles(canary)
    )
    # The named report's officials do see who reported it (they must be able to follow up).
    status, named = http.call("GET", f"/reports/{canary_run.named}", headers=token)
    assert named["reporter"]["name"] == canary.name


def test_messages_to_the_reporter_repeat_nothing_they_typed(canary_run: CanaryRun):
    # No relay: the reporter's contact gets the code, status, agency, deadlines, officials' notes and
    # links, never the title, description or comments typed into the report.
    canary = canary_run.canary
    to_reporter = [m for m in canary_run.outbox if canary.email in m["to"]]
    assert len(to_reporter) >= 8, to_reporter
    typed = (
        "Puskesmas tutup tanpa",
        "Stok vaksin habis",
        "Jalan rusak di depan",
        "Masih tutup pada",
        "Belum sampai",
    )
    for message in to_reporter:
        text = (message.get("subject") or "") + "\n" + message["body"]
        assert not [t for t in typed if t in text], text
        assert not leaks_in(text, canary.identity_needles(), digit_needles=_digit_needles(canary)), text


def test_twenty_parallel_conflicting_moves_over_http_leave_one_winner(canary_run: CanaryRun):
    # Given a verified report on the local stack
    import threading

    http = canary_run.stack.http
    status, created = http.call(
        "POST",
        "/reports",
        {"title": "Puskesmas tutup siang hari", "description": "Puskesmas kecamatan tutup sejak siang."},
    )
    assert status == 201, created
    _wait_dispatched(http, created["id"])
    token = canary_run.stack.token("kemenkes-admin")
    path = f"/reports/{created['id']}/actions"
    assert http.call("POST", path, {"action": "verify", "note": "ok"}, token)[0] == 200
    # When twenty completes and rejects arrive at once
    results: list[int] = []
    start = threading.Barrier(20)

    def move(action: str) -> None:
        start.wait()
        results.append(http.call("POST", path, {"action": action, "note": "Keputusan"}, token)[0])

    threads = [threading.Thread(target=move, args=(("complete", "reject")[i % 2],)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one wins, the others are 409, and the public timeline ends with the report's status
    assert sorted(results) == [200] + [409] * 19, results
    view = http.call("GET", f"/reports/{created['id']}")[1]
    assert view["timeline"][-1]["status"] == view["status"]
