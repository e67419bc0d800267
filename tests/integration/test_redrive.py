"""Re-drive of lost messages: the SLA checker re-enqueues what never went out, exactly once.

The real intake, route, notify and sla_check handlers on moto (the ``pipeline`` fixture). A message
is "lost" the way issue 19 lost one: it leaves the notify queue without being sent and without
an error anywhere (here it is deleted by hand).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from lapor.adapters.repository import PENDING_SK, report_pk
from lapor.adapters.schema import UNDELIVERED_INDEX
from lapor.app.redrive import MAX_REDRIVES
from lapor.domain.messages import Event, Notification
from tests.helpers import context
from tests.integration import conftest_route_notify as harness
from tests.integration.conftest_route_notify import email_recipients

pipeline = harness.pipeline  # the shared fixture (pytest finds it by this module attribute)

ASSIGNEE = "dinkes-dki-lo1"
ASSIGNEE_EMAIL = "dewi@dinkes.jakarta.go.id"
AFTER = timedelta(seconds=600)  # LAPOR_REDRIVE_AFTER_SECONDS's default


@pytest.fixture(autouse=True)
def fresh_sla_function():
    import sla_check_app

    sla_check_app.services.cache_clear()
    yield
    sla_check_app.services.cache_clear()


def sla_check(now: datetime) -> dict[str, Any]:
    """One run of the real sla_check handler as of ``now``; its re-drive summary."""
    import sla_check_app

    return sla_check_app.lambda_handler({"now": now.isoformat()}, context("lapor-sla-check"))["redrive"]


def pending_item(pipe: harness.Pipeline, report_id: str) -> dict[str, Any] | None:
    return pipe.ddb.get_item(
        TableName=pipe.resources.names.reports_table,
        Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": PENDING_SK}},
        ConsistentRead=True,
    ).get("Item")


def lose(pipe: harness.Pipeline, event: Event) -> list[Notification]:
    """Take every message off the notify queue, put back all but those of ``event``; the ones lost."""
    messages = [Notification.model_validate(body) for body in pipe.drain()]
    lost = [m for m in messages if m.event == event]
    pipe.enqueue(*(m for m in messages if m.event != event))
    return lost


def sent_to(pipe: harness.Pipeline, address: str) -> int:
    return email_recipients(pipe.emails()).count(address)


def test_a_lost_assignment_is_sent_again_within_minutes_exactly_once(pipeline):
    # Given a dispatched report whose assignment message vanished from the notify queue (the
    # acknowledgment to the reporter went out as usual)
    report_id = pipeline.submit(harness.HEALTH)
    pipeline.route()
    [lost] = lose(pipeline, Event.ASSIGNED)
    assert lost.recipient == ASSIGNEE
    pipeline.notify()
    assert sent_to(pipeline, ASSIGNEE_EMAIL) == 0
    assert sent_to(pipeline, harness.REPORTER["email"]) == 1

    # When the SLA checker runs before the pause is over, nothing is re-driven yet
    assert sla_check(harness.ROUTED_AT + AFTER - timedelta(seconds=1))["checked"] == 0

    # When it runs once the pause is over
    first = sla_check(harness.ROUTED_AT + AFTER + timedelta(seconds=1))

    # Then exactly the lost message is enqueued again, under its own id, and counted
    assert first["redriven_ids"] == [lost.id]
    assert [Notification.model_validate(b) for b in pipeline.drain()] == [lost]
    pipeline.enqueue(lost)
    # ... and the notifier sends it (email and SMS) once; the acknowledgment is not repeated
    pipeline.notify()
    assert sent_to(pipeline, ASSIGNEE_EMAIL) == 1
    assert len([phone for phone, _ in pipeline.sms() if phone == "+6281100000021"]) == 1
    assert sent_to(pipeline, harness.REPORTER["email"]) == 1

    # When the checker runs again after another pause
    second = sla_check(harness.ROUTED_AT + 2 * AFTER + timedelta(seconds=2))
    # Then everything is confirmed, the pending item is gone, and later runs find nothing
    assert second["confirmed"] == 1 and second["redriven"] == 0
    assert pending_item(pipeline, report_id) is None
    assert sla_check(harness.ROUTED_AT + 3 * AFTER)["checked"] == 0
    assert pipeline.queue_depth() == 0


def test_messages_that_went_out_are_confirmed_and_never_sent_again(pipeline):
    # Given a COVID-19 report whose seven messages all went out
    report_id = pipeline.submit(harness.COVID)
    pipeline.route()
    pipeline.notify()
    sent_before = (len(pipeline.emails()), len(pipeline.sms()))
    assert pending_item(pipeline, report_id) is not None

    # When the SLA checker runs after the pause
    summary = sla_check(harness.ROUTED_AT + AFTER + timedelta(seconds=1))

    # Then it confirms them, enqueues nothing, and drops the item from the index
    assert summary == summary | {"checked": 1, "confirmed": 1, "redriven": 0, "abandoned": 0}
    assert pending_item(pipeline, report_id) is None
    assert pipeline.queue_depth() == 0
    assert (len(pipeline.emails()), len(pipeline.sms())) == sent_before


def test_a_send_in_flight_is_left_alone_and_a_dead_sender_is_taken_over(pipeline):
    # Given a dispatched report whose assignment email and SMS a sender claimed just now (still
    # sending) and whose message then left the queue
    report_id = pipeline.submit(harness.HEALTH)
    pipeline.route()
    [assignment] = lose(pipeline, Event.ASSIGNED)
    pipeline.notify()
    now = harness.ROUTED_AT + AFTER + timedelta(seconds=1)
    repo = pipeline.repository
    for channel in ("email", "sms"):
        assert repo.claim_delivery(report_id, f"{assignment.id}#{channel}", now=now, lease_seconds=120)
    # When the checker runs
    summary = sla_check(now)
    # Then the message counts as in flight and is not enqueued again
    assert summary["in_flight"] == 1 and summary["redriven"] == 0
    assert pipeline.queue_depth() == 0

    # Given that sender died (its claims are older than the lease) when the checker next runs
    later = now + AFTER + timedelta(seconds=1)
    summary = sla_check(later)
    # Then the message is enqueued again, and the notifier takes the stale claim over and sends
    assert summary["redriven_ids"] == [assignment.id]
    notify_clock = harness.fixed_clock(later + timedelta(seconds=5))
    import notify_app

    notify_app.services().clock = notify_clock
    pipeline.notify()
    assert sent_to(pipeline, ASSIGNEE_EMAIL) == 1


def test_a_message_lost_every_time_is_given_up_after_the_limit_and_shown_to_operators(pipeline):
    # Given a report whose assignment message is lost again after every re-drive
    report_id = pipeline.submit(harness.HEALTH)
    pipeline.route()
    [assignment] = lose(pipeline, Event.ASSIGNED)
    pipeline.notify()

    # When the checker runs MAX_REDRIVES + 1 times, a pause apart
    summaries = []
    for run in range(1, MAX_REDRIVES + 2):
        summaries.append(sla_check(harness.ROUTED_AT + run * (AFTER + timedelta(seconds=1))))
        lose(pipeline, Event.ASSIGNED)

    # Then it was re-driven MAX_REDRIVES times, then given up on
    assert [s["redriven"] for s in summaries] == [1] * MAX_REDRIVES + [0]
    assert summaries[-1]["abandoned"] == 1
    # ... the item left the index (later runs skip it) but stays for operators, and the official
    # timeline says which message never went out
    item = pending_item(pipeline, report_id)
    assert item is not None and "undelivered_shard" not in item
    assert sla_check(harness.ROUTED_AT + 20 * AFTER)["checked"] == 0
    [entry] = [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert not entry.public and assignment.id.removeprefix(f"{report_id}:") in (entry.note or "")


def test_the_undelivered_index_holds_only_reports_with_messages_in_doubt(pipeline):
    # Given a dispatched report, whose change queued messages
    report_id = pipeline.submit(harness.HEALTH)
    pipeline.route()
    keys = pipeline.ddb.scan(TableName=pipeline.resources.names.reports_table, IndexName=UNDELIVERED_INDEX)
    # Then its pending item, and only it, is in the sparse index
    assert [item["pk"]["S"] for item in keys["Items"]] == [report_pk(report_id)]
    # ... and a report item itself is never in it
    assert all(item["sk"]["S"] == PENDING_SK for item in keys["Items"])
