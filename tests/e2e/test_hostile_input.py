"""Hostile input over HTTP: the API answers 4xx JSON (never 5xx, never a dropped connection) and stays up.

The stack runs in a process of its own with its output captured (``start_logged_stack``), so that a
crash is seen as what it is — a traceback through project code — and so that no pipe fills up.
Several cases pin failures found once and fixed; a regression turns them red.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_canary import LoggedStack, start_logged_stack

VALID = {
    "title": "Jalan rusak parah",
    "description": "Jalan rusak parah di depan pasar kecamatan, banyak lubang.",
}


# ------------------------------------------------------------------------------------------------
# Fixtures and a raw HTTP client
# ------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """A raw HTTP answer; ``status`` is None when the server closed the connection without answering."""

    status: int | None
    content_type: str
    body: bytes
    error: str = ""

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    def field_names(self) -> list[str]:
        """The ``field`` of each entry of an error body's ``errors``."""
        return [e["field"] for e in self.json().get("errors", [])]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedStack]:
    """A logged local stack for this module."""
    with start_logged_stack(tmp_path_factory.mktemp("hostile") / "stack.log") as stack:
        yield stack


@pytest.fixture(autouse=True)
def stays_up(hostile: LoggedStack) -> Iterator[None]:
    """After every test, the stack process still runs and answers a normal request."""
    yield
    assert hostile.alive(), hostile.log_text()[-3000:]
    status, body = hostile.http.call("GET", "/categories")
    assert status == 200 and body, (status, body)


