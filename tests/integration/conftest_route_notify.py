"""Shared fixtures for the router and notifier integration tests (imported by their test modules).

The ``pipeline`` fixture drives the real handlers the way AWS does, synchronously: the intake
handler with API Gateway events, the route handler with records read from the real moto stream
(``StreamPoller.poll_once``) and the notify handler with messages received from the real moto queue
(``QueuePoller.poll_once``). Clocks are fixed so deadlines are exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from lapor.adapters.channels import EmailSender, SmsSender
from lapor.adapters.repository import ReportRepository, report_pk
from lapor.domain.messages import Notification, RenderedEmail
from lapor.domain.models import Report, TimelineEvent
from lapor.domain.workdays import WIB
from local.pollers import QueuePoller, StreamPoller, matches_route_filter
from local.resources import REGION, Resources
from tests.helpers import api_event, context, response_json

# Friday 13 February 2026, 10:00 WIB: the next Monday and Tuesday are Lunar New Year holidays
# (joint leave and the holiday itself), so working-day deadlines must skip four days.
SUBMITTED_AT = datetime(2026, 2, 13, 10, 0, tzinfo=WIB)
ROUTED_AT = SUBMITTED_AT + timedelta(seconds=2)
NOTIFIED_AT = SUBMITTED_AT + timedelta(seconds=10)

REPORTER = {"name": "Andi Wijaya", "email": "andi.wijaya@example.com", "phone": "0812-3456-7890"}
# Kesehatan (keyword "puskesmas") in Jakarta Pusat: routed to DINKES-DKI on the standard track.
HEALTH = {
    "kind": "complaint",
    "title": "Puskesmas tutup di jam layanan",
    "description": "Puskesmas Kecamatan Menteng tutup pada jam layanan hari Senin pagi.",
    "region": "31.71",
    "reporter": REPORTER,
}
# The same, with COVID-19 words: covid19 track, cc to the coordinating agencies' admins.
COVID = HEALTH | {
    "title": "Vaksin covid di puskesmas habis",
    "description": "Puskesmas Menteng menolak warga yang datang untuk vaksin covid booster.",
}
# No category keyword at all: manual triage by the national admin.
UNMATCHED = {
    "kind": "aspiration",
    "title": "Usulan taman kota",
    "description": "Mohon dibangun taman bermain anak di dekat kantor kelurahan kami.",
    "region": "32.73",
    "reporter": {"email": "warga@example.com"},
}


# ---- fakes ----------------------------------------------------------------------------------------


@dataclass
class FakeEmail:
    """An in-memory EmailSender; ``failures[address]`` are raised, in order, by the first sends to it."""

    failures: dict[str, list[Exception]] = field(default_factory=dict)
    sent: list[tuple[list[str], RenderedEmail]] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # the address of every attempt, failed or not
    on_send: Callable[[list[str]], None] | None = None

    def send(self, to: list[str], email: RenderedEmail) -> str:
        self.attempts.append(to[0])
        if self.on_send:
            self.on_send(to)
        if self.failures.get(to[0]):
            raise self.failures[to[0]].pop(0)
        self.sent.append((list(to), email))
        return f"fake-email-{len(self.sent)}"


@dataclass
class FakeSms:
    """An in-memory SmsSender; ``failures[phone]`` are raised, in order, by the first sends to it."""

    failures: dict[str, list[Exception]] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)

    def send(self, phone_e164: str, text: str) -> str:
        self.attempts.append(phone_e164)
        if self.failures.get(phone_e164):
            raise self.failures[phone_e164].pop(0)
        self.sent.append((phone_e164, text))
        return f"fake-sms-{len(self.sent)}"


assert isinstance(FakeEmail(), EmailSender) and isinstance(FakeSms(), SmsSender)


# ---- the pipeline ---------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """The real handlers over moto, driven one step at a time."""

    resources: Resources
    session: Any
    stream: StreamPoller
    queue: QueuePoller
    # What each notify invocation received and answered ({"raised": name} for an invocation error).
    notify_events: list[dict[str, Any]] = field(default_factory=list)
    notify_results: list[dict[str, Any]] = field(default_factory=list)

    # -- intake -> route -> notify

    def submit(self, body: dict[str, Any]) -> str:
        """POST /reports through the intake handler; the new report's id."""
        import intake_app

        response = intake_app.lambda_handler(api_event("POST", "/reports", body), context("lapor-intake"))
        assert response["statusCode"] == 201, response["body"]
        return response_json(response)["id"]

    def route(self) -> None:
        """Run the router over everything the stream holds, until it is drained (MODIFYs included)."""
        for _ in range(10):
            if not self.stream.poll_once():
                return
        raise AssertionError("the stream never ran dry")

    def notify(self) -> int:
        """Run the notifier over the queue until nothing is visible; the number of invocations."""
        invocations = 0
        while self.queue.poll_once():
            invocations += 1
            assert invocations < 50, "the notify queue never ran dry"
        return invocations

    def track(self, report_id: str) -> dict[str, Any]:
        """GET /reports/{id}: the public view."""
        import intake_app

        response = intake_app.lambda_handler(
            api_event("GET", f"/reports/{report_id}"), context("lapor-intake")
        )
        assert response["statusCode"] == 200, response["body"]
        return response_json(response)

    # -- stream records, as the route function receives them

    def stream_records(self) -> list[dict[str, Any]]:
        """Every record of the stream so far, shaped as Lambda delivers them (and filtered as deployed)."""
        streams = self.session.client("dynamodbstreams")
        arn = self.resources.reports_stream_arn
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        lambda_shaped = [self.stream._lambda_record(r) for r in records]
        return [r for r in lambda_shaped if matches_route_filter(r)]

    def records_of(self, report_id: str, event_name: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.stream_records()
            if r["eventName"] == event_name and r["dynamodb"]["Keys"]["pk"]["S"] == report_pk(report_id)
        ]

    # -- state

    @cached_property
    def ddb(self) -> Any:
        """The test's own DynamoDB client (the functions' shared client counts requests in one test)."""
        return self.session.client("dynamodb")

    @cached_property
    def sqs(self) -> Any:
        return self.session.client("sqs")

    @cached_property
    def repository(self) -> ReportRepository:
        """The repository on the test's own client, so its reads never count as the functions' requests."""
        names = self.resources.names
        return ReportRepository(names.reports_table, names.directory_table, due_shards=8, client=self.ddb)

    def report(self, report_id: str) -> Report:
        found = self.repository.get(report_id)
        assert found is not None
        return found

    def report_item(self, report_id: str) -> dict[str, Any]:
        return self.ddb.get_item(
            TableName=self.resources.names.reports_table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": "REPORT"}},
            ConsistentRead=True,
        )["Item"]

    def timeline(self, report_id: str) -> list[TimelineEvent]:
        found = self.repository.get_with_timeline(report_id)
        assert found is not None
        return found[1]

    def load(self, agency: str, official: str) -> int:
        item = self.ddb.get_item(
            TableName=self.resources.names.directory_table,
            Key={"pk": {"S": f"LOAD#{agency}"}, "sk": {"S": official}},
            ConsistentRead=True,
        ).get("Item")
        return int(item["open"]["N"]) if item else 0

    def marker(self, marker_id: str, report_id: str) -> dict[str, Any] | None:
        return self.ddb.get_item(
            TableName=self.resources.names.reports_table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"SENT#{marker_id}"}},
            ConsistentRead=True,
        ).get("Item")

    # -- queues and providers

    def drain(self, url: str | None = None) -> list[dict[str, Any]]:
        """Receive and delete everything visible on a queue (default: the notify queue); the bodies."""
        sqs = self.sqs
        url = url or self.resources.notify_queue_url
        bodies: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies += [json.loads(m["Body"]) for m in messages]
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return bodies

    def enqueue(self, *notifications: Notification) -> None:
        from lapor.adapters.outbox import NotifyQueue

        NotifyQueue(self.resources.notify_queue_url, client=self.sqs).send(notifications)

    def queue_depth(self, url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.resources.notify_queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    @staticmethod
    def emails() -> list[Any]:
        """Every email moto's SES accepted: objects with ``destinations``, ``subject``, ``body`` (HTML)."""
        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    @staticmethod
    def sms() -> list[tuple[str, str]]:
        """Every SMS moto's SNS accepted, as (phone, text)."""
        return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def email_recipients(emails: list[Any]) -> list[str]:
    return sorted(address for e in emails for address in e.destinations.get("ToAddresses", []))


@cache
def shared_session() -> Any:
    """One boto3 session for every test: clients are mocked by whichever mock_aws is active when they
    call, and loading the endpoint and service models once saves most of a second per test."""
    return boto3.session.Session()


def fixed_clock(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant.astimezone(UTC)


@pytest.fixture
def pipeline(aws: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """The resources of the ``aws`` fixture with fresh intake, route and notify functions and fixed clocks."""
    import intake_app
    import notify_app
    import route_app

    caches = (route_app.services, notify_app.services)
    for cached in caches:
        cached.cache_clear()
    # Each function's Services is built here, once, as on a cold start; the handlers reuse it.
    intake_app.services().clock = fixed_clock(SUBMITTED_AT)
    route_app.services().clock = fixed_clock(ROUTED_AT)
    notify_app.services().clock = fixed_clock(NOTIFIED_AT)

    session = shared_session()
    stream = StreamPoller(
        session=session,
        stream_arn=aws.reports_stream_arn,
        handler=route_app.lambda_handler,
        function_name="lapor-route",
        on_failure_url=aws.route_failures_url,
        idle_sleep=0,
    )
    monkeypatch.setattr(stream, "_retry_sleep", lambda attempt: None)
    events: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []

    def notify_handler(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
        events.append(event)
        try:
            result = notify_app.lambda_handler(event, ctx)
        except Exception as error:
            results.append({"raised": type(error).__name__})
            raise
        results.append(result)
        return result

    queue = QueuePoller(
        session=session,
        queue_url=aws.notify_queue_url,
        queue_arn=aws.notify_queue_arn,
        handler=notify_handler,
        function_name="lapor-notify",
    )
    yield Pipeline(
        resources=aws,
        session=session,
        stream=stream,
        queue=queue,
        notify_events=events,
        notify_results=results,
    )
    for cached in caches:
        cached.cache_clear()
