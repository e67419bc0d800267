"""Deliveries the deployment, not the recipient, stands in the way of: SES sender verification,
configuration errors (access denied, the SES sandbox), and SMS the carrier fails after SNS accepted it."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from lapor.adapters.channels import ConfigurationDeliveryError, SenderNotVerified
from lapor.adapters.outbox import DEFERRALS_ATTRIBUTE, NotifyQueue
from lapor.app import notify as notify_app_module
from lapor.app.notify import VERIFICATION_MAX_DEFERRALS
from lapor.domain.messages import Event, Notification
from tests.helpers import context
from tests.integration import conftest_route_notify as harness
from tests.integration import test_notify
from tests.integration.test_notify import (
    ASSIGNEE,
    ASSIGNEE_EMAIL,
    ASSIGNEE_PHONE,
    assigned,
    dispatched,
    no_backoff,
    no_failures,
)

pipeline = harness.pipeline  # the shared fixtures (pytest finds them by these module attributes)
fake_senders = test_notify.fake_senders


@pytest.fixture
def metrics_added(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Every metric the notify use case adds (powertools' publishing is off in tests)."""
    added: list[tuple[str, float]] = []
    monkeypatch.setattr(
        notify_app_module.metrics, "add_metric", lambda name, unit, value: added.append((name, value))
    )
    return added


def queued_messages(pipe: harness.Pipeline) -> list[dict[str, Any]]:
    """The visible messages of the notify queue (left visible), as {body, attributes}."""
    messages = pipe.sqs.receive_message(
        QueueUrl=pipe.resources.notify_queue_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    ).get("Messages", [])
    return [{"body": json.loads(m["Body"]), "attributes": m.get("MessageAttributes", {})} for m in messages]


# ---- sender not verified yet ------------------------------------------------------------------------


