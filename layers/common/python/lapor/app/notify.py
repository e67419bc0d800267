"""Delivery of one notification: address lookup, rendering, exactly-once sending, failure records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from msgspec import Struct, field

from lapor.adapters.channels import (
    ConfigurationDeliveryError,
    EmailSender,
    PermanentDeliveryError,
    SenderNotVerified,
    SmsSender,
    TransientDeliveryError,
)
from lapor.adapters.repository import ReportRepository
from lapor.app.render import render_email, render_sms
from lapor.domain.contacts import normalize_phone
from lapor.domain.directory import Directory
from lapor.domain.ids import hash_receipt, new_receipt
from lapor.domain.lifecycle import Status
from lapor.domain.messages import REPORTER, Event, Notification
from lapor.domain.models import Report, TimelineEvent
from lapor.observability import logger, metrics

# Officials get an SMS as well as the email for what needs action now; routine updates are email only.
SMS_EVENTS_FOR_OFFICIALS = frozenset(
    {
        Event.ASSIGNED,
        Event.TRIAGE,
        Event.CC,
        Event.REOPENED,
        Event.ESCALATION_1,
        Event.ESCALATION_2,
        Event.RESOLVE_MISSED,
    }
)
# A claim older than this is from a sender that crashed mid-send; keep it above a send's worst latency.
CLAIM_LEASE_SECONDS = 120
# Mail queued before the sender domain's DKIM records are verified waits for them: re-enqueued with
# a delay (SQS allows at most 15 minutes) for up to about 75 hours (AWS: verification may take 72),
# then it takes the ordinary retries into the DLQ, where the DLQ alarm calls an operator.
VERIFICATION_MAX_DELAY_SECONDS = 900
VERIFICATION_MAX_DEFERRALS = 300


class Channels(Struct, frozen=True):
    """How messages leave: the email and SMS senders and what the deployment allows."""

    email: EmailSender
    sms: SmsSender
    sms_enabled: bool
    public_url: str


class Delivery(Struct, frozen=True):
    """One channel of one notification to one address."""

    channel: str  # "email" | "sms"
    address: str

    def marker(self, notification: Notification) -> str:
        """The sent-marker id: the notification's deterministic id and the channel."""
        return f"{notification.id}#{self.channel}"


