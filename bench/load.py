"""(f) Load: reports filed all at once over the local stack's HTTP API, until each is messaged once.

The stack runs as ``make local`` runs it (``python -m local`` in a child process, demo directory);
24 clients, each on its own keep-alive connection, file the reports as fast as the stack answers.
Every report is a health complaint from West Java, so it goes to KEMENKES: an assignment email and
SMS to one of its liaisons and an acknowledgment to the reporter, three messages a report.

Figures: reports filed per second, seconds until every report is dispatched and until every message
is out, answers that were not 201, and messages missing or sent twice (target 0 each). The same
pieces drive ``tests/e2e/test_load.py``, which asserts what this benchmark measures.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bench.environment import DEMO_DIRECTORY, progress
from bench.figures import Figure
from bench.options import Options

NAME = "load"
CLIENTS = 24  # concurrent HTTP clients, each on its own keep-alive connection
AGENCY = "KEMENKES"
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}")
SUBJECT_CODE = re.compile(rf"\[LAPOR! ({CODE.pattern})\]")
WIB = ZoneInfo("Asia/Jakarta")

Get = Callable[[str], tuple[int, Any]]


class KeepAliveClient:
    """One HTTP/1.1 connection per thread, reused for every request that thread sends."""

    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=120
            )
        return connection

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request on this thread's connection; the status and the decoded JSON body."""
        connection = self._connection()
        data = None if body is None else json.dumps(body).encode()
        connection.request(
            method, path, body=data, headers={"Content-Type": "application/json"} | (headers or {})
        )
        response = connection.getresponse()
        raw = response.read()
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self._local.connection = None
        return response.status, json.loads(raw) if raw else None

    def get(self, path: str) -> tuple[int, Any]:
        """GET ``path``."""
        return self.request("GET", path)


def load_report_body(number: int, run: str) -> dict[str, Any]:
    """A kesehatan report from West Java (→ KEMENKES) with a unique title and reporter email."""
    return {
        "kind": "complaint",
        "title": f"Puskesmas tutup saat jam layanan #{number:04d} ({run})",
        "description": f"Puskesmas kelurahan nomor {number} tutup pada Senin pagi, dokter tidak ada di tempat.",
        "region": "32.73",
        "reporter": {"name": f"Warga {number}", "email": f"warga{number:04d}.{run}@example.com"},
    }


@dataclass
class Filing:
    """What the stack answered to each report filed, and how long filing took."""

    answers: list[tuple[int, Any, str]]  # (status, body or error, reporter email)
    seconds: float

    @property
    def statuses(self) -> Counter[int]:
        return Counter(status for status, _, _ in self.answers)

    @property
    def reporter_of(self) -> dict[str, str]:
        """Tracking code → reporter email, for every report that was created."""
        return {answer["id"]: email for status, answer, email in self.answers if status == 201}

    @property
    def periods(self) -> set[str]:
        """The statistics months (WIB) the created reports fall in."""
        return {
            datetime.fromisoformat(answer["created_at"]).astimezone(WIB).strftime("%Y-%m")
            for status, answer, _ in self.answers
            if status == 201
        }


def file_at_once(client: KeepAliveClient, count: int, run: str, *, clients: int = CLIENTS) -> Filing:
    """File ``count`` reports over ``clients`` connections opened beforehand, all starting together."""
    opening = threading.Lock()
    all_open = threading.Barrier(clients, timeout=120)

    def open_connection(_: int) -> None:
        # One after the other, then all at once: every worker thread holds exactly one connection.
        with opening:
            status, _ = client.get("/categories")
            assert status == 200, status
        all_open.wait()

    def file(number: int) -> tuple[int, Any, str]:
        body = load_report_body(number, run)
        try:
            status, answer = client.request(
                "POST", "/reports", body, {"Idempotency-Key": f"load-{run}-{number}"}
            )
        except (OSError, http.client.HTTPException) as error:
            return 0, f"{type(error).__name__}: {error}", body["reporter"]["email"]
        return status, answer, body["reporter"]["email"]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(open_connection, range(clients)))
        started = time.monotonic()
        answers = list(pool.map(file, range(count)))
        return Filing(answers, time.monotonic() - started)