def test_mail_before_sender_verification_waits_and_goes_out_after_it(
    pipeline, fake_senders, metrics_added, monkeypatch
):
    # Given the sender domain is not verified yet: SES refuses the assignee's email as sent before DKIM
    email, sms = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    email.failures[ASSIGNEE_EMAIL] = [SenderNotVerified("not verified", code="SenderNotVerified")]
    delays: list[tuple[int, int]] = []
    real_requeue = NotifyQueue.requeue

    def requeue(
        queue: NotifyQueue, notification: Notification, *, delay_seconds: int, deferrals: int
    ) -> None:
        delays.append((delay_seconds, deferrals))
        real_requeue(queue, notification, delay_seconds=0, deferrals=deferrals)  # no real wait in a test

    monkeypatch.setattr(NotifyQueue, "requeue", requeue)
    pipeline.enqueue(assigned(report_id))

    # When the notifier receives it
    assert pipeline.queue.poll_once() == 1

    # Then it is neither dropped nor failed: the message left as done, a copy is enqueued with a delay
    # and a deferral count, and nothing is recorded as undeliverable
    assert no_failures(pipeline)
    assert delays == [(60, 1)]
    [waiting] = queued_messages(pipeline)
    assert waiting["body"]["id"] == assigned(report_id).id
    assert waiting["attributes"][DEFERRALS_ATTRIBUTE]["StringValue"] == "1"
    assert pipeline.marker(f"{assigned(report_id).id}#email", report_id) is None
    assert not [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert ("NotificationsAwaitingSenderVerification", 1) in metrics_added
    # ... while the SMS, which SES does not concern, went out at once
    assert [phone for phone, _ in sms.sent] == [ASSIGNEE_PHONE]

    # When the domain is verified and the copy arrives
    assert pipeline.queue.poll_once() == 1

    # Then the email goes out once, and the SMS is not repeated
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    assert [to for to, _ in email.sent] == [[ASSIGNEE_EMAIL]]
    assert sms.attempts == [ASSIGNEE_PHONE]


def test_verification_backoff_grows_to_fifteen_minutes_and_is_bounded(pipeline, fake_senders, monkeypatch):
    # Given a message already re-enqueued many times while the sender awaits verification
    email, _ = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    assert [notify_app_module.verification_backoff_seconds(n) for n in range(6)] == [
        60,
        120,
        240,
        480,
        900,
        900,
    ]
    email.failures[ASSIGNEE_EMAIL] = [SenderNotVerified("not verified", code="SenderNotVerified")]
    monkeypatch.setattr(NotifyQueue, "delay", no_backoff)
    NotifyQueue(pipeline.resources.notify_queue_url, client=pipeline.sqs).requeue(
        assigned(report_id), delay_seconds=0, deferrals=VERIFICATION_MAX_DEFERRALS
    )

    # When it fails once more for the same reason
    assert pipeline.queue.poll_once() == 1

    # Then it is no longer re-enqueued but takes the ordinary retries, which end in the DLQ (alarmed)
    assert len(pipeline.notify_results[-1]["batchItemFailures"]) == 1
    [same] = queued_messages(pipeline)
    assert same["attributes"][DEFERRALS_ATTRIBUTE]["StringValue"] == str(VERIFICATION_MAX_DEFERRALS)


# ---- configuration errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ConfigurationDeliveryError("SendEmail failed: AccessDenied (HTTP 403)", code="AccessDenied"),
        ConfigurationDeliveryError("a recipient is not verified", code="RecipientNotVerified"),
    ],
    ids=["access-denied", "sandbox-recipient"],
)
def test_configuration_errors_are_recorded_and_alarmed_not_retried(
    pipeline, fake_senders, metrics_added, error
):
    # Given a deployment that may not send the assignee's email
    email, sms = fake_senders
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    email.failures[ASSIGNEE_EMAIL] = [error]
    pipeline.enqueue(assigned(report_id))

    # When the notifier processes it
    pipeline.notify()

    # Then it is tried once, not five times into the DLQ: the message left the queue as done ...
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    assert email.attempts == [ASSIGNEE_EMAIL]
    assert pipeline.queue_depth(pipeline.resources.notify_dlq_url) == 0
    # ... it is on the report's internal timeline with the reason's code ...
    [event] = [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert not event.public
    assert event.note == f"email to {ASSIGNEE} for assigned undeliverable ({error.code})"
    # ... and counted in the metric the DeliveryConfigurationErrors alarm watches
    assert ("DeliveryConfigurationErrors", 1) in metrics_added
    assert [phone for phone, _ in sms.sent] == [ASSIGNEE_PHONE]


def test_real_ses_access_denied_is_classified_as_configuration(pipeline, metrics_added, monkeypatch):
    # Given the real SES adapter, whose call is refused as AccessDenied (an IAM mistake)
    import notify_app
    from botocore.exceptions import ClientError

    svc = notify_app.services()
    real_send = svc.channels.email.client.send_email

    def denied(**kwargs: Any) -> Any:
        raise ClientError(
            {
                "Error": {"Code": "AccessDenied", "Message": "not authorized to perform ses:SendEmail"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            "SendEmail",
        )

    monkeypatch.setattr(svc.channels.email.client, "send_email", denied)
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.drain()
    pipeline.enqueue(assigned(report_id))

    # When the notifier processes it
    pipeline.notify()

    # Then the email is recorded undeliverable for a configuration reason, and alarmed
    assert no_failures(pipeline) and pipeline.queue_depth() == 0
    notes = [e.note for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert notes == [f"email to {ASSIGNEE} for assigned undeliverable (AccessDenied)"]
    assert ("DeliveryConfigurationErrors", 1) in metrics_added
    assert real_send is not denied


# ---- SMS the carrier fails after SNS accepted it ------------------------------------------------------


def delivery_status_event(*lines: dict[str, Any]) -> dict[str, Any]:
    """A CloudWatch Logs subscription event carrying SNS delivery-status lines, as Lambda receives it."""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "sns/ap-southeast-3/123456789012/DirectPublishToPhoneNumber/Failure",
        "logStream": "stream",
        "subscriptionFilters": ["lapor-sms-failures"],
        "logEvents": [
            {"id": str(n), "timestamp": 1_770_000_000_000 + n, "message": json.dumps(line)}
            for n, line in enumerate(lines)
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


def failure_line(message_id: str, reason: str = "This delivery would exceed max price") -> dict[str, Any]:
    """One line of SNS's DirectPublishToPhoneNumber/Failure log (the documented shape)."""
    return {
        "notification": {"messageId": message_id, "timestamp": "2026-02-13 03:00:10.000"},
        "delivery": {
            "destination": ASSIGNEE_PHONE,
            "smsType": "Transactional",
            "providerResponse": reason,
            "priceInUSD": 0.0,
            "numberOfMessageParts": 1,
            "dwellTimeMs": 120,
        },
        "status": "FAILURE",
    }


@pytest.fixture
def sms_status(monkeypatch: pytest.MonkeyPatch) -> Any:
    import sms_status_app

    sms_status_app.services.cache_clear()
    sms_status_app.services().clock = harness.fixed_clock(harness.NOTIFIED_AT)
    yield sms_status_app
    sms_status_app.services.cache_clear()


def test_a_failed_sms_delivery_is_recorded_on_its_report_once(pipeline, sms_status):
    # Given an assignee's SMS that SNS (moto) accepted, with its message id on the sent marker
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.notify()
    marker_id = f"{assigned(report_id).id}#sms"
    marker = pipeline.marker(marker_id, report_id)
    assert marker["state"] == {"S": "sent"}
    sns_message_id = marker["sms_message_id"]["S"]

    # When SNS's delivery-status log reports that the carrier failed it (plus a line of another stack)
    event = delivery_status_event(failure_line(sns_message_id), failure_line("not-a-lapor-message"))
    result = sms_status.lambda_handler(event, context("lapor-sms-status"))

    # Then the marker is failed and the report's internal timeline says so, without the number
    assert result == {"recorded": 1, "unknown": 1, "already_recorded": 0, "ignored": 0}
    assert pipeline.marker(marker_id, report_id)["state"] == {"S": "failed"}
    [event_] = [e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]
    assert not event_.public
    assert event_.note == (
        f"sms to {ASSIGNEE} for assigned undeliverable (carrier: This delivery would exceed max price)"
    )
    assert ASSIGNEE_PHONE not in event_.note
    # ... and the public view does not show it
    assert [e["status"] for e in pipeline.track(report_id)["timeline"]] == ["received", "dispatched"]

    # When the same log line is delivered again (Lambda retries subscription batches)
    again = sms_status.lambda_handler(delivery_status_event(failure_line(sns_message_id)), context())

    # Then nothing is recorded twice
    assert again == {"recorded": 0, "unknown": 0, "already_recorded": 1, "ignored": 0}
    assert len([e for e in pipeline.timeline(report_id) if e.action == "undeliverable"]) == 1


def test_success_lines_and_noise_are_ignored(pipeline, sms_status):
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.notify()
    sns_message_id = pipeline.marker(f"{assigned(report_id).id}#sms", report_id)["sms_message_id"]["S"]
    success = failure_line(sns_message_id) | {"status": "SUCCESS"}
    event = delivery_status_event(success, {"unrelated": True})
    result = sms_status.lambda_handler(event, context())
    assert result == {"recorded": 0, "unknown": 0, "already_recorded": 0, "ignored": 2}
    assert pipeline.marker(f"{assigned(report_id).id}#sms", report_id)["state"] == {"S": "sent"}


def test_only_sms_markers_are_in_the_sms_index(pipeline):
    # Given a report whose messages went out by email and SMS
    report_id = dispatched(pipeline, harness.HEALTH)
    pipeline.notify()
    email_marker = pipeline.marker(f"{assigned(report_id).id}#email", report_id)
    sms_marker = pipeline.marker(f"{assigned(report_id).id}#sms", report_id)
    # Then only the SMS marker carries the index key (the index stays as small as the SMS volume)
    assert "sms_message_id" not in email_marker
    assert sms_marker["sms_message_id"]["S"] == sms_marker["provider_id"]["S"]
    assert Notification.for_(report_id, Event.ASSIGNED, ASSIGNEE, seq=1).id in sms_marker["sk"]["S"]
