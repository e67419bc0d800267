"""Re-drive: messages that should have gone out by now and did not are enqueued again.

Every change that queues messages also appends them to the report's pending-messages item, which sits
in a sparse, sharded index until a check finds each message confirmed (every delivery's sent marker
``sent`` or ``failed``). The SLA checker runs this check on each run for the items whose latest change
is older than ``after`` (a few minutes: longer than the notifier's retries take). A message with a
delivery that has no marker, or whose claim's lease ran out (a sender that died mid-send), is
enqueued again with its own deterministic id, so the notifier's claims keep it to one send; one
whose claim is still fresh is left for the next check. After ``max_redrives`` re-drives the item
leaves the index and an internal timeline entry tells operators which messages never went out.

Whatever lost the message (a queue that dropped it, an operator's purge, a DLQ nobody re-drove),
the cost is a few minutes, never the message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from msgspec import Struct, field

from lapor.adapters.outbox import NotifyQueue
from lapor.adapters.repository import PendingMessages, ReportRepository
from lapor.app.notify import CLAIM_LEASE_SECONDS, deliveries_for, undeliverable_event
from lapor.app.sharded import ShardWalk
from lapor.domain.directory import Directory
from lapor.domain.messages import Notification
from lapor.domain.models import Report
from lapor.observability import logger

PAGE_SIZE = 100
MAX_REDRIVES = 5
CONFIRMED_STATES = frozenset({"sent", "failed"})


class RedriveSummary(Struct):
    """What one re-drive pass did; part of the SLA checker's summary."""

    checked: int = 0  # pending-messages items looked at
    confirmed: int = 0  # items whose messages all went out (the item was dropped)
    redriven: list[str] = field(default_factory=list)  # ids of messages enqueued again
    in_flight: int = 0  # messages whose delivery is claimed right now: checked again later
    abandoned: list[str] = field(default_factory=list)  # ids given up after MAX_REDRIVES
    left_for_later: bool = False

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "checked": self.checked,
            "confirmed": self.confirmed,
            "redriven": len(self.redriven),
            "redriven_ids": list(self.redriven),
            "in_flight": self.in_flight,
            "abandoned": len(self.abandoned),
            "left_for_later": self.left_for_later,
        }


class Unconfirmed(Struct, frozen=True):
    """A pending message that has not gone out, and whether a sender is on it right now."""

    notification: Notification
    in_flight: bool


def unconfirmed_messages(
    pending: PendingMessages,
    report: Report | None,
    markers: dict[str, tuple[str, datetime]],
    *,
    directory: Directory,
    sms_enabled: bool,
    now: datetime,
) -> list[Unconfirmed]:
    """The pending messages with a delivery not yet sent or failed for good.

    A delivery claimed less than a lease ago is in flight (its sender may still finish); an older
    claim is a sender that died, and counts as not sent. A message with no delivery at all (its
    recipient has no address) has nothing left to do. Messages of a deleted report are dropped.
    """
    if report is None:
        return []
    lease = timedelta(seconds=CLAIM_LEASE_SECONDS)
    result: list[Unconfirmed] = []
    seen: set[str] = set()
    for notification in pending.notifications:
        if notification.id in seen:
            continue
        seen.add(notification.id)
        states = [
            markers.get(delivery.marker(notification))
            for delivery in deliveries_for(notification, report, directory, sms_enabled=sms_enabled)
        ]
        open_states = [state for state in states if state is None or state[0] not in CONFIRMED_STATES]
        if not open_states:
            continue
        in_flight = all(state is not None and now - state[1] < lease for state in open_states)
        result.append(Unconfirmed(notification, in_flight))
    return result


def redrive_undelivered(
    *,
    reports: ReportRepository,
    queue: NotifyQueue,
    directory: Directory,
    sms_enabled: bool,
    now: datetime,
    after: timedelta,
    shards: int,
    time_left_ms: Callable[[], int],
    reserve_ms: int = 2_000,
) -> RedriveSummary:
    """Check every pending-messages item whose latest change is older than ``after``; re-enqueue what
    did not go out. Queries the sparse index shard by shard (never a Scan) while time allows."""
    summary = RedriveSummary()
    before = now - after
    pending = ShardWalk(
        lambda shard, start_key: reports.undelivered_keys(
            shard, before, start_key=start_key, limit=PAGE_SIZE
        ),
        shards=shards,
        time_left_ms=time_left_ms,
        reserve_ms=reserve_ms,
    )
    for report_id in pending:
        _check(
            report_id,
            reports=reports,
            queue=queue,
            directory=directory,
            sms_enabled=sms_enabled,
            now=now,
            summary=summary,
        )
    summary.left_for_later = pending.stopped_early
    return summary


def _check(
    report_id: str,
    *,
    reports: ReportRepository,
    queue: NotifyQueue,
    directory: Directory,
    sms_enabled: bool,
    now: datetime,
    summary: RedriveSummary,
) -> None:
    pending = reports.pending_messages(report_id)
    if pending is None or not pending.in_index:
        return
    summary.checked += 1
    unconfirmed = unconfirmed_messages(
        pending,
        reports.get(report_id),
        reports.delivery_markers(report_id),
        directory=directory,
        sms_enabled=sms_enabled,
        now=now,
    )
    if not unconfirmed:
        if reports.settle_pending(pending):
            summary.confirmed += 1
        return
    lost = [u.notification for u in unconfirmed if not u.in_flight]
    summary.in_flight += len(unconfirmed) - len(lost)
    keep = [u.notification for u in unconfirmed]
    if lost and pending.redrives >= MAX_REDRIVES:
        _abandon(pending, keep, lost, reports=reports, now=now, summary=summary)
        return
    # Record first, then enqueue: a crash in between leaves the item due again after another pause,
    # never a re-drive that was sent but not counted against the limit.
    if not reports.keep_pending(pending, keep, check_again_at=now, redriven=bool(lost)):
        return  # a change appended messages meanwhile: the next check sees them all
    if lost:
        queue.send(lost)
        summary.redriven += [n.id for n in lost]
        logger.warning(
            "undelivered messages enqueued again",
            report_id=report_id,
            notification_ids=[n.id for n in lost],
            redrives=pending.redrives + 1,
        )


def _abandon(
    pending: PendingMessages,
    keep: Sequence[Notification],
    lost: Sequence[Notification],
    *,
    reports: ReportRepository,
    now: datetime,
    summary: RedriveSummary,
) -> None:
    if not reports.keep_pending(pending, keep, check_again_at=None, redriven=False):
        return
    report = reports.get(pending.report_id)
    if report is not None:
        note = f"{len(lost)} message(s) not delivered after {pending.redrives} re-drives: " + ", ".join(
            n.id.removeprefix(f"{pending.report_id}:") for n in lost
        )
        reports.add_event(pending.report_id, undeliverable_event(report, now, note))
    summary.abandoned += [n.id for n in lost]
    logger.error(
        "undelivered messages abandoned",
        report_id=pending.report_id,
        notification_ids=[n.id for n in lost],
    )