def send(
    stack: LoggedStack,
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 30,
) -> Answer:
    """Send exactly these bytes (no path normalisation); a dict body is sent as JSON."""
    url = urlsplit(stack.http.base)
    if isinstance(body, dict):
        data: bytes | None = json.dumps(body, ensure_ascii=False).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    all_headers = {"Content-Type": "application/json"} | (headers or {})
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type") or "", response.read())
    except (ConnectionError, http.client.HTTPException, TimeoutError) as error:
        return Answer(None, "", b"", f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def send_raw(stack: LoggedStack, request: bytes, *, timeout: float = 10) -> Answer:
    """Write raw bytes on a socket (request line and headers as given); the status of the answer."""
    url = urlsplit(stack.http.base)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except (TimeoutError, ConnectionError) as error:
            return Answer(None, "", b"", f"{type(error).__name__}: {error}")
    raw = b"".join(chunks)
    if not raw:
        return Answer(None, "", b"", "connection closed without an answer")
    status_line, _, rest = raw.partition(b"\r\n")
    head, _, body = rest.partition(b"\r\n\r\n")
    content_type = next(
        (
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-type:")
        ),
        "",
    )
    return Answer(int(status_line.split()[1]), content_type, body)


def assert_client_error(answer: Answer, *, status: int | tuple[int, ...] | None = None) -> None:
    """A 4xx JSON answer (and the given status, if any)."""
    assert answer.status is not None, f"no answer: {answer.error}"
    assert 400 <= answer.status < 500, (answer.status, answer.body[:500])
    if status is not None:
        expected = status if isinstance(status, tuple) else (status,)
        assert answer.status in expected, (answer.status, answer.body[:500])
    assert answer.content_type.startswith("application/json"), (answer.content_type, answer.body[:300])
    assert isinstance(answer.json(), dict)


def submit(stack: LoggedStack, fields: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    """POST /reports with a valid report overridden by ``fields``."""
    return send(stack, "POST", "/reports", VALID | fields, headers)


# ------------------------------------------------------------------------------------------------
# Size limits
# ------------------------------------------------------------------------------------------------


def test_oversize_body_is_413(hostile: LoggedStack):
    answer = submit(hostile, {"description": "x" * 300_000})
    assert_client_error(answer, status=413)
    assert answer.field_names() == ["body"]


def test_oversize_body_on_officials_route_is_refused(hostile: LoggedStack):
    token = hostile.token("kemenkes-admin")
    answer = send(
        hostile,
        "POST",
        "/reports/AAAA-BBBB-CCCCC/actions",
        {"action": "verify", "note": "n" * 300_000},
        token,
    )
    assert_client_error(answer, status=413)


def _nested(depth: int, kind: str) -> bytes:
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def _deep_bodies() -> list[Any]:
    bodies = []
    for kind in ("arrays", "objects"):
        inner = _nested(10_000, kind)
        bodies.append(pytest.param(inner, id=f"top-level-{kind}"))
        bodies.append(
            pytest.param(
                b'{"title": "Jalan rusak parah", "description": "Jalan rusak parah sekali", "location": '
                + inner
                + b"}",
                id=f"in-field-{kind}",
            )
        )
    return bodies


@pytest.mark.parametrize("body", _deep_bodies())
def test_server_survives_deeply_nested_json(hostile: LoggedStack, body: bytes):
    send(hostile, "POST", "/reports", body)
    # ``stays_up`` checks the stack still answers.


@pytest.mark.parametrize("body", _deep_bodies())
def test_deeply_nested_json_is_a_client_error(hostile: LoggedStack, body: bytes):
    assert_client_error(send(hostile, "POST", "/reports", body), status=(400, 413, 422))


def test_moderately_nested_json_is_a_client_error(hostile: LoggedStack):
    # Below the parser's recursion limit the body parses and validation refuses the shape.
    answer = send(hostile, "POST", "/reports", VALID | {"location": json.loads(_nested(200, "arrays"))})
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["location"]


def test_long_header_values(hostile: LoggedStack):
    # 8 kB: accepted (API Gateway allows 10 kB of headers); 70 kB: refused by the server, not a crash.
    assert submit(hostile, {}, {"X-Long": "a" * 8_000}).status == 201
    answer = submit(hostile, {}, {"X-Long": "a" * 70_000})
    assert answer.status is not None and 400 <= answer.status < 500, answer
    answer = send(hostile, "GET", "/inbox", headers={"Authorization": "Bearer " + "a" * 50_000})
    assert_client_error(answer, status=401)


def test_idempotency_key_of_10_kb_is_refused(hostile: LoggedStack):
    answer = submit(hostile, {}, {"Idempotency-Key": "k" * 10_240})
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["idempotency-key"]
    token = hostile.token("kemenkes-admin")
    answer = send(
        hostile,
        "POST",
        "/reports/AAAA-BBBB-CCCCC/actions",
        {"action": "verify", "note": ""},
        token | {"Idempotency-Key": "k" * 10_240},
    )
    assert_client_error(answer, status=422)


def test_tracking_code_of_20_kb_is_refused(hostile: LoggedStack):
    answer = send(hostile, "GET", "/reports/" + "A" * 20_000)
    assert_client_error(answer)
    answer = send(
        hostile, "POST", "/reports/" + "A" * 20_000 + "/feedback", {"receipt": "x", "action": "accept"}
    )
    assert_client_error(answer)


# ------------------------------------------------------------------------------------------------
# Characters
# ------------------------------------------------------------------------------------------------

REFUSED_IN_TITLE = {
    "RLO (right-to-left override)": "\u202e",
    "LRO (left-to-right override)": "\u202d",
    "RLE (right-to-left embedding)": "\u202b",
    "RLI (right-to-left isolate)": "\u2067",
    "PDI (pop directional isolate)": "\u2069",
    "RLM (right-to-left mark)": "\u200f",
    "ZWSP (zero-width space)": "\u200b",
    "ZWNJ (zero-width non-joiner)": "\u200c",
    "ZWJ (zero-width joiner)": "\u200d",
    "BOM (zero-width no-break space)": "\ufeff",
    "line separator": "\u2028",
    "NUL": "\x00",
    "ESC": "\x1b",
    "BEL": "\x07",
    "DEL": "\x7f",
    "C1 CSI": "\x9b",
    "newline": "\n",
    "carriage return": "\r",
}


@pytest.mark.parametrize("char", REFUSED_IN_TITLE.values(), ids=REFUSED_IN_TITLE.keys())
def test_title_refuses_control_bidi_and_zero_width_characters(hostile: LoggedStack, char: str):
    answer = submit(hostile, {"title": f"Jalan{char} rusak parah"})
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["title"]


@pytest.mark.parametrize(
    "char", ["\x00", "\x1b", "\x07", "\u202e", "\u200b"], ids=["NUL", "ESC", "BEL", "RLO", "ZWSP"]
)
@pytest.mark.parametrize("field", ["description", "reporter.name"])
def test_other_text_fields_refuse_control_characters(hostile: LoggedStack, field: str, char: str):
    text = f"Jalan rusak{char} parah sekali"
    fields = {"description": text} if field == "description" else {"reporter": {"name": text}}
    answer = submit(hostile, fields)
    assert_client_error(answer, status=422)
    assert answer.field_names() == [field]


@pytest.mark.parametrize("field", ["comment", "note"])
def test_feedback_comment_and_action_note_refuse_control_characters(hostile: LoggedStack, field: str):
    if field == "comment":
        answer = send(
            hostile,
            "POST",
            "/reports/AAAA-BBBB-CCCCC/feedback",
            {"receipt": "x", "action": "reopen", "comment": "Belum \x1b[2J beres"},
        )
    else:
        answer = send(
            hostile,
            "POST",
            "/reports/AAAA-BBBB-CCCCC/actions",
            {"action": "respond", "note": "Catatan \x00 petugas"},
            hostile.token("kemenkes-admin"),
        )
    assert_client_error(answer, status=422)
    assert answer.field_names() == [field]


def test_description_keeps_newlines_and_tabs(hostile: LoggedStack):
    description = "Baris pertama\n\tbaris kedua dengan tab\nbaris ketiga"
    answer = submit(hostile, {"description": description})
    assert answer.status == 201, answer
    view = hostile.http.call("GET", f"/reports/{answer.json()['id']}")[1]
    assert view["description"] == description


INVISIBLE_NOT_REFUSED = {
    "soft hyphen U+00AD": "\u00ad",
    "Arabic letter mark U+061C (a bidi mark)": "\u061c",
    "Mongolian vowel separator U+180E": "\u180e",
    "word joiner U+2060": "\u2060",
    "invisible times U+2062": "\u2062",
    "interlinear annotation anchor U+FFF9": "\ufff9",
    "tag LATIN CAPITAL A U+E0041": "\U000e0041",
    "language tag U+E0001": "\U000e0001",
}


@pytest.mark.parametrize("char", INVISIBLE_NOT_REFUSED.values(), ids=INVISIBLE_NOT_REFUSED.keys())
def test_title_refuses_other_invisible_format_characters(hostile: LoggedStack, char: str):
    answer = submit(hostile, {"title": f"Jalan{char} rusak parah"})
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["title"]


CONFUSABLE_TITLES = {
    "Cyrillic a in a Latin word": "J\u0430lan rusak parah",
    "Cyrillic o and e in Latin words": "P\u043ests\u0435r palsu",
    "Greek omicron in a Latin word": "Jalan rusak p\u03bfrah",
}


@pytest.mark.parametrize("title", CONFUSABLE_TITLES.values(), ids=CONFUSABLE_TITLES.keys())
def test_title_refuses_mixed_script_confusables(hostile: LoggedStack, title: str):
    answer = submit(hostile, {"title": title})
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["title"]


def test_single_script_non_latin_titles_are_accepted(hostile: LoggedStack):
    # A confusable check must not refuse honest text in one script (Javanese script, Arabic, Cyrillic).
    for title in ("ꦗꦭꦤ꧀ ꦫꦸꦱꦏ꧀ ꦥꦫꦃ", "طريق متضرر جدا", "Дорога разбита"):
        answer = submit(hostile, {"title": title})
        assert answer.status == 201, (title, answer)


# ------------------------------------------------------------------------------------------------
# Injection strings are plain text
# ------------------------------------------------------------------------------------------------

INJECTIONS = {
    "sql": "x'; DROP TABLE reports; -- \" OR 1=1 --",
    "nosql": '{"$gt": ""} {"$where": "sleep(1000)"} $ne',
    "dynamodb-expression": "attribute_exists(pk) OR begins_with(sk, :v) #name",
    "jinja": "{{7*7}} {{ config.items() }} {% raw %}",
    "template-dollar": "${7*7} #{7*7} <%= 7*7 %> ${jndi:ldap://x.invalid/a}",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "html-attribute": "\"><svg/onload=alert(3)>'",
    "json-breakout": '"}], "status": "closed", "x": [{"',
    "path": "../../etc/passwd %2e%2e/ \\..\\windows",
    "format-string": "%s%s%n %x {0} {__class__}",
}


@pytest.mark.parametrize("payload", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_strings_are_stored_and_returned_as_plain_text(hostile: LoggedStack, payload: str):
    title = ("Laporan " + payload)[:200]
    description = f"Isi laporan: {payload} — selesai."
    answer = submit(
        hostile, {"title": title, "description": description, "reporter": {"name": "Budi Santoso"}}
    )
    assert answer.status == 201, answer
    report_id = answer.json()["id"]
    view = send(hostile, "GET", f"/reports/{report_id}")
    assert view.status == 200 and view.content_type.startswith("application/json"), view
    parsed = view.json()
    # Unchanged, not interpreted: no template evaluated, no markup stripped, no structure injected.
    assert parsed["title"] == title and parsed["description"] == description
    assert parsed["status"] in ("received", "dispatched")
    assert "49" not in parsed["title"]
    # The reporter's name is nowhere in the public view.
    assert "Santoso" not in json.dumps(parsed, ensure_ascii=False)
    # JSON escapes the quotes, so the raw text cannot close a string or an element of the document.
    assert b'"status": "closed"' not in view.body and b'"status":"closed"' not in view.body


def test_injection_in_officials_email_is_escaped(hostile: LoggedStack):
    payload = INJECTIONS["html"]
    answer = submit(hostile, {"title": "Puskesmas " + payload, "region": "32.73"})
    assert answer.status == 201, answer
    report_id = answer.json()["id"]
    mails = hostile.http.wait_for(
        lambda: [
            m
            for m in hostile.http.outbox()
            if m["channel"] == "email" and report_id in (m.get("subject") or "") + m["body"]
        ],
        timeout=30,
    )
    html_bodies = [m["body"] for m in mails if m["body"].lstrip().lower().startswith("<!doctype html")]
    assert html_bodies, mails
    for body in html_bodies:
        # The reporter's markup arrives escaped, as text, never as elements.
        assert "<script>" not in body and "<img" not in body, body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, body
    for mail in mails:
        assert "\r" not in (mail.get("subject") or "") and "\n" not in (mail.get("subject") or "")


def test_non_string_where_a_string_is_expected(hostile: LoggedStack):
    cases = {
        "title": {"title": 12345},
        "description": {"description": ["Jalan rusak parah sekali"]},
        "reporter.name": {"reporter": {"name": 42}},
        "region": {"region": 31},
        "category": {"category": {"$ne": None}},
        "anonymous": {"anonymous": "true"},
        "kind": {"kind": 1},
        "occurred_on": {"occurred_on": 20260101},
    }
    for field, fields in cases.items():
        answer = submit(hostile, fields)
        assert_client_error(answer, status=422)
        assert field in answer.field_names(), (field, answer.body)


def test_huge_integers_and_non_finite_numbers(hostile: LoggedStack):
    feedback = "/reports/AAAA-BBBB-CCCCC/feedback"
    big = "9" * 400
    cases = [
        (
            "/reports",
            f'{{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{{"lat":{big},"lon":110}}}}',
        ),
        (
            "/reports",
            '{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{"lat":NaN,"lon":110}}',
        ),
        (
            "/reports",
            '{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{"lat":-6,"lon":Infinity}}',
        ),
        (
            "/reports",
            '{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{"lat":-Infinity,"lon":110}}',
        ),
        (
            "/reports",
            '{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{"lat":1e400,"lon":110}}',
        ),
        # 5,000 digits: beyond Python's int-to-string limit; the parser refuses it.
        ("/reports", '{"title":' + "9" * 5000 + ',"description":"Jalan rusak parah sekali"}'),
        (feedback, f'{{"receipt":"x","action":"accept","rating":{big}}}'),
        (feedback, '{"receipt":"x","action":"accept","rating":NaN}'),
        (feedback, '{"receipt":"x","action":"accept","rating":5.0}'),
        (feedback, '{"receipt":"x","action":"accept","rating":"5"}'),
    ]
    for path, body in cases:
        assert_client_error(send(hostile, "POST", path, body), status=(400, 422))


@pytest.mark.parametrize("lat", ["5e-324", "-3.6e-236", "1e-200"])
def test_tiny_coordinates_are_not_a_server_error(hostile: LoggedStack, lat: str):
    body = f'{{"title":"Jalan rusak parah","description":"Jalan rusak parah sekali","location":{{"lat":{lat},"lon":110}}}}'
    answer = send(hostile, "POST", "/reports", body)
    assert answer.status is not None, f"no answer: {answer.error}"
    assert answer.status == 201 or 400 <= answer.status < 500, answer


def test_duplicate_keys_the_validated_value_is_the_stored_value(hostile: LoggedStack):
    # Python's parser keeps the last duplicate; validation and storage must agree on which one.
    refused = (
        b'{"title":"Jalan rusak parah","title":"\\u202eevil title","description":"Jalan rusak parah sekali"}'
    )
    answer = send(hostile, "POST", "/reports", refused)
    assert_client_error(answer, status=422)
    assert answer.field_names() == ["title"]
    accepted = (
        b'{"title":"\\u202eevil title","title":"Jalan rusak parah","description":"Jalan rusak parah sekali"}'
    )
    answer = send(hostile, "POST", "/reports", accepted)
    assert answer.status == 201, answer
    view = hostile.http.call("GET", f"/reports/{answer.json()['id']}")[1]
    assert view["title"] == "Jalan rusak parah"


NOT_UTF8 = {
    "invalid bytes FF FE": b'{"title":"Jalan \xff\xfe rusak","description":"Jalan rusak parah sekali"}',
    "truncated 2-byte sequence": b'{"title":"Jalan \xc3\x28 rusak","description":"Jalan rusak parah sekali"}',
    "Latin-1": '{"title":"Jalan rusak \u00e9","description":"Jalan rusak parah sekali"}'.encode("latin-1"),
}


@pytest.mark.parametrize("body", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_body_that_is_not_utf8(hostile: LoggedStack, body: bytes):
    answer = send(hostile, "POST", "/reports", body)
    assert_client_error(answer, status=400)
    assert answer.field_names() == ["body"]


# json.loads(bytes) detects UTF-16/32 and decodes with "surrogatepass", so precheck accepts these;
# lapor.api.handle then decodes the body as strict UTF-8 and raises UnicodeDecodeError (unhandled).
DECODED_DIFFERENTLY = {
    "UTF-8-encoded surrogate": b'{"title":"Jalan \xed\xa0\x80 rusak","description":"Jalan rusak parah sekali"}',
    "UTF-16 with BOM": json.dumps(VALID).encode("utf-16"),
}


@pytest.mark.parametrize("body", DECODED_DIFFERENTLY.values(), ids=DECODED_DIFFERENTLY.keys())
def test_body_that_precheck_and_handler_decode_differently(hostile: LoggedStack, body: bytes):
    assert_client_error(send(hostile, "POST", "/reports", body), status=(400, 415, 422))


def test_body_with_utf8_bom(hostile: LoggedStack):
    answer = send(hostile, "POST", "/reports", "\ufeff".encode() + json.dumps(VALID).encode())
    assert answer.status == 201 or (answer.status is not None and 400 <= answer.status < 500), answer


def test_lone_surrogate_escape_is_refused(hostile: LoggedStack):
    # Valid JSON, but the string cannot be stored as UTF-8.
    body = b'{"title":"Jalan \\ud800 rusak","description":"Jalan rusak parah sekali"}'
    answer = send(hostile, "POST", "/reports", body)
    assert answer.status is not None and (answer.status == 201 or 400 <= answer.status < 500), answer


def test_non_utf8_bytes_in_the_request_path(hostile: LoggedStack):
    answer = send_raw(hostile, b"GET /reports/\xff\xfe\x00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.status is not None and 400 <= answer.status < 500, answer


def test_wrong_content_type(hostile: LoggedStack):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        answer = send(hostile, "POST", "/reports", json.dumps(VALID), {"Content-Type": content_type})
        assert_client_error(answer, status=415)


# ------------------------------------------------------------------------------------------------
# Paths and methods
# ------------------------------------------------------------------------------------------------

TRAVERSALS = [
    "/reports/../../etc/passwd",
    "/reports/..%2F..%2Fetc%2Fpasswd",
    "/reports/%2e%2e/%2e%2e/etc/passwd",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "/..%2flocal%2fstack.py",
    "/../local/stack.py",
    "/web/../pyproject.toml",
    "/index.html/../../pyproject.toml",
    "//etc/passwd",
    "/....//....//etc/passwd",
    "/..\\..\\pyproject.toml",
    "/index.html%00.js",
    "/_local/../../pyproject.toml",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(hostile: LoggedStack, path: str):
    answer = send(hostile, "GET", path)
    assert_client_error(answer, status=404)
    assert b"root:" not in answer.body and b"[project]" not in answer.body and b"import" not in answer.body


def test_static_pages_are_still_served(hostile: LoggedStack):
    answer = send(hostile, "GET", "/index.html")
    assert answer.status == 200 and answer.content_type.startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/reports"),
        ("DELETE", "/reports/AAAA-BBBB-CCCCC"),
        ("PATCH", "/reports/AAAA-BBBB-CCCCC"),
        ("GET", "/reports/AAAA-BBBB-CCCCC/actions"),
        ("DELETE", "/categories"),
        ("POST", "/stats"),
        ("POST", "/openapi.json"),
        ("GET", "/_local/token"),
    ],
)
def test_wrong_methods_are_client_errors(hostile: LoggedStack, method: str, path: str):
    body = json.dumps(VALID) if method in ("PUT", "PATCH", "POST") else None
    assert_client_error(send(hostile, method, path, body))


def test_a_preflight_is_answered_only_for_allowed_origins(hostile: LoggedStack):
    # OPTIONS is a CORS preflight (the stack runs with CORS on, as deployed): 204, and the allow
    # headers only for an allowed origin (the stack's own, under "localhost" too)
    url = urlsplit(hostile.http.base)
    allowed = f"http://localhost:{url.port}"
    for origin, expected in ((allowed, allowed), ("https://evil.example", None)):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            connection.request(
                "OPTIONS", "/reports", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 204
        assert response.getheader("Access-Control-Allow-Origin") == expected


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "QUERY", "FOO"])
def test_unknown_methods_are_client_errors(hostile: LoggedStack, method: str):
    assert_client_error(send(hostile, method, "/reports"))


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_malformed_content_length_is_400(hostile: LoggedStack, length: str):
    request = (
        f"POST /reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    answer = send_raw(hostile, request, timeout=5)
    assert answer.status == 400, answer


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b'"kemenkes-admin"'])
def test_local_token_route_refuses_malformed_bodies(hostile: LoggedStack, body: bytes):
    assert_client_error(send(hostile, "POST", "/_local/token", body), status=(400, 422))


def test_concurrent_sign_ins_of_one_official(hostile: LoggedStack):
    failures: list[str] = []

    def sign_in() -> None:
        for _ in range(8):
            answer = send(hostile, "POST", "/_local/token", {"official_id": "kemenkes-admin"})
            if answer.status != 200:
                failures.append(f"{answer.status} {answer.error}")

    threads = [threading.Thread(target=sign_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_local_token_puts_back_the_seeded_password_when_it_was_changed():
    # Someone changed an official's password on the page; POST /_local/token still signs them in.
    from local import auth

    passwords: list[str] = []
    attempts: list[str] = []

    class Cognito:
        class exceptions:  # the boto3 client's attribute
            UserNotFoundException = LookupError
            NotAuthorizedException = PermissionError

        def admin_get_user(self, **_: Any) -> dict[str, Any]:
            return {"Enabled": True}

        def admin_set_user_password(self, *, Password: str, **_: Any) -> None:
            passwords.append(Password)

        def admin_initiate_auth(self, *, AuthParameters: dict[str, str], **_: Any) -> dict[str, Any]:
            attempts.append(AuthParameters["PASSWORD"])
            if not passwords:
                raise PermissionError("Incorrect username or password.")
            return {"AuthenticationResult": {"IdToken": "token"}}

    pool = auth.UserPool(pool_id="pool", client_id="client", region="ap-southeast-3")
    assert auth.issue_id_token(Cognito(), pool, "kemenkes-admin", auth.DEFAULT_PASSWORD) == "token"
    assert passwords == [auth.DEFAULT_PASSWORD] and attempts == [auth.DEFAULT_PASSWORD] * 2


# ------------------------------------------------------------------------------------------------
# Afterwards
# ------------------------------------------------------------------------------------------------


def test_a_normal_report_still_goes_through(hostile: LoggedStack):
    status, created = hostile.http.call(
        "POST", "/reports", VALID | {"title": f"Puskesmas tutup {uuid.uuid4().hex[:6]}", "region": "32.73"}
    )
    assert status == 201, created
    view = hostile.http.wait_for(
        lambda: (
            (v := hostile.http.call("GET", f"/reports/{created['id']}")[1])["status"] == "dispatched" and v
        ),
        timeout=30,
    )
    assert view["agency"]["code"] == "KEMENKES"


def test_no_crash(hostile: LoggedStack):
    # Everything above was answered without a single traceback in the stack's output.
    crashes = [text[-2500:] for _, text in hostile.project_tracebacks()]
    assert not crashes, "\n\n".join(crashes)
