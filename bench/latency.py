"""(c) The local stack over HTTP: submit -> dispatched, and submit -> the official's email is sent.

``local.stack.LocalStack`` runs in this process on free ports, without the SLA schedule: moto in
its own process, the API gateway, the stream poller (route) and the queue pollers (notify), as
`make local` runs them. A submitter thread POSTs reports over HTTP at a steady rate; the main thread polls
``GET /_local/outbox`` once for all pending reports and, after the phase, reads ``GET /reports/{id}``
once per report.

Latencies are server timestamps minus the moment the client started the POST (one clock): the
email's ``sent_at`` (when moto accepted it) and the dispatched timeline entry's ``at``. How often
the outbox is read therefore changes only how soon a figure is known, not the figure. Reads are at
least 50 ms apart and take at most a tenth of the time, so polling never starves the pipeline.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.environment import add_function_paths, progress
from bench.figures import Figure, percentile
from bench.options import Options
from bench.payloads import report_body

NAME = "latency"
DISPATCH_TARGET_MS = 1_000.0
EMAIL_TARGET_MS = 1_500.0
POLL_INTERVAL = 0.05
POLL_DUTY = 0.1  # at most this share of the time goes to reading the outbox
SUBMIT_GRACE = 10.0  # seconds a phase's submissions may fall behind schedule before they stop
SUBMITTERS = 32  # reports in flight at most: 50/s with answers as slow as 0.6 s stays on schedule
CODE = re.compile(r"\[LAPOR! ([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{5})\]")


@dataclass
class Tracked:
    """One submitted report and what was observed of it."""

    n: int
    submitted: float  # epoch seconds, when the POST started
    reporter: str | None
    response_ms: float
    email_at: float | None = None
    dispatched_at: float | None = None


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Client:
    """HTTP to the local stack's gateway."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, *, timeout: float = 60) -> Any:
        with urllib.request.urlopen(f"{self.base}{path}", timeout=timeout) as response:
            return json.load(response)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)


