"""Load: reports filed concurrently over HTTP, every one dispatched and messaged exactly once.

Runs in ``make test`` against the session's local stack (``python -m local`` in a child process:
moto in a process of its own, the API gateway, the stream and queue pollers). The filing, counting
and tallying are ``bench.load``'s, so this test asserts what ``make bench`` measures; the figures it
prints (reports/s filed, seconds until all are dispatched and all are messaged) are never asserted.

SIZE: 500 reports, unless ``LAPOR_LOAD_REPORTS`` says otherwise; ``make bench`` files the full
2,000, also with both cores held by CPU burners (``bench.contention``).

A lost message fails the test at once, naming the report and the notification id, instead of
waiting for the ceiling: once the stack's pipeline has stood idle for a few seconds (stream read,
notify queue empty), whatever is still missing cannot arrive.

The reports go to KEMENKES (kesehatan outside Jakarta): two liaisons with phones, so each report
costs an assignment email and SMS to a liaison and an acknowledgment email to its reporter.
"""

from __future__ import annotations

import http.client
import os
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bench.load import (
    CLIENTS,
    CODE,
    KeepAliveClient,
    StallWatch,
    agency_total,
    describe_lost_messages,
    describe_undispatched,
    file_at_once,
    last_sent_at,
    liaison_contacts,
    settled,
    tally,
    this_month,
    wait_for,
)
from local.gateway import make_server
from tests.e2e.conftest import ROOT, TEST_DIRECTORY, Http

REPORTS = int(os.environ.get("LAPOR_LOAD_REPORTS", "500"))
# Generous ceilings for a slow, busy machine; they bound a hang, they are not performance assertions.
DISPATCH_TIMEOUT = max(240.0, REPORTS * 0.75)
EMAIL_TIMEOUT = max(300.0, REPORTS * 0.9)


def test_concurrent_reports_are_dispatched_and_messaged_exactly_once(stack: Http):
    run = uuid.uuid4().hex[:8]
    liaison_emails, liaison_phones = liaison_contacts(TEST_DIRECTORY)
    assert len(liaison_emails) == 2 and len(liaison_phones) == 2
    client = KeepAliveClient(stack.base)
    # The session's stack may already hold other tests' KEMENKES reports: count ours on top of them,
    # once the earlier ones are all dispatched and counted.
    assert settled(client.get), "the stack never stood idle before the load"
    baseline_periods = {this_month()}
    baseline = agency_total(client.get, baseline_periods)

    # Given REPORTS citizens, each with a distinct report and email address, and 24 HTTP clients whose
    # keep-alive connections are open, when they all file at once
    started, started_at = time.monotonic(), time.time()
    filing = file_at_once(client, REPORTS, run)

    # Then every answer is 201 (no 5xx, no connection error), with a distinct tracking code
    errors = [(status, answer) for status, answer, _ in filing.answers if status != 201]
    assert filing.statuses[201] == REPORTS, f"answers by status {dict(filing.statuses)}; first: {errors[:5]}"
    reporter_of = filing.reporter_of
    assert len(reporter_of) == REPORTS and all(CODE.fullmatch(code) for code in reporter_of)
    assert all(answer["status"] == "received" for _, answer, _ in filing.answers)
    # (a month that began during the run had none of our reports before it)
    periods = filing.periods | baseline_periods

    # When the stream poller routes them
    # Then all are counted for the agency (a report gets its agency when it is dispatched), no more
    expected_total = baseline + REPORTS
    assert wait_for(
        lambda: agency_total(client.get, periods) >= expected_total,
        timeout=DISPATCH_TIMEOUT,
        interval=1.0,
        stalled=StallWatch(client.get, lambda: describe_undispatched(client.get, reporter_of)),
    ), f"not all dispatched within {DISPATCH_TIMEOUT:.0f} s"
    dispatched_after = time.monotonic() - started
    assert agency_total(client.get, periods) == expected_total
    # ... and a random sample, tracked one by one, is dispatched to it with a verify deadline
    for code in random.Random(run).sample(sorted(reporter_of), min(40, REPORTS)):
        status, view = stack.call("GET", f"/reports/{code}")
        assert status == 200 and view["status"] == "dispatched", view
        assert view["agency"]["code"] == "KEMENKES" and view["deadlines"]["verify_by"]
        assert [entry["status"] for entry in view["timeline"]] == ["received", "dispatched"]

    # When the notifier works through the queue
    def all_sent() -> list | None:
        outbox = stack.outbox()
        counts = tally(outbox, reporter_of, liaison_emails, liaison_phones)
        return outbox if counts.missing(reporter_of) == 0 else None

    interval = 3.0
    lost = StallWatch(
        client.get, lambda: describe_lost_messages(client.get, reporter_of, liaison_emails, liaison_phones)
    )
    complete = wait_for(all_sent, timeout=EMAIL_TIMEOUT, interval=interval, stalled=lost)
    assert complete, f"not every message sent within {EMAIL_TIMEOUT:.0f} s"
    last = last_sent_at(complete, reporter_of)
    emailed_after = last.timestamp() - started_at if last else float("nan")
    # A late duplicate would come after the last first copy: one more read, a moment later.
    time.sleep(interval)
    outbox = stack.outbox()

    # Then each report's liaison got exactly one email and one SMS naming its tracking code, and each
    # reporter exactly one acknowledgment — none missing, none twice, none to anyone else
    counts = tally(outbox, reporter_of, liaison_emails, liaison_phones)
    assert counts.stray == 0
    assert counts.missing(reporter_of) == 0
    duplicates = counts.duplicates(reporter_of)
    assert not duplicates, f"{len(duplicates)} reports messaged twice, e.g. {list(duplicates.items())[:5]}"
    # ... and the two liaisons shared the work (fewest open reports first)
    per_liaison = Counter(
        m["to"][0] for m in outbox if m["channel"] == "email" and m["to"][0] in liaison_emails
    )
    assert len(per_liaison) == 2

    print(
        f"\nload: {REPORTS} reports over {CLIENTS} keep-alive connections: filed in {filing.seconds:.1f} s "
        f"({REPORTS / filing.seconds:.1f} reports/s); all dispatched after {dispatched_after:.1f} s "
        f"({REPORTS / dispatched_after:.1f} reports/s end to end); all emailed and texted after "
        f"{emailed_after:.1f} s; {len(outbox)} messages in the stack's outbox"
    )


def test_local_gateway_accepts_a_burst_of_connections():
    # Given the local API gateway, whose accept loop is busy (not yet accepting) while clients connect
    server = make_server(
        "127.0.0.1",
        0,
        invoke_api=lambda event: {"statusCode": 200, "body": "{}"},
        authorize=lambda header: None,
        protected=lambda method, resource: False,
        local_routes={("GET", "/_local/ping"): lambda query, body: (200, {})},
        web_root=ROOT / "web",
    )
    port = server.server_address[1]

    def connect(_: int) -> http.client.HTTPConnection | OSError:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        try:
            connection.connect()
        except OSError as error:
            return error
        return connection

    def ping(connection: http.client.HTTPConnection | OSError) -> int | str:
        if isinstance(connection, OSError):
            return type(connection).__name__
        try:
            connection.request("GET", "/_local/ping")
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as error:
            return type(error).__name__
        finally:
            connection.close()

    try:
        # When 32 clients connect at once, and then the gateway gets to accept them and they all ask
        with ThreadPoolExecutor(max_workers=32) as pool:
            connections = list(pool.map(connect, range(32)))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            answers = Counter(pool.map(ping, connections))
    finally:
        server.shutdown()
        server.server_close()

    # Then every one of them is answered
    assert answers == Counter({200: 32})
