"""The router on the real moto stream: dispatch, exactly-once assignment, poison records, the outbox relay."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from lapor.adapters.aws import client as aws_client
from lapor.adapters.schema import DUE_INDEX
from lapor.domain.messages import Notification
from lapor.domain.workdays import WIB
from local.pollers import StreamPoller
from tests.helpers import context
from tests.integration import conftest_route_notify as harness

pipeline = harness.pipeline  # the shared fixture (pytest finds it by this module attribute)

# The harness submits on Friday 13 February 2026 at 10:00 WIB and routes two seconds later.
# Monday 16 (joint leave) and Tuesday 17 (Lunar New Year) are not working days.
STANDARD_VERIFY_BY = datetime(2026, 2, 20, 23, 59, 59, 999999, tzinfo=WIB)  # 3 working days: Wed-Fri
COVID_VERIFY_BY = datetime(2026, 2, 18, 23, 59, 59, 999999, tzinfo=WIB)  # 1 working day: Wednesday
RESOLVE_BY = datetime(2026, 4, 14, 23, 59, 59, 999999, tzinfo=WIB)  # 60 calendar days from 13 February
COVID_CC_ADMINS = ("ksp-admin", "ori-admin", "bnpb-admin", "kemenkes-admin", "komdigi-admin")


def route_handler(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
    import route_app

    return route_app.lambda_handler(event, ctx)


def route_batch(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One invocation of the route function with ``records`` as its batch."""
    return route_handler({"Records": records}, context("lapor-route"))


