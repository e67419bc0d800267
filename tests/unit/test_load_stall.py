"""The load harness reports a lost message at once, by report and notification id, not at its ceiling."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bench.load import Stalled, StallWatch, describe_lost_messages, settled, wait_for

CODE = "TFBQ-H4QK-FPZ9W"
LIAISON = "lo2@kemkes.example"
LIAISON_PHONE = "+6281100000002"
REPORTER = "warga1795@example.com"


class FakeStack:
    """Answers the harness's reads as a local stack whose notify queue dropped one assignment."""

    def __init__(self, *, idle: bool) -> None:
        self.idle = idle
        self.reads: list[str] = []

    def get(self, path: str) -> tuple[int, Any]:
        self.reads.append(path)
        if path == "/_local/pipeline":
            return 200, {"idle": self.idle}
        if path == "/_local/outbox":
            # the acknowledgment went out; the assignment email and SMS did not
            return 200, [{"channel": "email", "to": [REPORTER], "subject": f"[LAPOR! {CODE}] Diterima"}]
        if path.startswith("/_local/undelivered"):
            return 200, [
                {
                    "report_id": CODE,
                    "notifications": [{"id": f"{CODE}:assigned:1:kemenkes-lo2", "in_flight": False}],
                }
            ]
        raise AssertionError(path)


def test_an_idle_pipeline_with_a_missing_message_fails_at_once_naming_it():
    # Given a stack whose pipeline is idle while one report misses its assignment
    stack = FakeStack(idle=True)
    watch = StallWatch(
        stack.get,
        lambda: describe_lost_messages(stack.get, {CODE: REPORTER}, {LIAISON}, {LIAISON_PHONE}),
        quiet_seconds=0.2,
    )
    started = time.monotonic()
    # When the harness waits for every message with a ceiling of ten minutes
    with pytest.raises(Stalled) as stalled:
        wait_for(lambda: None, timeout=600, interval=30, stalled=watch, tick=0.05)
    # Then it gives up within moments, naming the report, what is missing and the notification id
    assert time.monotonic() - started < 5
    message = str(stalled.value)
    assert CODE in message and "email to the liaison" in message and "SMS to the liaison" in message
    assert f"{CODE}:assigned:1:kemenkes-lo2" in message and "lost, not late" in message


def test_a_busy_pipeline_is_never_called_stalled():
    # Given a stack that is still working (messages in flight)
    stack = FakeStack(idle=False)
    watch = StallWatch(stack.get, lambda: pytest.fail("only asked when idle"), quiet_seconds=0.05)
    # When the harness waits a short while
    assert wait_for(lambda: None, timeout=0.5, interval=10, stalled=watch, tick=0.05) is None
    # Then it simply timed out, asking the cheap pipeline check between the spaced-out polls
    assert stack.reads.count("/_local/pipeline") >= 5


def test_a_quiet_pipeline_with_nothing_missing_polls_the_predicate_at_once():
    # Given an idle stack with nothing missing, and a predicate polled at most every 30 s
    stack = FakeStack(idle=True)
    answers = iter([None, "done"])
    watch = StallWatch(stack.get, lambda: None, quiet_seconds=0.05)
    started = time.monotonic()
    # When the harness waits
    value = wait_for(lambda: next(answers), timeout=60, interval=30, stalled=watch, tick=0.02)
    # Then the quiet pipeline made it ask again right away rather than after the 30 s spacing
    assert value == "done" and time.monotonic() - started < 5


def test_settled_needs_the_pipeline_idle_for_longer_than_the_tally_waits():
    # Given a stack that answers idle between two busy answers (the tally had not polled yet), then idle
    answers = iter([True, False, True, True, True, True, True, True])
    reads = []

    def get(path: str) -> tuple[int, Any]:
        reads.append(path)
        return 200, {"idle": next(answers, True)}

    # When the load waits for it to settle
    assert settled(get, quiet_seconds=0.05, timeout=5, interval=0.02)
    # Then the first idle answer was not taken for settled: it asked again after the busy one
    assert len(reads) >= 4
    # And a stack that never stays idle is not settled
    flapping = iter([True, False] * 1000)
    assert not settled(
        lambda path: (200, {"idle": next(flapping)}), quiet_seconds=0.05, timeout=0.3, interval=0.02
    )