class DeliveryOutcome(Struct):
    """What happened to each delivery of a notification."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already sent (a duplicate message)
    failed: list[str] = field(default_factory=list)  # permanent failure, recorded on the timeline
    misconfigured: list[str] = field(default_factory=list)  # of ``failed``: the deployment's fault
    requeued: bool = False  # waiting for the sender identity's verification


class DeliveryDeferred(Exception):
    """At least one delivery failed transiently or is in flight; the message must be retried later.

    ``retry_after`` is the least delay (seconds) that makes sense, e.g. until an in-flight claim's
    lease runs out; ``awaiting_verification`` says SES refused the sender as not verified yet.
    """

    def __init__(self, message: str, *, retry_after: int = 0, awaiting_verification: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.awaiting_verification = awaiting_verification


def deliveries_for(
    notification: Notification, report: Report, directory: Directory, *, sms_enabled: bool
) -> list[Delivery]:
    """The channels and addresses a notification goes to.

    Nothing for a reporter without contact, nor for one whose contact reached its daily limit of new
    reports (``contact_muted``): such a message has no delivery, so the re-drive never expects one.
    """
    result: list[Delivery] = []
    if notification.recipient == REPORTER:
        contact = report.reporter
        if contact is None or report.contact_muted:
            return []
        if contact.email:
            result.append(Delivery("email", contact.email))
        elif contact.phone and sms_enabled:
            # Reporters who left only a phone number hear back by SMS.
            result.append(Delivery("sms", contact.phone))
        return result
    official = directory.officials_by_id.get(notification.recipient)
    if official is None:
        return []
    result.append(Delivery("email", official.email))
    if official.phone and sms_enabled and notification.event in SMS_EVENTS_FOR_OFFICIALS:
        result.append(Delivery("sms", official.phone))
    return result


def deliver(
    notification: Notification,
    *,
    reports: ReportRepository,
    directory: Directory,
    email: EmailSender,
    sms: SmsSender,
    sms_enabled: bool,
    public_url: str,
    now: datetime,
) -> DeliveryOutcome:
    """Send every delivery of ``notification`` that has not been sent yet.

    Each delivery is claimed with a conditional write before sending, so a re-delivered message
    sends nothing twice; a transient failure releases the claim and raises DeliveryDeferred after
    the other deliveries were tried; a permanent one is recorded on the report's timeline.
    """
    outcome = DeliveryOutcome()
    report = reports.get(notification.report_id, consistent=False)
    if report is None:
        outcome.failed.append("report-missing")
        return outcome
    to_reporter = notification.recipient == REPORTER
    if not to_reporter and notification.recipient not in directory.officials_by_id:
        # The official left the directory after the message was queued: say so once, on the timeline.
        _record_unaddressable(notification, report, reports, now=now)
        outcome.failed.append("no-address")
        return outcome
    deferred = False
    awaiting_verification = False
    retry_after = 0
    for delivery in deliveries_for(notification, report, directory, sms_enabled=sms_enabled):
        marker = delivery.marker(notification)
        if not reports.claim_delivery(report.id, marker, now=now, lease_seconds=CLAIM_LEASE_SECONDS):
            claim = reports.delivery_claim(report.id, marker)
            if claim is not None and claim[0] == "sending":
                # Another sender holds it, or crashed holding it: not done yet. Come back when its
                # lease runs out, rather than dropping the message as if it had been sent.
                lease_end = claim[1] + timedelta(seconds=CLAIM_LEASE_SECONDS)
                retry_after = max(retry_after, int((lease_end - now).total_seconds()) + 1)
                deferred = True
                continue
            outcome.skipped.append(delivery.channel)
            continue
        try:
            provider_id = _send(
                delivery,
                notification,
                report,
                directory,
                email=email,
                sms=sms,
                to_reporter=to_reporter,
                public_url=public_url,
                feedback_token=_feedback_token(delivery, notification, report, reports, now),
            )
        except TransientDeliveryError as error:
            reports.release_delivery(report.id, marker)
            deferred = True
            awaiting_verification |= isinstance(error, SenderNotVerified)
            continue
        except PermanentDeliveryError as error:
            reports.finish_delivery(report.id, marker, state="failed", provider_id=None, now=now)
            reports.add_event(report.id, _undeliverable(notification, delivery, report, now, error.code))
            outcome.failed.append(delivery.channel)
            if isinstance(error, ConfigurationDeliveryError):
                outcome.misconfigured.append(delivery.channel)
            continue
        reports.finish_delivery(
            report.id,
            marker,
            state="sent",
            provider_id=provider_id,
            now=now,
            sms_message_id=provider_id if delivery.channel == "sms" else None,
        )
        outcome.sent.append(delivery.channel)
    if deferred:
        raise DeliveryDeferred(
            f"{notification.id}: a delivery failed transiently or is in flight",
            retry_after=retry_after,
            awaiting_verification=awaiting_verification,
        )
    return outcome


def _send(
    delivery: Delivery,
    notification: Notification,
    report: Report,
    directory: Directory,
    *,
    email: EmailSender,
    sms: SmsSender,
    to_reporter: bool,
    public_url: str,
    feedback_token: str | None,
) -> str:
    if delivery.channel == "email":
        rendered = render_email(
            notification,
            report,
            directory,
            to_reporter=to_reporter,
            public_url=public_url,
            feedback_token=feedback_token,
        )
        return email.send([delivery.address], rendered)
    phone = normalize_phone(delivery.address)
    if phone is None:
        raise PermanentDeliveryError("not an Indonesian mobile number", code="InvalidPhoneNumber")
    return sms.send(phone, render_sms(notification, report, directory, to_reporter=to_reporter))


def _feedback_token(
    delivery: Delivery, notification: Notification, report: Report, reports: ReportRepository, now: datetime
) -> str | None:
    """A receipt-equivalent token for the accept/reopen links of a completion email to the reporter.

    The reporter's receipt is stored only as a hash, so the email cannot repeat it; it carries a new
    secret of the same form instead, whose hash is stored with the report before the email leaves.
    """
    completed = notification.event == Event.STATUS and notification.stage == Status.COMPLETED.value
    if delivery.channel != "email" or notification.recipient != REPORTER or not completed:
        return None
    token = new_receipt()
    reports.add_feedback_token(report.id, hash_receipt(token), now=now)
    return token


def _record_unaddressable(
    notification: Notification, report: Report, reports: ReportRepository, *, now: datetime
) -> None:
    marker = f"{notification.id}#none"
    if not reports.claim_delivery(report.id, marker, now=now, lease_seconds=CLAIM_LEASE_SECONDS):
        return
    reports.finish_delivery(report.id, marker, state="failed", provider_id=None, now=now)
    note = f"{notification.event.value} to {notification.recipient} undeliverable (not in the directory)"
    event = undeliverable_event(
        report, now, note, recipients=[notification.recipient], message=notification.event.value
    )
    reports.add_event(report.id, event)


def undeliverable_note(*, recipient: str, event: str, channel: str, code: str | None) -> str:
    """What the timeline says of a message that could not be delivered, with the reason's code.

    Operators see which message could not be delivered and why; the address itself is never recorded.
    """
    who = "reporter" if recipient == REPORTER else recipient
    return f"{channel} to {who} for {event} undeliverable ({code or 'rejected'})"


def _undeliverable(
    notification: Notification, delivery: Delivery, report: Report, now: datetime, code: str | None
) -> TimelineEvent:
    note = undeliverable_note(
        recipient=notification.recipient, event=notification.event.value, channel=delivery.channel, code=code
    )
    return undeliverable_event(
        report,
        now,
        note,
        recipients=[notification.recipient],
        channel=delivery.channel,
        message=notification.event.value,
        code=code or "rejected",
    )


def undeliverable_event(
    report: Report,
    now: datetime,
    note: str,
    *,
    recipients: Sequence[str] = (),
    channel: str | None = None,
    message: str | None = None,
    code: str | None = None,
) -> TimelineEvent:
    """An internal timeline entry: a message that did not, or will not, reach its recipient.

    ``recipients``, ``channel``, ``message`` (the event) and ``code`` let the officials' view say it
    in the reader's language; ``note`` says it for operators reading the table.
    """
    return TimelineEvent(
        at=now,
        status=report.status,
        action="undeliverable",
        actor="system",
        note=note,
        public=False,
        recipients=list(recipients),
        channel=channel,
        message=message,
        code=code,
    )


def process_queued(
    notification: Notification,
    *,
    receives: int,
    postpone: Callable[[int], None],
    channels: Channels,
    reports: ReportRepository,
    directory: Directory,
    now: datetime,
    deferrals: int = 0,
    requeue: Callable[[int, int], None] | None = None,
) -> DeliveryOutcome:
    """Deliver one message taken from the notify queue; on DeliveryDeferred, ``postpone`` it first.

    ``receives`` is how often the queue has handed this message out; the retry waits an exponential
    backoff, or until an in-flight claim's lease runs out, whichever is longer. A message whose email
    waits for the sender's verification is instead handed to ``requeue(delay_seconds, deferrals)``
    as a new message (``deferrals`` counts those), so the wait does not use up the queue's receives.
    """
    try:
        outcome = deliver(
            notification,
            reports=reports,
            directory=directory,
            email=channels.email,
            sms=channels.sms,
            sms_enabled=channels.sms_enabled,
            public_url=channels.public_url,
            now=now,
        )
    except DeliveryDeferred as deferred:
        if deferred.awaiting_verification and requeue and deferrals < VERIFICATION_MAX_DEFERRALS:
            delay = max(verification_backoff_seconds(deferrals), deferred.retry_after)
            requeue(min(delay, VERIFICATION_MAX_DELAY_SECONDS), deferrals + 1)
            metrics.add_metric(name="NotificationsAwaitingSenderVerification", unit="Count", value=1)
            logger.warning(
                "sender identity not verified yet: notification re-enqueued",
                notification_id=notification.id,
                deferrals=deferrals + 1,
                delay_seconds=delay,
            )
            return DeliveryOutcome(requeued=True)
        postpone(max(backoff_seconds(receives), deferred.retry_after))
        metrics.add_metric(name="NotificationsDeferred", unit="Count", value=1)
        logger.warning("notification deferred", notification_id=notification.id, receives=receives)
        raise
    metrics.add_metric(name="NotificationsSent", unit="Count", value=len(outcome.sent))
    if outcome.failed:
        metrics.add_metric(name="NotificationsFailed", unit="Count", value=len(outcome.failed))
    if outcome.misconfigured:
        # Alarmed: the deployment cannot send (permissions, sandbox, paused account).
        metrics.add_metric(name="DeliveryConfigurationErrors", unit="Count", value=len(outcome.misconfigured))
        logger.error(
            "delivery refused by the deployment's configuration",
            notification_id=notification.id,
            channels=outcome.misconfigured,
        )
    logger.info(
        "notification processed",
        notification_id=notification.id,
        sent=outcome.sent,
        duplicate=outcome.skipped,
        failed=outcome.failed,
    )
    return outcome


def backoff_seconds(receives: int) -> int:
    """Exponential backoff for a message that failed ``receives`` times: 2, 4, 8 … capped at 5 minutes."""
    return min(2**receives, 300)


def verification_backoff_seconds(deferrals: int) -> int:
    """Wait before the next try of mail held for sender verification: 1, 2, 4, 8 minutes, then 15."""
    return min(60 * 2**deferrals, VERIFICATION_MAX_DELAY_SECONDS)