class Phase:
    """Submit ``count`` reports at ``rate`` per second and watch each reach its official."""

    def __init__(self, client: Client, *, rate: float, count: int, first: int, timeout: float) -> None:
        self.client = client
        self.rate = rate
        self.count = count
        self.first = first
        self.timeout = timeout
        self.tracked: dict[str, Tracked] = {}
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.not_submitted = 0
        self.submit_seconds = 0.0
        self.outbox_reads: list[float] = []
        self.outbox_errors: list[str] = []

    def _submit_all(self) -> None:
        start = time.monotonic()
        # A stack that cannot take reports at this rate is not waited for: submitting stops once it is
        # SUBMIT_GRACE seconds behind schedule, and the reports never sent count as failures.
        stop_at = start + self.count / self.rate + SUBMIT_GRACE

        def submit(i: int) -> None:
            # Open loop, as citizens are: report i leaves at its slot whether or not earlier ones
            # have been answered (up to SUBMITTERS in flight).
            delay = start + i / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() > stop_at:
                with self.lock:
                    self.not_submitted += 1
                return
            n = self.first + i
            reporter = f"warga{n}@contoh.id" if n % 2 else None
            submitted = time.time()
            began = time.perf_counter()
            try:
                created = self.client.post("/reports", report_body(n, reporter_email=reporter))
            except OSError as error:  # urllib's HTTPError and URLError are OSErrors
                with self.lock:
                    self.errors.append(f"POST /reports: {error}")
                return
            with self.lock:
                self.tracked[created["id"]] = Tracked(
                    n, submitted, reporter, (time.perf_counter() - began) * 1000
                )

        with ThreadPoolExecutor(max_workers=SUBMITTERS, thread_name_prefix="submitter") as pool:
            list(pool.map(submit, range(self.count)))
        self.submit_seconds = time.monotonic() - start

    def _read_outbox(self) -> None:
        """One GET /_local/outbox: the earliest official email of every pending report."""
        began = time.perf_counter()
        try:
            outbox = self.client.get("/_local/outbox")
        except (OSError, ValueError) as error:  # the next read tries again
            self.outbox_errors.append(f"{type(error).__name__}: {error}")
            outbox = []
        self.outbox_reads.append(time.perf_counter() - began)
        with self.lock:
            waiting = {code: t for code, t in self.tracked.items() if t.email_at is None}
        for message in outbox:
            if message.get("channel") != "email" or not message.get("sent_at"):
                continue
            match = CODE.search(message.get("subject") or "")
            tracked = waiting.get(match.group(1)) if match else None
            if tracked is None or (tracked.reporter and tracked.reporter in message.get("to", [])):
                continue  # not ours, or the reporter's acknowledgement
            sent = _epoch(message["sent_at"])
            if tracked.email_at is None or sent < tracked.email_at:
                tracked.email_at = sent  # the assignee's email comes first; cc copies follow

    def _read_dispatch_times(self) -> None:
        """One GET /reports/{id} per report, after the phase: the dispatched entry's timestamp."""
        for code, tracked in list(self.tracked.items()):
            try:
                view = self.client.get(f"/reports/{code}")
            except (OSError, ValueError) as error:
                self.errors.append(f"GET /reports/{code}: {error}")
                continue
            stamps = [_epoch(e["at"]) for e in view.get("timeline", []) if e.get("status") == "dispatched"]
            tracked.dispatched_at = min(stamps) if stamps else None

    def run(self, label: str) -> None:
        """Submit, poll the outbox until every report's official has its email or time is up."""
        submitter = threading.Thread(target=self._submit_all, name="submitter", daemon=True)
        submitter.start()
        deadline: float | None = None
        last_note = time.monotonic()
        while True:
            began = time.monotonic()
            self._read_outbox()
            with self.lock:
                done = sum(1 for t in self.tracked.values() if t.email_at is not None)
                submitted = len(self.tracked)
            if time.monotonic() - last_note >= 5:
                progress(NAME, f"{label}: {submitted}/{self.count} submitted, {done} reached their official")
                last_note = time.monotonic()
            if not submitter.is_alive():
                deadline = deadline or time.monotonic() + self.timeout
                if done == submitted or time.monotonic() > deadline:
                    break
            spent = time.monotonic() - began
            time.sleep(max(POLL_INTERVAL - spent, spent * (1 / POLL_DUTY - 1)))
        submitter.join()
        self._read_dispatch_times()

    def figures(self, label: str, *, targets: bool) -> list[Figure]:
        """p50/p95/p99 of both latencies, what did not arrive, and what the polling cost."""
        tracked = sorted(self.tracked.values(), key=lambda t: t.n)
        dispatch = [(t.dispatched_at - t.submitted) * 1000 for t in tracked if t.dispatched_at]
        email = [(t.email_at - t.submitted) * 1000 for t in tracked if t.email_at]
        missing = len(tracked) - len(email)
        quarter = max(1, len(tracked) // 4)
        early = [(t.email_at - t.submitted) * 1000 for t in tracked[:quarter] if t.email_at]
        late = [(t.email_at - t.submitted) * 1000 for t in tracked[-quarter:] if t.email_at]
        reads_ms = [r * 1000 for r in self.outbox_reads]
        common = {
            "rate_per_second": self.rate,
            "reports": self.count,
            "achieved_rate": round(len(tracked) / self.submit_seconds, 2) if self.submit_seconds else None,
        }
        problems = [
            f"{self.not_submitted} not submitted (the stack fell {SUBMIT_GRACE:.0f} s behind)"
            if self.not_submitted
            else "",
            f"{missing} submitted but not at their official" if missing else "",
            *self.errors[:3],
        ]
        return [
            Figure(
                NAME,
                f"{label}: submit -> dispatched p50",
                percentile(dispatch, 50),
                "ms",
                target=DISPATCH_TARGET_MS if targets else None,
                detail={**common, "samples": len(dispatch)},
            ),
            Figure(NAME, f"{label}: submit -> dispatched p95", percentile(dispatch, 95), "ms"),
            Figure(NAME, f"{label}: submit -> dispatched p99", percentile(dispatch, 99), "ms"),
            Figure(
                NAME,
                f"{label}: submit -> official's email p50",
                percentile(email, 50),
                "ms",
                target=EMAIL_TARGET_MS if targets else None,
                detail={**common, "samples": len(email)},
            ),
            Figure(NAME, f"{label}: submit -> official's email p95", percentile(email, 95), "ms"),
            Figure(
                NAME,
                f"{label}: submit -> official's email p99",
                percentile(email, 99),
                "ms",
                note=(
                    f"email p50 of the first quarter {percentile(early, 50):,.0f} ms, of the last "
                    f"{percentile(late, 50):,.0f} ms; POST /reports p50 "
                    f"{percentile([t.response_ms for t in tracked], 50):,.0f} ms"
                ),
                detail={
                    "first_quarter_p50_ms": percentile(early, 50),
                    "last_quarter_p50_ms": percentile(late, 50),
                },
            ),
            Figure(
                NAME,
                f"{label}: reports not submitted or not at their official {self.timeout:.0f} s after",
                self.not_submitted + missing + len(self.errors),
                "reports",
                target=0 if targets else None,
                note="; ".join(p for p in problems if p),
            ),
            Figure(
                NAME,
                f"{label}: GET /_local/outbox p50",
                percentile(reads_ms, 50),
                "ms",
                note=f"{len(reads_ms)} reads, the last {reads_ms[-1]:,.0f} ms"
                + (
                    f"; {len(self.outbox_errors)} failed: {self.outbox_errors[0]}"
                    if self.outbox_errors
                    else ""
                ),
            ),
        ]


def run(options: Options) -> list[Figure]:
    """One phase per rate, one after the other on one local stack (it keeps the earlier phases' data)."""
    add_function_paths()
    from local.stack import LocalConfig, LocalStack

    stack = LocalStack(
        LocalConfig(port=0, aws_port=0, sla_interval=0),
        log=lambda line: progress(NAME, f"local stack: {line}"),
    )
    figures: list[Figure] = []
    stack.start()
    try:
        client = Client(stack.url)
        first = 0
        for rate in options.latency_rates:
            label = f"{rate:g}/s"
            count = options.latency_reports
            progress(NAME, f"{label}: submitting {count} reports over {count / rate:.0f} s")
            phase = Phase(client, rate=rate, count=count, first=first, timeout=options.latency_timeout)
            phase.run(label)
            figures += phase.figures(label, targets=True)
            first += count
        failed = stack.stream_poller.failed_records
        if failed:
            figures.append(Figure(NAME, "stream records sent to the on-failure queue", failed, "records"))
    finally:
        stack.stop()
    return figures
