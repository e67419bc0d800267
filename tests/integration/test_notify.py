"""The notifier on the real moto queue, SES and SNS: who gets what, exactly once, and failure handling."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from lapor.adapters.channels import PermanentDeliveryError, TransientDeliveryError
from lapor.adapters.outbox import NotifyQueue
from lapor.app.notify import CLAIM_LEASE_SECONDS, DeliveryDeferred, deliver
from lapor.domain.directory import Directory
from lapor.domain.messages import REPORTER, Event, Notification
from tests.helpers import api_event, context
from tests.integration import conftest_route_notify as harness
from tests.integration.conftest_route_notify import FakeEmail, FakeSms, email_recipients

pipeline = harness.pipeline  # the shared fixture (pytest finds it by this module attribute)

ASSIGNEE = "dinkes-dki-lo1"
ASSIGNEE_EMAIL = "dewi@dinkes.jakarta.go.id"
ASSIGNEE_PHONE = "+6281100000021"
CC_ADMINS = ("ksp-admin", "ori-admin", "bnpb-admin", "kemenkes-admin", "komdigi-admin")
CC_EMAILS = [
    "admin@bnpb.go.id",
    "admin@kemkes.go.id",
    "admin@komdigi.go.id",
    "admin@ksp.go.id",
    "admin@ombudsman.go.id",
]
REPORTER_EMAIL = "andi.wijaya@example.com"
REPORTER_PHONE = "+6281234567890"


def dispatched(pipe: harness.Pipeline, body: dict[str, Any]) -> str:
    """A report submitted and dispatched, its messages relayed to the notify queue; its id."""
    report_id = pipe.submit(body)
    pipe.route()
    return report_id


def assigned(report_id: str) -> Notification:
    return Notification.for_(report_id, Event.ASSIGNED, ASSIGNEE, seq=1)


def official_texts(pipe: harness.Pipeline) -> str:
    """Everything officials received: subjects and bodies of their emails, and their SMS."""
    emails = [e for e in pipe.emails() if REPORTER_EMAIL not in e.destinations.get("ToAddresses", [])]
    sms = [text for phone, text in pipe.sms() if phone != REPORTER_PHONE]
    return "\n".join([*(e.subject + "\n" + e.body for e in emails), *sms])


def no_backoff(queue: NotifyQueue, receipt_handle: str, seconds: int) -> None:
    """NotifyQueue.delay for tests: the failed message reappears at once rather than after its backoff."""
    queue.client.change_message_visibility(
        QueueUrl=queue.url, ReceiptHandle=receipt_handle, VisibilityTimeout=0
    )


def no_failures(pipe: harness.Pipeline) -> bool:
    return all(result == {"batchItemFailures": []} for result in pipe.notify_results)


@pytest.fixture
def fake_senders(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeEmail, FakeSms]:
    """In-memory senders in place of SES and SNS, for failure injection."""
    import notify_app

    email, sms = FakeEmail(), FakeSms()
    svc = notify_app.services()
    monkeypatch.setattr(svc, "channels", msgspec.structs.replace(svc.channels, email=email, sms=sms))
    return email, sms


# ---- who gets what ----------------------------------------------------------------------------------


def test_dispatch_notifies_assignee_cc_admins_and_reporter(pipeline):
    # Given a dispatched COVID-19 report whose reporter left a name, an email and a phone
    report_id = dispatched(pipeline, harness.COVID)

    # When the notifier works through the queue
    pipeline.notify()

    # Then the assignee gets an email and an SMS, each cc admin an email, and the reporter one email
    assert no_failures(pipeline)
    assert email_recipients(pipeline.emails()) == sorted([ASSIGNEE_EMAIL, *CC_EMAILS, REPORTER_EMAIL])
    assert [phone for phone, _ in pipeline.sms()] == [ASSIGNEE_PHONE]
    assert all(len(e.destinations["ToAddresses"]) == 1 for e in pipeline.emails())
    by_recipient = {e.destinations["ToAddresses"][0]: e for e in pipeline.emails()}
    # ... the assignee, who must act, sees the reporter's name; the cc copies do not
    assert "Andi Wijaya" in by_recipient[ASSIGNEE_EMAIL].body
    assert report_id in by_recipient[ASSIGNEE_EMAIL].subject
    for address in CC_EMAILS:
        assert "Andi" not in by_recipient[address].body
        assert "Dinas Kesehatan DKI Jakarta" in by_recipient[address].body
    # ... the reporter's acknowledgment carries the tracking code and where the report went
    ack = by_recipient[REPORTER_EMAIL]
    assert report_id in ack.body and "Dinas Kesehatan DKI Jakarta" in ack.body
    # ... and no official's message carries the reporter's contact details
    texts = official_texts(pipeline)
    for secret in (REPORTER_EMAIL, "8123456789", "812-3456"):
        assert secret not in texts
    assert report_id in pipeline.sms()[0][1]


def test_anonymous_report_never_shows_the_reporter_name_to_officials(pipeline):
    # Given an anonymous report whose reporter also wrote their name into the description
    body = harness.HEALTH | {
        "anonymous": True,
        "description": "Saya Andi Wijaya melapor: puskesmas Menteng tutup pada jam layanan hari Senin.",
    }
    dispatched(pipeline, body)

    # When its messages are sent
    pipeline.notify()

    # Then the assignee's email and SMS say "anonymous" and nowhere name the reporter
    texts = official_texts(pipeline)
    assert "Anonim (identitas dirahasiakan)" in texts
    assert "andi" not in texts.lower() and "wijaya" not in texts.lower()
    assert [phone for phone, _ in pipeline.sms()] == [ASSIGNEE_PHONE]
    # ... while the reporter (whose contact the system keeps) still gets the acknowledgment
    assert email_recipients(pipeline.emails()) == sorted([ASSIGNEE_EMAIL, REPORTER_EMAIL])


def test_reporter_with_only_a_phone_is_acknowledged_by_sms(pipeline):
    # Given a report whose reporter left only a phone number
    report_id = dispatched(pipeline, harness.HEALTH | {"reporter": {"phone": "0812-3456-7890"}})

    # When its messages are sent
    pipeline.notify()

    # Then the reporter gets the acknowledgment as an SMS (in E.164), and no email goes to them
    reporter_sms = [text for phone, text in pipeline.sms() if phone == REPORTER_PHONE]
    assert len(reporter_sms) == 1 and report_id in reporter_sms[0]
    assert len(reporter_sms[0]) <= 160
    assert email_recipients(pipeline.emails()) == [ASSIGNEE_EMAIL]
    assert sorted(phone for phone, _ in pipeline.sms()) == sorted([ASSIGNEE_PHONE, REPORTER_PHONE])


# ---- exactly once -----------------------------------------------------------------------------------


def test_duplicate_messages_are_sent_once(pipeline):
    # Given a dispatched COVID-19 report whose MODIFY record was relayed twice (a stream retry) and
    # whose assignee message was enqueued a third time
    import route_app

    report_id = dispatched(pipeline, harness.COVID)
    [modify] = pipeline.records_of(report_id, "MODIFY")
    assert route_app.lambda_handler({"Records": [modify]}, context("lapor-route")) == {
        "batchItemFailures": []
    }
    pipeline.enqueue(assigned(report_id))
    assert pipeline.queue_depth() == 7 + 7 + 1

    # When the notifier works through every copy
    pipeline.notify()

    # Then each email and SMS went out exactly once, the copies succeeded (and left the queue)
    assert no_failures(pipeline)
    assert email_recipients(pipeline.emails()) == sorted([ASSIGNEE_EMAIL, *CC_EMAILS, REPORTER_EMAIL])
    assert [phone for phone, _ in pipeline.sms()] == [ASSIGNEE_PHONE]
    assert pipeline.queue_depth() == 0
    # ... and each delivery has its final sent marker, with the provider's message id
    marker = pipeline.marker(f"{assigned(report_id).id}#email", report_id)
    assert marker is not None and marker["state"] == {"S": "sent"} and marker["provider_id"]["S"]


# ---- transient and permanent failures ---------------------------------------------------------------


def message_ids_by_notification(pipe: harness.Pipeline) -> dict[str, str]:
    """SQS message id -> notification id, over every record the notifier was invoked with."""
    return {
        record["messageId"]: json.loads(record["body"])["id"]
        for event in pipe.notify_events
        for record in event["Records"]
    }


def test_transient_failures_are_retried_with_backoff_and_sent_once(pipeline, fake_senders, monkeypatch):
    # Given an assignee message whose email fails transiently three times before it goes through
    email, sms = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    message = assigned(report_id)
    email_marker = f"{message.id}#email"
    states_while_sending: list[str | None] = []

    def record_claim(to: list[str]) -> None:
        if to == [ASSIGNEE_EMAIL]:
            marker = pipeline.marker(email_marker, report_id) or {}
            states_while_sending.append(marker.get("state", {}).get("S"))

    email.on_send = record_claim
    email.failures[ASSIGNEE_EMAIL] = [
        TransientDeliveryError("throttled", code="Throttling") for _ in range(3)
    ]
    # ... a spy on the backoff, which then lets the message reappear at once instead of seconds later
    backoffs: list[int] = []
    real_delay = NotifyQueue.delay

    def delay(queue: NotifyQueue, receipt_handle: str, seconds: int) -> None:
        backoffs.append(seconds)
        real_delay(queue, receipt_handle, 0)

    monkeypatch.setattr(NotifyQueue, "delay", delay)
    # ... and, in each batch, one other message that goes through (cc copies to admins without phones)
    companions = [Notification.for_(report_id, Event.CC, admin, seq=1) for admin in CC_ADMINS[:4]]
    pipeline.enqueue(message, companions[0])

    for attempt in range(3):
        # When the notifier receives the batch and the assignee email fails
        assert pipeline.queue.poll_once() == 2

        # Then only that message is reported failed (the companion is done and deleted) ...
        failures = pipeline.notify_results[-1]["batchItemFailures"]
        ids = message_ids_by_notification(pipeline)
        assert [ids[f["itemIdentifier"]] for f in failures] == [message.id]
        # ... and the email's claim was released for the retry
        assert pipeline.marker(email_marker, report_id) is None
        pipeline.enqueue(companions[attempt + 1])

    # When it is received a fourth time and the email goes through
    assert pipeline.queue.poll_once() == 2

    # Then nothing failed and nothing is left; the email went out once after four attempts, and the
    # SMS, which worked the first time, was not repeated
    assert pipeline.notify_results[-1] == {"batchItemFailures": []}
    assert pipeline.queue.poll_once() == 0 and pipeline.queue_depth() == 0
    assert email.attempts.count(ASSIGNEE_EMAIL) == 4
    assert [to for to, _ in email.sent if to == [ASSIGNEE_EMAIL]] == [[ASSIGNEE_EMAIL]]
    assert sms.attempts == [ASSIGNEE_PHONE] and [phone for phone, _ in sms.sent] == [ASSIGNEE_PHONE]
    # ... every attempt held a claim while sending, and the last one is final
    assert states_while_sending == ["sending"] * 4
    assert pipeline.marker(email_marker, report_id)["state"] == {"S": "sent"}
    # ... and each failure asked for an exponentially longer invisibility (receive count 1, 2, 3)
    assert backoffs == [2, 4, 8]


def test_a_lone_deferred_message_is_a_partial_failure_not_an_invocation_error(
    pipeline, fake_senders, monkeypatch
):
    # Given a single queued message whose email fails transiently (the usual batch of one at low volume)
    email, _ = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    email.failures[ASSIGNEE_EMAIL] = [TransientDeliveryError("throttled", code="Throttling")]
    monkeypatch.setattr(NotifyQueue, "delay", no_backoff)
    pipeline.enqueue(assigned(report_id))

    # When the notifier receives it
    assert pipeline.queue.poll_once() == 1

    # Then the invocation succeeds and reports that one message as failed, for a retry after its backoff
    [result] = pipeline.notify_results
    assert "raised" not in result
    assert len(result["batchItemFailures"]) == 1


def test_permanent_failure_is_recorded_privately_and_not_retried(pipeline, fake_senders):
    # Given an assignee message whose email the provider rejects for good
    email, sms = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    email.failures[ASSIGNEE_EMAIL] = [
        PermanentDeliveryError(f"rejected: {ASSIGNEE_EMAIL}", code="MessageRejected")
    ]
    pipeline.enqueue(assigned(report_id))

    # When the notifier processes it
    pipeline.notify()

    # Then the record succeeds (no retry) and the message left the queue; the SMS still went out
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    assert email.attempts == [ASSIGNEE_EMAIL] and [phone for phone, _ in sms.sent] == [ASSIGNEE_PHONE]
    marker = pipeline.marker(f"{assigned(report_id).id}#email", report_id)
    assert marker is not None and marker["state"] == {"S": "failed"}
    # ... the failure is on the timeline as a non-public event, without the address
    [event] = [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert not event.public and event.actor == "system"
    assert event.note == f"email to {ASSIGNEE} for assigned undeliverable (MessageRejected)"
    # ... and the public view does not show it
    assert [e["status"] for e in pipeline.track(report_id)["timeline"]] == ["received", "dispatched"]

    # When the same message arrives again
    pipeline.enqueue(assigned(report_id))
    pipeline.notify()

    # Then neither the failed nor the sent delivery is tried again
    assert email.attempts == [ASSIGNEE_EMAIL] and sms.attempts == [ASSIGNEE_PHONE]


def test_invalid_phone_in_the_directory_is_recorded_and_the_email_still_sent(pipeline, monkeypatch):
    # Given a directory whose assignee has a landline number (a validated directory refuses one, so the
    # document is built directly, as an older or hand-edited one might be)
    import notify_app

    report_id = dispatched(pipeline, harness.HEALTH)
    svc = notify_app.services()
    document = svc.directory().model_dump()
    for official in document["officials"]:
        if official["id"] == ASSIGNEE:
            official["phone"] = "+62215551234"
    monkeypatch.setattr(svc, "directory", lambda: Directory.model_validate(document))

    # When the messages are sent through SES and SNS
    pipeline.notify()

    # Then the email went out, the SMS did not, no record failed and no message is left
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    assert ASSIGNEE_EMAIL in email_recipients(pipeline.emails())
    assert pipeline.sms() == []
    # ... and the timeline has a non-public record of it, without the number
    [event] = [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert not event.public
    assert event.note == f"sms to {ASSIGNEE} for assigned undeliverable (InvalidPhoneNumber)"
    assert [e["status"] for e in pipeline.track(report_id)["timeline"]] == ["received", "dispatched"]


# ---- claims -----------------------------------------------------------------------------------------


def test_stale_claim_of_a_crashed_sender_is_taken_over_but_a_fresh_one_is_not(pipeline):
    # Given a dispatched report and its assignee message, whose email a sender claimed and then crashed
    # (claim older than the lease), and whose SMS another sender claimed a moment ago
    report_id = dispatched(pipeline, harness.HEALTH)
    message = assigned(report_id)
    repo = pipeline.repository
    now = harness.NOTIFIED_AT
    lease = timedelta(seconds=CLAIM_LEASE_SECONDS)
    assert repo.claim_delivery(
        report_id,
        f"{message.id}#email",
        now=now - lease - timedelta(seconds=1),
        lease_seconds=CLAIM_LEASE_SECONDS,
    )
    assert repo.claim_delivery(
        report_id,
        f"{message.id}#sms",
        now=now - lease + timedelta(seconds=1),
        lease_seconds=CLAIM_LEASE_SECONDS,
    )
    email, sms = FakeEmail(), FakeSms()

    # When the message is delivered again
    import notify_app

    svc = notify_app.services()
    with pytest.raises(DeliveryDeferred) as deferred:
        deliver(
            message,
            reports=repo,
            directory=svc.directory(),
            email=email,
            sms=sms,
            sms_enabled=True,
            public_url="https://lapor.test",
            now=now,
        )

    # Then the stale email claim is taken over and sent; the fresh SMS claim is not treated as sent:
    # the message comes back when that claim's lease has run out (its sender may have died)
    assert [to for to, _ in email.sent] == [[ASSIGNEE_EMAIL]] and sms.attempts == []
    assert 0 < deferred.value.retry_after <= 2
    assert pipeline.marker(f"{message.id}#email", report_id)["state"] == {"S": "sent"}
    assert pipeline.marker(f"{message.id}#sms", report_id)["state"] == {"S": "sending"}


# ---- privacy in logs --------------------------------------------------------------------------------


def test_no_message_body_or_contact_in_logs(pipeline, fake_senders, captured_logs, monkeypatch):
    # Given a COVID-19 report with full contact, whose assignee email fails transiently once (with an
    # error text that echoes the address, as providers do) and whose assignee SMS is rejected for good
    email, sms = fake_senders
    email.failures[ASSIGNEE_EMAIL] = [
        TransientDeliveryError(f"throttled sending to {ASSIGNEE_EMAIL}", code="Throttling")
    ]
    sms.failures[ASSIGNEE_PHONE] = [PermanentDeliveryError(f"opted out: {ASSIGNEE_PHONE}", code="OptedOut")]
    report_id = dispatched(pipeline, harness.COVID)

    # When everything is routed and sent, retries included (the retry made visible at once)
    monkeypatch.setattr(NotifyQueue, "delay", no_backoff)
    pipeline.notify()
    logged = captured_logs()

    # Then the logs tell what happened (by ids) ...
    for expected in (
        "report dispatched",
        "messages relayed",
        "notification processed",
        "notification deferred",
    ):
        assert expected in logged
    assert report_id in logged
    # ... but carry no contact detail and no message text
    sent_texts = [e.subject for _, e in email.sent] + [e.text for _, e in email.sent]
    assert len(email.sent) == 7
    secrets = [
        "Andi", "andi.wijaya", "example.com", "8123456789", "812-3456",
        ASSIGNEE_EMAIL, ASSIGNEE_PHONE, "@ksp.go.id", "@kemkes.go.id",
        harness.COVID["title"], harness.COVID["description"][:30],
        "Laporan baru untuk diverifikasi", "Yth.",
    ]  # fmt: skip
    for secret in secrets:
        assert secret.lower() not in logged.lower(), secret
    for text in sent_texts:
        assert text[:40] not in logged


def test_reporter_message_goes_nowhere_without_contact(pipeline, fake_senders):
    # Given a report without any contact, and a reporter message for it (e.g. enqueued by an older version)
    email, sms = fake_senders
    report_id = dispatched(pipeline, {k: v for k, v in harness.HEALTH.items() if k != "reporter"})
    pipeline.drain()
    pipeline.enqueue(Notification.for_(report_id, Event.RECEIVED, REPORTER))

    # When it is processed
    pipeline.notify()

    # Then nothing is sent and nothing is retried
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    assert email.attempts == [] and sms.attempts == []


# ---- the completion email's one-click feedback --------------------------------------------------


def _act(report_id: str, official: str, action: str, note: str) -> None:
    import intake_app

    event = api_event(
        "POST",
        f"/reports/{report_id}/actions",
        {"action": action, "note": note},
        claims={"custom:official_id": official},
    )
    response = intake_app.lambda_handler(event, context("lapor-intake"))
    assert response["statusCode"] == 200, response["body"]


def test_the_completion_email_link_carries_a_receipt_that_accepts_the_answer(pipeline):
    import re

    import boto3
    import intake_app

    # Given a report the agency completed, and its completion email sent to the reporter
    report_id = dispatched(pipeline, harness.HEALTH | {"reporter": {"email": REPORTER_EMAIL}})
    _act(report_id, ASSIGNEE, "verify", "")
    _act(report_id, ASSIGNEE, "complete", "Puskesmas sudah buka kembali sesuai jadwal.")
    pipeline.route()
    pipeline.notify()
    [completion] = [e for e in pipeline.emails() if "selesai" in e.subject.lower()]
    # Then its accept link names the report, the choice and a receipt of the usual form
    link = re.search(r'href="([^"]*action=accept[^"]*)"', completion.body).group(1).replace("&amp;", "&")
    assert f"/track.html#{report_id}?action=accept&receipt=" in link
    token = link.rsplit("receipt=", 1)[1]
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", token)
    # ... stored only as a hash
    items = boto3.client("dynamodb").scan(TableName=pipeline.resources.names.reports_table)["Items"]
    assert token not in json.dumps(items)
    # When the reporter follows it and sends the form it filled in
    answer = intake_app.lambda_handler(
        api_event(
            "POST", f"/reports/{report_id}/feedback", {"receipt": token, "action": "accept", "rating": 5}
        ),
        context("lapor-intake"),
    )
    # Then the answer is accepted and the report closed
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"])["status"] == "closed"