def dispatched_events(pipe: harness.Pipeline, report_id: str) -> list[Any]:
    return [e for e in pipe.timeline(report_id) if e.action == "route"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            harness.HEALTH,
            {
                "category": "kesehatan",
                "track": "standard",
                "agency": ("DINKES-DKI", "Dinas Kesehatan DKI Jakarta"),
                "assignee": "dinkes-dki-lo1",
                "verify_by": STANDARD_VERIFY_BY,
                "note": "Diteruskan ke Dinas Kesehatan DKI Jakarta",
            },
            id="kesehatan-in-31.71-to-dinkes-dki",
        ),
        pytest.param(
            harness.COVID,
            {
                "category": "kesehatan",
                "track": "covid19",
                "agency": ("DINKES-DKI", "Dinas Kesehatan DKI Jakarta"),
                "assignee": "dinkes-dki-lo1",
                "verify_by": COVID_VERIFY_BY,
                "note": "Diteruskan ke Dinas Kesehatan DKI Jakarta",
            },
            id="covid-words-to-covid19-track",
        ),
        pytest.param(
            harness.UNMATCHED,
            {
                "category": None,
                "track": "standard",
                "agency": ("PANRB", "Kementerian PANRB"),
                "assignee": "panrb-admin",
                "verify_by": STANDARD_VERIFY_BY,
                "note": "Diteruskan ke Kementerian PANRB untuk ditelaah (triase manual)",
            },
            id="no-keyword-to-national-admin-triage",
        ),
    ],
)
def test_report_is_dispatched_to_the_competent_official_with_deadlines(pipeline, body, expected):
    # Given a report submitted through the intake API
    report_id = pipeline.submit(body)

    # When the router runs over the reports table's stream
    pipeline.route()

    # Then the stored report is dispatched to the agency and official, with its deadlines
    report = pipeline.report(report_id)
    agency_code, agency_name = expected["agency"]
    assert report.status == "dispatched"
    assert (report.category, report.track, report.agency, report.assignee) == (
        expected["category"],
        expected["track"],
        agency_code,
        expected["assignee"],
    )
    assert report.deadlines.verify_by == expected["verify_by"]
    assert report.deadlines.resolve_by == RESOLVE_BY
    assert report.deadlines.follow_up_by is None and report.deadlines.close_after is None
    assert report.dispatched_at == harness.ROUTED_AT and report.version == 2
    # ... it waits on the due index for its verify deadline (a Query the SLA checker makes finds it)
    item = pipeline.report_item(report_id)
    assert item["due_at"]["S"] == expected["verify_by"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    shard = int(item["due_shard"]["N"])
    assert 0 <= shard < 8
    due = pipeline.ddb.query(
        TableName=pipeline.resources.names.reports_table,
        IndexName=DUE_INDEX,
        KeyConditionExpression="due_shard = :shard AND due_at <= :now",
        ExpressionAttributeValues={":shard": {"N": str(shard)}, ":now": {"S": item["due_at"]["S"]}},
    )["Items"]
    assert [i["pk"]["S"] for i in due] == [f"REPORT#{report_id}"]
    # ... the official's open-report counter went up by one
    assert pipeline.load(agency_code, expected["assignee"]) == 1
    # ... and the timeline has one dispatched event naming the agency
    [event] = dispatched_events(pipeline, report_id)
    assert event.status == "dispatched" and event.agency == agency_code and event.public
    assert event.note == expected["note"]

    # When the citizen tracks the report
    view = pipeline.track(report_id)

    # Then the public view shows the track, the agency and the deadlines that apply, in WIB
    assert view["status"] == "dispatched" and view["track"] == expected["track"]
    assert view["category"] == expected["category"]
    assert view["agency"] == {"code": agency_code, "name": agency_name}
    assert datetime.fromisoformat(view["deadlines"]["verify_by"]) == expected["verify_by"]
    assert datetime.fromisoformat(view["deadlines"]["resolve_by"]) == RESOLVE_BY
    assert view["deadlines"]["verify_by"].endswith("+07:00")
    assert view["deadlines"]["follow_up_by"] is None and view["deadlines"]["close_after"] is None
    assert [(e["status"], e["note"]) for e in view["timeline"]] == [
        ("received", None),
        ("dispatched", expected["note"]),
    ]


def test_liaisons_share_the_load_and_inactive_ones_get_nothing(pipeline):
    # Given three kesehatan reports from West Java, which KEMENKES handles (two active liaisons, one inactive)
    west_java = harness.HEALTH | {"region": "32.73"}
    ids = [pipeline.submit(west_java) for _ in range(3)]

    # When they are routed, in stream order
    pipeline.route()

    # Then each goes to the least-loaded liaison (ties by id), and the counters match the assignments
    assert [pipeline.report(i).assignee for i in ids] == ["kemenkes-lo1", "kemenkes-lo2", "kemenkes-lo1"]
    assert pipeline.load("KEMENKES", "kemenkes-lo1") == 2
    assert pipeline.load("KEMENKES", "kemenkes-lo2") == 1
    assert pipeline.load("KEMENKES", "kemenkes-lo3") == 0


def test_duplicated_and_replayed_records_assign_once(pipeline):
    # Given a submitted report and its INSERT record, as the stream delivers it
    report_id = pipeline.submit(harness.HEALTH)
    [insert] = pipeline.records_of(report_id, "INSERT")

    # When the same record arrives twice in one batch
    first = route_batch([insert, insert])

    # Then both succeed and the report is assigned once
    assert first == {"batchItemFailures": []}
    dispatched = pipeline.report(report_id)
    assert dispatched.status == "dispatched" and dispatched.version == 2

    # When the whole batch is replayed, and then the whole stream is read again from the start
    replay = route_batch([insert, insert])
    StreamPoller(
        session=pipeline.session,
        stream_arn=pipeline.resources.reports_stream_arn,
        handler=route_handler,
        function_name="lapor-route",
        on_failure_url=pipeline.resources.route_failures_url,
        idle_sleep=0,
    ).poll_once()

    # Then nothing was assigned or counted twice and the report did not change
    assert replay == {"batchItemFailures": []}
    assert pipeline.load("DINKES-DKI", "dinkes-dki-lo1") == 1
    assert len(dispatched_events(pipeline, report_id)) == 1
    after = pipeline.report(report_id)
    assert after.version == 2 and after == dispatched
    assert pipeline.queue_depth(pipeline.resources.route_failures_url) == 0


def test_poison_record_goes_to_the_failure_queue_and_its_neighbours_are_dispatched(pipeline):
    # Given a report, then a report item no intake would write (required attributes missing), then a report
    before = pipeline.submit(harness.HEALTH)
    pipeline.ddb.put_item(
        TableName=pipeline.resources.names.reports_table,
        Item={
            "pk": {"S": "REPORT#POIS-0NRE-C0RD0"},
            "sk": {"S": "REPORT"},
            "status": {"S": "received"},
            "title": {"S": "Tidak lengkap"},
        },
    )
    after = pipeline.submit(harness.UNMATCHED)
    [poison] = pipeline.records_of("POIS-0NRE-C0RD0", "INSERT")

    # When the router runs, with Lambda's retries and its on-failure destination
    pipeline.route()

    # Then the poison record alone lands in the route-failures queue, described by its sequence number
    [failure] = pipeline.drain(pipeline.resources.route_failures_url)
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison["dynamodb"]["SequenceNumber"]
    assert info["batchSize"] == 1 and pipeline.stream.failed_records == 1
    # ... its neighbours on both sides are dispatched, and their messages relayed
    assert pipeline.report(before).status == "dispatched"
    assert pipeline.report(after).status == "dispatched"
    relayed = {n["report_id"] for n in pipeline.drain()}
    assert relayed == {before, after}
    # ... and the poison item itself was left as it was
    item = pipeline.report_item("POIS-0NRE-C0RD0")
    assert item["status"] == {"S": "received"} and "version" not in item


def expected_dispatch_ids(report_id: str, *, reporter_ack: bool) -> set[str]:
    ids = {f"{report_id}:assigned:1:dinkes-dki-lo1"} | {f"{report_id}:cc:1:{a}" for a in COVID_CC_ADMINS}
    return ids | ({f"{report_id}:received:reporter"} if reporter_ack else set())


def test_outbox_is_relayed_to_the_notify_queue_with_deterministic_ids(pipeline):
    # Given a COVID-19 report with the reporter's contact and one without any contact
    with_contact = pipeline.submit(harness.COVID)
    without_contact = pipeline.submit({k: v for k, v in harness.COVID.items() if k != "reporter"})

    # When both are dispatched and the router relays the resulting MODIFY records
    pipeline.route()
    queued = pipeline.drain()

    # Then the notify queue holds exactly the assignee's, the cc admins' and (with contact) the reporter's
    by_report = {r: {n["id"] for n in queued if n["report_id"] == r} for r in (with_contact, without_contact)}
    assert by_report[with_contact] == expected_dispatch_ids(with_contact, reporter_ack=True)
    assert by_report[without_contact] == expected_dispatch_ids(without_contact, reporter_ack=False)
    assert len(queued) == 7 + 6
    # ... each message is a well-formed Notification naming who and what, and never an address
    for body in queued:
        assert Notification.model_validate(body).id == body["id"]
    text = json.dumps(queued)
    for secret in ("andi", "example.com", "8123456789", "@"):
        assert secret not in text.lower()
    # ... and the outbox stays on the report item as the stream saw it
    assert {n.id for n in pipeline.report(with_contact).outbox} == by_report[with_contact]

    # When the MODIFY record is delivered again (a stream retry)
    [modify] = pipeline.records_of(with_contact, "MODIFY")
    assert modify["dynamodb"]["NewImage"]["has_outbox"] == {"S": "yes"}
    result = route_batch([modify])

    # Then the same ids are enqueued again (the notifier recognises them), and the report did not change
    assert result == {"batchItemFailures": []}
    again = pipeline.drain()
    assert Counter(n["id"] for n in again) == Counter(expected_dispatch_ids(with_contact, reporter_ack=True))
    assert pipeline.report(with_contact).version == 2


class DynamoDBCalls:
    """Counts the DynamoDB operations the functions' shared client makes (a botocore event hook)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.params: list[dict[str, Any]] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        # before-parameter-build: ``params`` are the operation's arguments as the caller passed them
        self.operations.append(model.name)
        self.params.append(dict(params))

    def take(self) -> list[str]:
        taken, self.operations = self.operations, []
        return taken


@pytest.fixture
def dynamodb_calls(pipeline):
    counter = DynamoDBCalls()
    events = aws_client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.*", counter, unique_id="lapor-test-dynamodb-calls")
    yield counter
    events.unregister("before-parameter-build.dynamodb.*", unique_id="lapor-test-dynamodb-calls")


def test_dynamodb_requests_per_report_through_dispatch(pipeline, dynamodb_calls):
    # Given cold route and intake functions
    measured: dict[str, dict[str, list[str]]] = {}
    for label in ("cold directory cache", "warm directory cache"):
        # When one report is submitted, dispatched and its messages relayed
        report_id = pipeline.submit(harness.HEALTH)
        intake_ops = dynamodb_calls.take()
        pipeline.route()
        route_ops = dynamodb_calls.take()
        assert pipeline.report(report_id).status == "dispatched"
        measured[label] = {"intake": intake_ops, "route": route_ops}
        print(f"DynamoDB requests per report ({label}): intake={intake_ops} route={route_ops}")

    # Then a report costs at most six DynamoDB requests end to end: one write at intake; the directory
    # read (cold cache only), the loads Query and one transaction at dispatch; nothing for the relay
    cold, warm = measured["cold directory cache"], measured["warm directory cache"]
    assert cold["intake"] == warm["intake"] == ["TransactWriteItems"]
    assert sorted(cold["route"]) == ["GetItem", "Query", "TransactWriteItems"]
    assert sorted(warm["route"]) == ["Query", "TransactWriteItems"]
    for ops in measured.values():
        assert len(ops["intake"]) + len(ops["route"]) <= 6


def test_loads_are_read_with_a_strongly_consistent_query(pipeline, dynamodb_calls):
    # Given a report for KEMENKES (its liaisons are chosen by their open-report counters)
    pipeline.submit(harness.HEALTH | {"region": "32.73"})
    dynamodb_calls.take()
    dynamodb_calls.params.clear()

    # When it is dispatched
    pipeline.route()

    # Then the counters were read strongly consistently (the previous record's increment is visible)
    [loads_query] = [
        p
        for p in dynamodb_calls.params
        if p.get("TableName", "").endswith("-directory") and "KeyConditionExpression" in p
    ]
    assert loads_query.get("ConsistentRead") is True