def agency_total(get: Get, periods: Iterable[str], agency: str = AGENCY) -> int:
    """Reports counted for ``agency`` over ``periods`` (a report gets its agency when dispatched)."""
    total = 0
    for period in periods:
        status, stats = get(f"/stats?period={period}")
        assert status == 200, stats
        total += sum(row["total"] for row in stats["agencies"] if row["agency"]["code"] == agency)
    return total


def this_month() -> str:
    """The current statistics month (WIB)."""
    return datetime.now(WIB).strftime("%Y-%m")


@dataclass
class Tally:
    """Messages naming our reports, by tracking code and kind."""

    to_official: Counter[str] = field(default_factory=Counter)
    acknowledgments: Counter[str] = field(default_factory=Counter)
    sms: Counter[str] = field(default_factory=Counter)
    stray: int = 0  # naming one of our reports, sent to someone it should not go to

    def kinds(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        return self.to_official, self.acknowledgments, self.sms

    def missing(self, codes: Iterable[str]) -> int:
        """Expected messages (three a report) not sent."""
        return sum(1 for code in codes for kind in self.kinds() if kind[code] == 0)

    def missing_by_report(self, codes: Iterable[str]) -> dict[str, list[str]]:
        """Reports with an expected message not sent, and which ones."""
        names = ("email to the liaison", "acknowledgment", "SMS to the liaison")
        return {
            code: gaps
            for code in codes
            if (gaps := [name for name, kind in zip(names, self.kinds(), strict=True) if kind[code] == 0])
        }

    def duplicates(self, codes: Iterable[str]) -> dict[str, tuple[int, int, int]]:
        """Reports with a message sent more than once: (official email, acknowledgment, SMS) counts."""
        return {
            code: counts
            for code in codes
            if max(counts := (self.to_official[code], self.acknowledgments[code], self.sms[code])) > 1
        }


def tally(
    outbox: list[dict[str, Any]],
    reporter_of: dict[str, str],
    official_emails: set[str],
    official_phones: set[str],
) -> Tally:
    """Sort the stack's outbox into our reports' official emails, acknowledgments and SMS."""
    result = Tally()
    for message in outbox:
        if message["channel"] == "sms":
            codes = set(CODE.findall(message["body"])) & reporter_of.keys()
            if codes and set(message["to"]) <= official_phones:
                result.sms.update(codes)
            elif codes:
                result.stray += 1
            continue
        match = SUBJECT_CODE.search(message.get("subject") or "")
        if not match or match.group(1) not in reporter_of:
            continue
        code = match.group(1)
        if message["to"] == [reporter_of[code]]:
            result.acknowledgments[code] += 1
        elif len(message["to"]) == 1 and message["to"][0] in official_emails:
            result.to_official[code] += 1
        else:
            result.stray += 1
    return result


def liaison_contacts(directory: Path, agency: str = AGENCY) -> tuple[set[str], set[str]]:
    """Emails and phones of the agency's active liaisons: who may be assigned its reports."""
    from lapor.adapters.directory_file import load_directory_file
    from lapor.domain.directory import Role

    liaisons = [
        o
        for o in load_directory_file(directory).officials
        if o.agency == agency and o.role == Role.LIAISON and o.active
    ]
    return {o.email for o in liaisons}, {o.phone for o in liaisons if o.phone}


class Stalled(AssertionError):
    """The pipeline stood still with work missing: something was lost. The message names it."""


def wait_for(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    interval: float,
    duty: float = 0.1,
    stalled: Callable[[], str | None] | None = None,
    tick: float = 1.0,
) -> Any:
    """Poll until ``predicate()`` is truthy (its value), or None once ``timeout`` seconds have passed.

    Reads of a loaded stack are not free (the outbox of 6,000 messages is megabytes): polls are
    spaced so they take at most ``duty`` of the time, leaving the stack to do the work being waited
    for. ``stalled`` is a cheap check asked every ``tick`` seconds in between, so that spacing never
    hides a stall: it answers None while work is moving, "" when the pipeline is quiet (the predicate
    is then asked at once), or a description of what is lost, raised as Stalled.
    """
    deadline = time.monotonic() + timeout
    next_poll = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_poll:
            value = predicate()
            if value:
                return value
            spent = time.monotonic() - now
            next_poll = time.monotonic() + max(interval, spent * (1 / duty - 1))
        if time.monotonic() > deadline:
            return None
        if stalled is not None:
            verdict = stalled()
            if verdict:
                raise Stalled(verdict)
            if verdict == "":
                next_poll = time.monotonic()
                continue
        time.sleep(max(0.0, min(tick, next_poll - time.monotonic(), deadline - time.monotonic())))


def settled(get: Get, *, quiet_seconds: float = 3.0, timeout: float = 120.0, interval: float = 0.25) -> bool:
    """Whether the local stack's pipeline stood idle for ``quiet_seconds`` in a row within ``timeout``.

    One idle answer is not enough: the tally polls its stream at most every 2 s, so it can report
    caught up just before a record it has yet to read. Idle for longer than that window is settled:
    every report written before is dispatched and counted.
    """
    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while time.monotonic() < deadline:
        status, pipeline = get("/_local/pipeline")
        if status == 200 and pipeline["idle"]:
            idle_since = idle_since if idle_since is not None else time.monotonic()
            if time.monotonic() - idle_since >= quiet_seconds:
                return True
        else:
            idle_since = None
        time.sleep(interval)
    return False


@dataclass
class StallWatch:
    """Asks the local stack whether its pipeline is idle; once it has been idle for ``quiet_seconds``,
    whatever is still missing (``describe_missing``) was lost, not delayed.

    Idle means both stream pollers have read everything written and the notify queue holds nothing
    visible, in flight or delayed: no message is on its way anywhere.
    """

    get: Get
    describe_missing: Callable[[], str | None]
    quiet_seconds: float = 5.0
    _idle_since: float | None = None

    def __call__(self) -> str | None:
        status, pipeline = self.get("/_local/pipeline")
        if status != 200 or not pipeline["idle"]:
            self._idle_since = None
            return None
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.quiet_seconds:
            return None
        self._idle_since = None
        lost = self.describe_missing()
        return (
            f"{lost} (the pipeline stood idle for {self.quiet_seconds:.0f} s: lost, not late)" if lost else ""
        )


def describe_lost_messages(
    get: Get, reporter_of: dict[str, str], official_emails: set[str], official_phones: set[str]
) -> str | None:
    """Which reports miss which messages, with the notification ids the stack has not confirmed."""
    counts = tally(get("/_local/outbox")[1], reporter_of, official_emails, official_phones)
    missing = counts.missing_by_report(reporter_of)
    if not missing:
        return None
    sample = sorted(missing)[:10]
    _, undelivered = get(f"/_local/undelivered?reports={','.join(sample)}")
    ids = {entry["report_id"]: [n["id"] for n in entry["notifications"]] for entry in undelivered}
    lines = [
        f"report {code}: no {', no '.join(missing[code])}; unconfirmed notifications {ids.get(code) or 'none'}"
        for code in sample
    ]
    more = f" (and {len(missing) - len(sample)} more reports)" if len(missing) > len(sample) else ""
    return f"{len(missing)} reports miss messages{more}:\n" + "\n".join(lines)


def describe_undispatched(get: Get, codes: Iterable[str]) -> str | None:
    """Reports still not dispatched, by tracking code (reads each report: only asked on a stall)."""
    waiting = [code for code in codes if get(f"/reports/{code}")[1].get("status") == "received"]
    if not waiting:
        return None
    return f"{len(waiting)} reports never dispatched, e.g. {', '.join(sorted(waiting)[:10])}"


def last_sent_at(outbox: list[dict[str, Any]], reporter_of: dict[str, str]) -> datetime | None:
    """When the stack accepted the last message naming one of ``reporter_of``'s reports."""
    times = [
        datetime.fromisoformat(m["sent_at"].replace("Z", "+00:00"))
        for m in outbox
        if m.get("sent_at")
        and reporter_of.keys() & set(CODE.findall(f"{m.get('subject') or ''} {m.get('body') or ''}"))
    ]
    return max(times, default=None)


@dataclass
class LoadResult:
    """One load run's outcome: what was filed, how long things took, what was lost or doubled."""

    count: int
    filing: Filing
    dispatched_after: float | None
    messaged_after: float | None
    counts: Tally
    stalled: str | None  # what was lost, when the pipeline stood idle with messages missing

    @property
    def not_created(self) -> int:
        return self.count - len(self.filing.reporter_of)

    @property
    def missing(self) -> int:
        return self.counts.missing(self.filing.reporter_of)

    @property
    def duplicates(self) -> dict[str, tuple[int, int, int]]:
        return self.counts.duplicates(self.filing.reporter_of)


def run_load(count: int, timeout: float, *, label: str = NAME) -> LoadResult:
    """File ``count`` reports at once on a fresh local stack and wait until each is messaged once."""
    from bench.environment import add_function_paths
    from local.child import start_local_stack

    add_function_paths()
    emails, phones = liaison_contacts(DEMO_DIRECTORY)
    run_id = uuid.uuid4().hex[:8]
    stack = start_local_stack(DEMO_DIRECTORY)
    stalled: str | None = None
    dispatched_after = messaged_after = None
    try:
        client = KeepAliveClient(stack.base)
        progress(label, f"filing {count} reports over {CLIENTS} connections")
        filing = file_at_once(client, count, run_id)
        created = filing.reporter_of
        progress(label, f"{len(created)} filed in {filing.seconds:.0f} s; waiting for dispatch")
        started = time.monotonic() - filing.seconds
        started_at = time.time() - filing.seconds
        try:
            dispatched = wait_for(
                lambda: agency_total(client.get, filing.periods | {this_month()}) >= len(created),
                timeout=timeout,
                interval=1.0,
                stalled=StallWatch(client.get, lambda: describe_undispatched(client.get, created)),
            )
            dispatched_after = time.monotonic() - started if dispatched else None
            progress(label, "waiting for every message")

            def outbox_if_complete() -> Any:
                outbox = client.get("/_local/outbox")[1]
                return outbox if tally(outbox, created, emails, phones).missing(created) == 0 else None

            lost = StallWatch(client.get, lambda: describe_lost_messages(client.get, created, emails, phones))
            complete = wait_for(outbox_if_complete, timeout=timeout, interval=3.0, stalled=lost)
            # From the stack's own accept times: how often the outbox was read does not change it.
            last = last_sent_at(complete, created) if complete else None
            messaged_after = last.timestamp() - started_at if last else None
        except Stalled as stall:
            stalled = str(stall)
            progress(label, f"STALLED: {stalled}")
        time.sleep(3.0)  # a late duplicate would come after the last first copy
        counts = tally(client.get("/_local/outbox")[1], created, emails, phones)
    finally:
        stack.stop()
    return LoadResult(count, filing, dispatched_after, messaged_after, counts, stalled)


def run(options: Options) -> list[Figure]:
    """File ``options.load_reports`` reports at once on a fresh local stack; throughput and exactly-once."""
    result = run_load(options.load_reports, options.load_timeout)
    count, filing = result.count, result.filing
    duplicates = result.duplicates
    statuses = ", ".join(
        f"{status or 'connection error'}: {n}" for status, n in sorted(filing.statuses.items())
    )
    return [
        Figure(
            NAME,
            f"{count} reports at once over {CLIENTS} connections: filed per second",
            count / filing.seconds,
            "reports/s",
            note=f"filed in {filing.seconds:.1f} s; answers {statuses}",
            detail={"reports": count, "clients": CLIENTS, "filed_seconds": round(filing.seconds, 1)},
        ),
        Figure(NAME, "  answers other than 201", result.not_created, "answers", target=0),
        Figure(
            NAME,
            "  all dispatched after",
            result.dispatched_after,
            "s",
            note="" if result.dispatched_after else f"not all dispatched within {options.load_timeout:.0f} s",
        ),
        Figure(
            NAME,
            "  all messaged (email to a liaison, SMS, acknowledgment) after",
            result.messaged_after,
            "s",
            note=f"{3 * len(filing.reporter_of) / result.messaged_after:.1f} messages/s end to end"
            if result.messaged_after
            else "",
        ),
        Figure(
            NAME,
            "  messages missing",
            result.missing,
            "messages",
            target=0,
            note=(result.stalled or "")[:300],
        ),
        Figure(
            NAME,
            "  reports messaged twice, or messages to anyone else",
            len(duplicates) + result.counts.stray,
            "reports",
            target=0,
            note=f"e.g. {list(duplicates.items())[:3]}" if duplicates else "",
        ),
    ]
