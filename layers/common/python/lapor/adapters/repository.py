"""Every DynamoDB call Lapor makes lives here; nothing above this module touches the tables."""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from msgspec import Struct

from lapor.adapters.aws import all_items
from lapor.adapters.aws import client as aws_client
from lapor.adapters.schema import (
    DUE_INDEX,
    PERIOD_INDEX,
    PUBLIC_INDEX,
    SMS_INDEX,
    SMS_MESSAGE_ATTRIBUTE,
    UNDELIVERED_INDEX,
    WORK_CREATED_INDEX,
    WORK_DUE_INDEX,
    WORK_INDEX,
    WORK_STATUS_INDEX,
)
from lapor.domain.inbox import Entry, InboxQuery, Sort, count_changes, entries_of
from lapor.domain.messages import Notification
from lapor.domain.models import Report, TimelineEvent
from lapor.domain.workdays import WIB, utc_iso

REPORT_SK = "REPORT"
# A scalar flag on report items whose latest change carries messages: the router's stream filter
# matches it (stream filters cannot match list contents).
OUTBOX_FLAG = "has_outbox"
OUTBOX_FLAG_VALUE = "yes"
EVENT_PREFIX = "EVENT#"
INBOX_PREFIX = "INBOX#"
COUNT_PREFIX = "COUNT#"
# Queries with a filter read at most this many pages of this many entries per inbox call, so a
# call's cost never grows with the inbox; a short page then carries a cursor to read on.
FILTERED_PAGES = 3
FILTERED_PAGE_ITEMS = 200
# Open311 lists with filters read at most this many pages of a month (1 MB each) per call.
PUBLIC_PAGES = 10
TRANSACTION_ATTEMPTS = 3
FEEDBACK_LINK_PREFIX = "FEEDBACK#"
# The report's pending-messages item: every message queued since the last re-drive check, until the
# check finds each of them sent or failed for good (see lapor.app.redrive).
PENDING_SK = "OUTBOX"
SENT_PREFIX = "SENT#"


class ConcurrentUpdate(Exception):
    """The report changed (or already exists) since it was read; re-read and decide again."""


class WriteContention(Exception):
    """Another transaction was writing the same items at that moment; the write can simply be retried."""


class ItemTooLarge(Exception):
    """The write would make an item larger than DynamoDB allows (400 KB); nothing was written."""


class ContactLimitReached(Exception):
    """The reporter's contact already had messages for its daily number of new reports; nothing was written."""


class KeyAlreadyUsed(Exception):
    """The Idempotency-Key written with a new report already has an unexpired record."""


class CursorInvalid(ValueError):
    """An inbox cursor that this inbox query did not hand out."""


class IdempotencyRecord(Struct, frozen=True):
    """An Idempotency-Key's record, written in the same transaction as the report it created.

    The attributes are those powertools' idempotency layer uses in the same table (id, status,
    data, validation, expiration), so every record there reads alike; the table's TTL removes it.
    """

    table: str
    key: str  # already prefixed and hashed: never the client's raw header
    payload_hash: str
    response: str  # the first answer, as JSON, replayed to a retry
    expires_at: int  # epoch seconds

    def put(self, now: datetime) -> dict[str, Any]:
        """The conditional Put: the key is new, or its earlier record has expired."""
        return {
            "TableName": self.table,
            "Item": {
                "id": {"S": self.key},
                "status": {"S": "COMPLETED"},
                "data": {"S": self.response},
                "validation": {"S": self.payload_hash},
                "expiration": {"N": str(self.expires_at)},
            },
            "ConditionExpression": "attribute_not_exists(id) OR expiration < :now",
            "ExpressionAttributeValues": {":now": {"N": str(int(now.timestamp()))}},
        }


class ContactQuota(Struct, frozen=True):
    """A contact's count of new reports that get messages on one WIB day, written with the new report.

    Kept in the idempotency table (its TTL removes the counter after ``expires_at``), under a key of
    the hashed address: the table never holds the address itself.
    """

    table: str
    key: str  # contact#<contact_key>#<YYYY-MM-DD>
    limit: int
    expires_at: int  # epoch seconds

    def update(self) -> dict[str, Any]:
        """The conditional Update: one more report, unless the day's limit is reached."""
        return {
            "TableName": self.table,
            "Key": {"id": {"S": self.key}},
            "UpdateExpression": "ADD reports :one SET expiration = :expires",
            "ConditionExpression": "attribute_not_exists(reports) OR reports < :limit",
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":limit": {"N": str(self.limit)},
                ":expires": {"N": str(self.expires_at)},
            },
        }


def report_pk(report_id: str) -> str:
    """Partition key of a report and its timeline."""
    return f"REPORT#{report_id}"


def due_shard(report_id: str, shards: int) -> int:
    """The due-index shard of a report: stable, and spread evenly by a hash of the id."""
    return int.from_bytes(hashlib.sha256(report_id.encode()).digest()[:4], "big") % shards


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain JSON-like values to a DynamoDB item (floats as Decimal, None dropped)."""
    serializer = _serializer()
    clean = json.loads(json.dumps(values, default=str), parse_float=Decimal)
    return {key: serializer.serialize(value) for key, value in clean.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item to plain values (numbers stay Decimal; pydantic takes them)."""
    deserializer = _deserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def report_from_image(image: Mapping[str, Any]) -> Report:
    """A report from a deserialized item or stream image (extra key attributes ignored)."""
    fields = {k: v for k, v in image.items() if k in Report.model_fields}
    return Report.model_validate(fields)


class PendingMessages(Struct, frozen=True):
    """Messages queued for a report and not yet all confirmed sent or failed for good."""

    report_id: str
    notifications: list[Notification]
    changes: int  # how many changes appended messages: the item's version for conditional writes
    redrives: int  # how often some of them were re-enqueued
    in_index: bool  # False once the re-drive gave up on them (left for operators)


class InboxPage(Struct, frozen=True):
    """One page of inbox entries (plain values) and the key to read on from, if there may be more."""

    entries: list[dict[str, Any]]
    next_key: dict[str, Any] | None
    requests: int  # DynamoDB requests this page took


class Delivery(Struct, frozen=True):
    """A message's delivery marker: which notification, which channel, and how it ended."""

    notification_id: str
    channel: str
    state: str  # sending | sent | failed
    at: datetime


class ReportRepository:
    """Reports, their timelines and the officials' open-report counters."""

    def __init__(self, table: str, directory_table: str, *, due_shards: int, client: Any = None) -> None:
        self.table = table
        self.directory_table = directory_table
        self.due_shards = due_shards
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use."""
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    # ---- writes -------------------------------------------------------------------------------

    def save(
        self,
        report: Report,
        *,
        expected_version: int | None,
        previous: Report | None = None,
        events: Iterable[TimelineEvent] = (),
        load_changes: Mapping[tuple[str, str], int] | None = None,
        outbox: Sequence[Notification] = (),
        idempotency: IdempotencyRecord | None = None,
        contact_quota: ContactQuota | None = None,
    ) -> Report:
        """Write ``report`` and its new timeline events in one transaction; return the stored report.

        ``expected_version`` None creates the report (it must not exist); otherwise the stored version
        must still be that one, so concurrent writers never overwrite each other (ConcurrentUpdate).
        ``load_changes`` adjusts officials' open-report counters, keyed by (agency, official id), in
        the same transaction so a counter can never drift from the reports it counts. ``outbox`` holds
        this change's messages (replacing the previous change's); the stream relays them.
        ``idempotency`` is written with the report, so a key and its report exist together or not at
        all (KeyAlreadyUsed when the key has an unexpired record). ``contact_quota`` counts the new report
        against its contact's daily limit in the same transaction (ContactLimitReached when the limit is
        reached: save again without it). The outbox's messages are also
        appended to the report's pending-messages item, which the re-drive checks later.
        ``previous`` is the report as read before this change (required with ``expected_version``): the
        inbox entries and per-scope counters are brought from its state to the new one in the same
        transaction, so an inbox never lists a report in a state it is not in.

        Timeline entries are ordered by commit: a change is never dated before the change it follows
        (a request that started before another's commit but read the report after it gets an instant
        just after that commit), so the last status entry is always the report's status.
        ItemTooLarge when an item would exceed DynamoDB's size limit.
        """
        if expected_version is not None and (previous is None or previous.version != expected_version):
            raise ValueError("save an update with previous=<the report as read>, at expected_version")
        events = list(events)
        if previous is not None:
            floor = previous.updated_at + timedelta(microseconds=1)
            report = report.model_copy(update={"updated_at": max(report.updated_at, floor)})
            events = [
                event if event.at >= floor else event.model_copy(update={"at": floor}) for event in events
            ]
        # Lists (Open311's) show the latest public note without reading every report's timeline.
        public_notes = [event.note for event in events if event.public and event.note]
        stored = report.model_copy(
            update={
                "version": report.version + 1 if expected_version is not None else 1,
                "outbox": list(outbox),
                "public_note": public_notes[-1] if public_notes else report.public_note,
            }
        )
        put: dict[str, Any] = {"TableName": self.table, "Item": self._report_item(stored)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        items: list[dict[str, Any]] = [{"Put": put}]
        for seq, event in enumerate(events):
            items.append({"Put": {"TableName": self.table, "Item": self._event_item(stored.id, event, seq)}})
        for (agency, official), delta in (load_changes or {}).items():
            if delta:
                items.append({"Update": self._load_update(agency, official, delta)})
        items += self._inbox_writes(previous, stored)
        if stored.outbox:
            items.append({"Update": self._pending_append(stored)})
        key_index = quota_index = None
        if idempotency is not None:
            key_index = len(items)
            items.append({"Put": idempotency.put(stored.updated_at)})
        if contact_quota is not None:
            quota_index = len(items)
            items.append({"Update": contact_quota.update()})
        self._transact(items, key_index=key_index, quota_index=quota_index)
        return stored

    def idempotency_record(self, table: str, key: str) -> dict[str, str] | None:
        """An Idempotency-Key's record (its payload hash and first answer), or None."""
        item = self.client.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return {name: value["S"] for name, value in item.items() if "S" in value}

    def rewrite_notes(self, report_id: str, rewrite: Callable[[str], str]) -> int:
        """Replace each timeline note of a report by ``rewrite(note)`` where that changes it; how many changed."""
        changed = 0
        for item in self._query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :event)",
            ExpressionAttributeValues={":pk": {"S": report_pk(report_id)}, ":event": {"S": EVENT_PREFIX}},
            ConsistentRead=True,
        ):
            note = item.get("note", {}).get("S")
            if note is None or rewrite(note) == note:
                continue
            self.client.update_item(
                TableName=self.table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET note = :note",
                ExpressionAttributeValues={":note": {"S": rewrite(note)}},
            )
            changed += 1
        return changed

    def rewrite_pending(self, report_id: str, rewrite: Callable[[Notification], Notification]) -> int:
        """Rewrite the report's messages that wait for confirmation; how many changed."""
        pending = self.pending_messages(report_id)
        if pending is None:
            return 0
        rewritten = [rewrite(n) for n in pending.notifications]
        changed = sum(1 for old, new in zip(pending.notifications, rewritten, strict=True) if old != new)
        if changed:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": PENDING_SK}},
                UpdateExpression="SET notifications = :all",
                ConditionExpression="changes = :seen",
                ExpressionAttributeValues={
                    ":all": {"L": [{"S": n.model_dump_json()} for n in rewritten]},
                    ":seen": {"N": str(pending.changes)},
                },
            )
        return changed

    def delete_record(self, table: str, key: str) -> int:
        """Delete an item of a table keyed by ``id`` (an idempotency record or counter); 1 if it existed."""
        response = self.client.delete_item(TableName=table, Key={"id": {"S": key}}, ReturnValues="ALL_OLD")
        return 1 if response.get("Attributes") else 0

    def add_event(self, report_id: str, event: TimelineEvent) -> None:
        """Append a timeline event that changes nothing else (e.g. an undeliverable notification)."""
        self.client.put_item(TableName=self.table, Item=self._event_item(report_id, event))

    # ---- feedback tokens (completion emails) -----------------------------------------------------

    def add_feedback_token(self, report_id: str, token_hash: str, *, now: datetime) -> None:
        """Keep the hash of a receipt-equivalent token that a completion email carries in its links.

        The token itself is only in the email; like the receipt, only its hash is stored.
        """
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": report_pk(report_id)},
                "sk": {"S": f"{FEEDBACK_LINK_PREFIX}{token_hash}"},
                "created_at": {"S": utc_iso(now)},
            },
        )

    def has_feedback_token(self, report_id: str, token_hash: str) -> bool:
        """Whether a completion email of this report carried the token with this hash."""
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"{FEEDBACK_LINK_PREFIX}{token_hash}"}},
            ConsistentRead=True,
        ).get("Item")
        return item is not None

    # ---- delivery markers (notify) ---------------------------------------------------------------

    def claim_delivery(self, report_id: str, delivery_id: str, *, now: datetime, lease_seconds: int) -> bool:
        """Claim the right to send one delivery; False when it was sent, failed for good, or is in flight.

        The marker lives in the report's partition. A claim left in ``sending`` past its lease means the
        sender crashed mid-send: it can be claimed again, so a message is never lost (at the price of a
        possible duplicate in that narrow window).
        """
        stale_before = utc_iso(now - timedelta(seconds=lease_seconds))
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": report_pk(report_id)},
                    "sk": {"S": f"{SENT_PREFIX}{delivery_id}"},
                    "state": {"S": "sending"},
                    "claimed_at": {"S": utc_iso(now)},
                },
                ConditionExpression="attribute_not_exists(pk) OR (#state = :sending AND claimed_at < :stale)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":sending": {"S": "sending"}, ":stale": {"S": stale_before}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delivery_claim(self, report_id: str, delivery_id: str) -> tuple[str, datetime] | None:
        """The state of a delivery's marker and when it was claimed, or None when there is none."""
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"{SENT_PREFIX}{delivery_id}"}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        claimed = datetime.strptime(item["claimed_at"]["S"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return item["state"]["S"], claimed

    def finish_delivery(
        self,
        report_id: str,
        delivery_id: str,
        *,
        state: str,
        provider_id: str | None,
        now: datetime,
        sms_message_id: str | None = None,
    ) -> None:
        """Make a claimed delivery final: ``sent`` (with the provider's id) or ``failed`` (not retried).

        ``sms_message_id`` (SNS's message id of an SMS) puts the marker in the sparse ``sms`` index,
        where SNS's delivery-status log finds it when the carrier fails the delivery later.
        """
        values: dict[str, Any] = {":state": {"S": state}, ":at": {"S": utc_iso(now)}}
        expression = "SET #state = :state, finished_at = :at"
        if provider_id:
            values[":provider"] = {"S": provider_id}
            expression += ", provider_id = :provider"
        if sms_message_id:
            values[":sms"] = {"S": sms_message_id}
            expression += f", {SMS_MESSAGE_ATTRIBUTE} = :sms"
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"{SENT_PREFIX}{delivery_id}"}},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values,
        )

    def sms_delivery(self, sms_message_id: str) -> tuple[str, str] | None:
        """The (report id, delivery id) of the SMS SNS sent as ``sms_message_id``, or None (one index Query)."""
        items = self.client.query(
            TableName=self.table,
            IndexName=SMS_INDEX,
            KeyConditionExpression=f"{SMS_MESSAGE_ATTRIBUTE} = :id",
            ExpressionAttributeValues={":id": {"S": sms_message_id}},
            Limit=1,
        ).get("Items", [])
        if not items:
            return None
        return items[0]["pk"]["S"].removeprefix("REPORT#"), items[0]["sk"]["S"].removeprefix(SENT_PREFIX)

    def fail_sent_delivery(self, report_id: str, delivery_id: str, *, reason: str, now: datetime) -> bool:
        """Turn a ``sent`` marker into ``failed`` (the carrier gave up later); False when it was not ``sent``.

        Conditional, so a replayed delivery-status record changes the marker, and is recorded, once.
        """
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"{SENT_PREFIX}{delivery_id}"}},
                UpdateExpression="SET #state = :failed, failed_at = :at, failure = :reason",
                ConditionExpression="#state = :sent",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":failed": {"S": "failed"},
                    ":sent": {"S": "sent"},
                    ":at": {"S": utc_iso(now)},
                    ":reason": {"S": reason},
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_delivery(self, report_id: str, delivery_id: str) -> None:
        """Drop a claim whose send failed transiently, so the retry can send."""
        self.client.delete_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": f"{SENT_PREFIX}{delivery_id}"}},
            ConditionExpression="#state = :sending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sending": {"S": "sending"}},
        )

    def _transact(
        self, items: list[dict[str, Any]], *, key_index: int | None = None, quota_index: int | None = None
    ) -> None:
        # A cancelled transaction wrote nothing, and a conflict with another transaction on a shared
        # item (a counter) says nothing about our conditions: try again a couple of times first.
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                self.client.transact_write_items(TransactItems=items)
                return
            except self.client.exceptions.TransactionCanceledException as error:
                if _item_too_large(error):
                    raise ItemTooLarge("an item would exceed 400 KB") from None
                reasons = error.response.get("CancellationReasons") or []
                codes = {reason.get("Code") for reason in reasons}
                if key_index is not None and key_index < len(reasons):
                    if reasons[key_index].get("Code") == "ConditionalCheckFailed":
                        raise KeyAlreadyUsed("the Idempotency-Key already has a record") from None
                if quota_index is not None and quota_index < len(reasons):
                    if reasons[quota_index].get("Code") == "ConditionalCheckFailed":
                        raise ContactLimitReached("the contact's daily limit is reached") from None
                if "ConditionalCheckFailed" in codes:
                    raise ConcurrentUpdate("report changed since it was read") from None
                if "TransactionConflict" in codes:
                    if attempt < TRANSACTION_ATTEMPTS:
                        time.sleep(0.02 * attempt + secrets.randbelow(20) / 1000)
                        continue
                    raise WriteContention("a concurrent transaction touched the same report") from None
                raise
            except self.client.exceptions.ClientError as error:
                if _item_too_large(error):
                    raise ItemTooLarge("an item would exceed 400 KB") from None
                raise

    def _inbox_writes(self, before: Report | None, after: Report) -> list[dict[str, Any]]:
        """Puts and deletes of the report's inbox entries, and its scopes' counter updates."""
        old = entries_of(before) if before is not None else {}
        new = entries_of(after)
        writes: list[dict[str, Any]] = []
        for key in sorted(old.keys() - new.keys()):
            writes.append({"Delete": {"TableName": self.table, "Key": self._entry_key(after.id, key)}})
        for key, entry in new.items():
            if old.get(key) != entry:
                writes.append({"Put": {"TableName": self.table, "Item": self._entry_item(entry)}})
        for (key, status), delta in sorted(count_changes(before, after).items()):
            writes.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": COUNT_PREFIX + key}, "sk": {"S": status}},
                        "UpdateExpression": "ADD n :delta",
                        "ExpressionAttributeValues": {":delta": {"N": str(delta)}},
                    }
                }
            )
        return writes

    @staticmethod
    def _entry_key(report_id: str, key: str) -> dict[str, Any]:
        return {"pk": {"S": report_pk(report_id)}, "sk": {"S": INBOX_PREFIX + key}}

    def _entry_item(self, entry: Entry) -> dict[str, Any]:
        deadline = entry.deadline
        values: dict[str, Any] = {
            "wk": entry.key,
            "ws": entry.status_key,
            "wd": entry.due_sort,
            "wc": entry.created_sort,
            "wo": entry.deadline_key,
            "id": entry.report_id,
            "title": entry.title,
            "q": entry.search,
            "status": entry.status,
            "category": entry.category,
            "track": entry.track,
            "agency": entry.agency,
            "assignee": entry.assignee,
            "created_at": utc_iso(entry.created_at),
            "next_stage": deadline.stage if deadline else None,
            "next_at": utc_iso(deadline.at) if deadline else None,
        }
        return self._entry_key(entry.report_id, entry.key) | to_item(values)

    def _report_item(self, report: Report) -> dict[str, Any]:
        values = report.model_dump(mode="json")
        values.update(
            pk=report_pk(report.id), sk=REPORT_SK, period=report.created_at.astimezone(WIB).strftime("%Y-%m")
        )
        values["period_sk"] = report.id
        if not report.confidential:
            values["public_month"] = values["period"]
            values["public_sort"] = f"{utc_iso(report.created_at)}#{report.id}"
            # The category lists show (the reporter's choice until routing has decided one).
            values["public_category"] = report.category or report.requested_category
        if report.outbox:
            # A scalar flag the stream filter can match: list contents are not filterable.
            values[OUTBOX_FLAG] = OUTBOX_FLAG_VALUE
        if report.due_at is not None:
            values["due_shard"] = due_shard(report.id, self.due_shards)
            values["due_at"] = utc_iso(report.due_at)
        return to_item(values)

    def _event_item(self, report_id: str, event: TimelineEvent, seq: int = 0) -> dict[str, Any]:
        values = event.model_dump(mode="json")
        # Order is by time, then by position within one write; the random suffix keeps writes of the
        # same microsecond apart.
        values.update(
            pk=report_pk(report_id), sk=f"{EVENT_PREFIX}{utc_iso(event.at)}#{seq:02d}{secrets.token_hex(3)}"
        )
        return to_item(values)

    def _load_update(self, agency: str, official: str, delta: int) -> dict[str, Any]:
        return {
            "TableName": self.directory_table,
            "Key": {"pk": {"S": f"LOAD#{agency}"}, "sk": {"S": official}},
            "UpdateExpression": "ADD #open :delta",
            "ExpressionAttributeNames": {"#open": "open"},
            "ExpressionAttributeValues": {":delta": {"N": str(delta)}},
        }

    def _pending_append(self, report: Report) -> dict[str, Any]:
        """Append this change's messages to the pending-messages item and (re)enter the undelivered index."""
        return {
            "TableName": self.table,
            "Key": {"pk": {"S": report_pk(report.id)}, "sk": {"S": PENDING_SK}},
            "UpdateExpression": (
                "SET notifications = list_append(if_not_exists(notifications, :none), :new), "
                "undelivered_shard = :shard, undelivered_at = :at ADD changes :one"
            ),
            "ExpressionAttributeValues": {
                ":none": {"L": []},
                ":new": {"L": [{"S": n.model_dump_json()} for n in report.outbox]},
                ":shard": {"N": str(due_shard(report.id, self.due_shards))},
                ":at": {"S": utc_iso(report.updated_at)},
                ":one": {"N": "1"},
            },
        }

    # ---- pending messages (re-drive) -------------------------------------------------------------

    def undelivered_keys(
        self, shard: int, before: datetime, *, start_key: dict[str, Any] | None = None, limit: int = 100
    ) -> tuple[list[str], dict[str, Any] | None]:
        """Ids of reports in one shard whose messages were queued at or before ``before`` and are not
        yet confirmed (a Query of the sparse index, never a Scan)."""
        return self._sharded_ids(
            UNDELIVERED_INDEX, "undelivered_shard", "undelivered_at", shard, before, start_key, limit
        )

    def pending_messages(self, report_id: str) -> PendingMessages | None:
        """The report's pending-messages item, or None when every message was confirmed."""
        item = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": PENDING_SK}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return PendingMessages(
            report_id=report_id,
            notifications=[Notification.model_validate_json(n["S"]) for n in item["notifications"]["L"]],
            changes=int(item["changes"]["N"]),
            redrives=int(item.get("redrives", {"N": "0"})["N"]),
            in_index="undelivered_shard" in item,
        )

    def delivery_markers(self, report_id: str) -> dict[str, tuple[str, datetime]]:
        """Every sent marker of a report: marker id → (state, claimed at); one Query of its partition."""
        markers: dict[str, tuple[str, datetime]] = {}
        for item in self._query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sent)",
            ExpressionAttributeValues={":pk": {"S": report_pk(report_id)}, ":sent": {"S": SENT_PREFIX}},
            ConsistentRead=True,
        ):
            claimed = datetime.strptime(item["claimed_at"]["S"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            markers[item["sk"]["S"].removeprefix(SENT_PREFIX)] = (item["state"]["S"], claimed)
        return markers

    def settle_pending(self, pending: PendingMessages) -> bool:
        """Drop the pending-messages item: all confirmed. False when a change appended messages since."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": report_pk(pending.report_id)}, "sk": {"S": PENDING_SK}},
                ConditionExpression="changes = :seen",
                ExpressionAttributeValues={":seen": {"N": str(pending.changes)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def keep_pending(
        self,
        pending: PendingMessages,
        unconfirmed: Sequence[Notification],
        *,
        check_again_at: datetime | None,
        redriven: bool,
    ) -> bool:
        """Keep only ``unconfirmed`` messages, to be checked again at ``check_again_at`` (None: never,
        the item leaves the index for operators to see). False when a change appended messages since."""
        values: dict[str, Any] = {
            ":seen": {"N": str(pending.changes)},
            ":left": {"L": [{"S": n.model_dump_json()} for n in unconfirmed]},
            ":redrives": {"N": str(pending.redrives + (1 if redriven else 0))},
        }
        if check_again_at is None:
            expression = "SET notifications = :left, redrives = :redrives REMOVE undelivered_shard"
        else:
            expression = "SET notifications = :left, redrives = :redrives, undelivered_at = :again"
            values[":again"] = {"S": utc_iso(check_again_at)}
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": report_pk(pending.report_id)}, "sk": {"S": PENDING_SK}},
                UpdateExpression=expression,
                ConditionExpression="changes = :seen",
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ---- reads --------------------------------------------------------------------------------

    def get(self, report_id: str, *, consistent: bool = True) -> Report | None:
        """The report item alone."""
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": REPORT_SK}},
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        return report_from_image(from_item(item)) if item else None

    def get_with_timeline(self, report_id: str) -> tuple[Report, list[TimelineEvent]] | None:
        """The report and its timeline, oldest first, in one Query of its partition."""
        found = self.get_with_history(report_id)
        return (found[0], found[1]) if found else None

    def get_with_history(self, report_id: str) -> tuple[Report, list[TimelineEvent], list[Delivery]] | None:
        """The report, its timeline (oldest first) and its messages' delivery markers: one Query."""
        report: Report | None = None
        events: list[TimelineEvent] = []
        deliveries: list[Delivery] = []
        for item in self._query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": report_pk(report_id)}},
            ConsistentRead=True,
        ):
            sk = item["sk"]["S"]
            if sk == REPORT_SK:
                report = report_from_image(from_item(item))
            elif sk.startswith(EVENT_PREFIX):
                values = from_item(item)
                events.append(
                    TimelineEvent.model_validate(
                        {k: v for k, v in values.items() if k in TimelineEvent.model_fields}
                    )
                )
            elif sk.startswith(SENT_PREFIX) and "#" in sk.removeprefix(SENT_PREFIX):
                notification_id, channel = sk.removeprefix(SENT_PREFIX).rsplit("#", 1)
                stamp = (item.get("finished_at") or item.get("claimed_at") or {}).get("S")
                if stamp:
                    deliveries.append(
                        Delivery(notification_id, channel, item["state"]["S"], _parse_utc(stamp))
                    )
        return (report, events, deliveries) if report else None

    def loads(self, agency: str) -> dict[str, int]:
        """Open-report counts of an agency's officials (one Query; missing officials count 0)."""
        return {
            item["sk"]["S"]: int(item.get("open", {"N": "0"})["N"])
            for item in self._query_all(
                TableName=self.directory_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"LOAD#{agency}"}},
                # Strong reads: reports routed back to back must see each other's increments.
                ConsistentRead=True,
            )
        }

    # ---- officials' inboxes ---------------------------------------------------------------------

    def inbox(
        self, query: InboxQuery, *, now: datetime, start_key: dict[str, Any] | None = None
    ) -> InboxPage:
        """One page of a scope's inbox: a Query on the index that answers ``query`` (never a Scan).

        Scope, one status, overdue and the order are key conditions, so the page costs one request
        whatever the inbox's size. Several statuses, category, track and title words are filters: the
        call then reads at most FILTERED_PAGES pages and may return a short page with a cursor.
        CursorInvalid when ``start_key`` is not a key this query could have handed out.
        """
        plan = _InboxPlan.of(query, now)
        if start_key is not None:
            plan.check_cursor(start_key)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": plan.index,
            "KeyConditionExpression": plan.key_condition,
            "ExpressionAttributeValues": dict(plan.values),
            "ScanIndexForward": plan.forward,
        }
        if plan.filters:
            kwargs["FilterExpression"] = " AND ".join(plan.filters)
        if plan.names:
            kwargs["ExpressionAttributeNames"] = dict(plan.names)
        wanted = query.limit + 1  # one more than a page tells whether another page exists
        kwargs["Limit"] = FILTERED_PAGE_ITEMS if plan.filters else wanted
        budget = FILTERED_PAGES if plan.filters else 1
        items: list[dict[str, Any]] = []
        last_key = start_key
        requests = 0
        while True:
            if last_key:
                kwargs["ExclusiveStartKey"] = last_key
            response = self.client.query(**kwargs)
            requests += 1
            items += response.get("Items", [])
            last_key = response.get("LastEvaluatedKey")
            if len(items) >= wanted or not last_key or requests >= budget:
                break
        if len(items) > query.limit:
            items = items[: query.limit]
            next_key: dict[str, Any] | None = plan.key_of(items[-1])
        else:
            next_key = last_key
        return InboxPage([from_item(item) for item in items], next_key, requests)

    def inbox_entry(self, report_id: str, key: str) -> dict[str, Any] | None:
        """The report's entry in one scope's inbox, or None when the scope does not list it."""
        item = self.client.get_item(TableName=self.table, Key=self._entry_key(report_id, key)).get("Item")
        return from_item(item) if item else None

    def inbox_counts(self, key: str) -> dict[str, int]:
        """Reports of one scope per status (one Query of its counters)."""
        counts: dict[str, int] = {}
        for item in self._query_all(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": COUNT_PREFIX + key}},
        ):
            number = int(item.get("n", {"N": "0"})["N"])
            if number > 0:
                counts[item["sk"]["S"]] = number
        return counts

    def overdue_count(self, key: str, now: datetime) -> int:
        """Reports of one scope whose current deadline has passed: a COUNT on the keys-only index."""
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": WORK_DUE_INDEX,
            "KeyConditionExpression": "wk = :k AND wo < :now",
            "ExpressionAttributeValues": {":k": {"S": key}, ":now": {"S": utc_iso(now)}},
            "Select": "COUNT",
        }
        while True:
            response = self.client.query(**kwargs)
            total += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def due_keys(
        self, shard: int, now: datetime, *, start_key: dict[str, Any] | None = None, limit: int = 100
    ) -> tuple[list[str], dict[str, Any] | None]:
        """Ids of reports in one due shard whose next deadline is at or before ``now`` (a Query, never a Scan)."""
        return self._sharded_ids(DUE_INDEX, "due_shard", "due_at", shard, now, start_key, limit)

    def _sharded_ids(
        self,
        index: str,
        shard_attribute: str,
        instant_attribute: str,
        shard: int,
        until: datetime,
        start_key: dict[str, Any] | None,
        limit: int,
    ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of report ids from a sparse, sharded index: one shard, instants up to ``until``."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"{shard_attribute} = :shard AND {instant_attribute} <= :until",
            "ExpressionAttributeValues": {":shard": {"N": str(shard)}, ":until": {"S": utc_iso(until)}},
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        response = self.client.query(**kwargs)
        ids = [item["pk"]["S"].removeprefix("REPORT#") for item in response.get("Items", [])]
        return ids, response.get("LastEvaluatedKey")

    def reports_of_contact(self, *, email: str | None, phone: str | None) -> list[str]:
        """Ids of every report filed with this email (lower case) or phone (E.164).

        A Scan of the whole table, for an operator's erasure request only: no index keeps contacts.
        """
        conditions, values = [], {":report": {"S": REPORT_SK}}
        if email:
            conditions.append("reporter.email = :email")
            values[":email"] = {"S": email}
        if phone:
            conditions.append("reporter.phone = :phone")
            values[":phone"] = {"S": phone}
        if not conditions:
            return []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": f"sk = :report AND ({' OR '.join(conditions)})",
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "pk",
        }
        return [item["pk"]["S"].removeprefix("REPORT#") for item in all_items(self.client.scan, **kwargs)]

    def reports_of_period(self, period: str) -> Iterator[Report]:
        """Every report created in a WIB month (``YYYY-MM``), for statistics."""
        for item in self._query_all(
            TableName=self.table,
            IndexName=PERIOD_INDEX,
            KeyConditionExpression="#period = :period",
            ExpressionAttributeNames={"#period": "period"},
            ExpressionAttributeValues={":period": {"S": period}},
        ):
            yield report_from_image(from_item(item))

    def public_reports(
        self,
        month: str,
        *,
        start: datetime,
        end: datetime,
        statuses: Collection[str] = (),
        categories: Collection[str] = (),
        limit: int,
        max_pages: int = PUBLIC_PAGES,
    ) -> list[Report]:
        """Reports of one WIB month whose text is public, created in ``start``..``end``, newest first.

        A Query of the ``public`` index: the window is its key condition, so the cost follows the
        reports returned; ``statuses`` and ``categories`` (the routed category, or the reporter's
        choice before routing) are filters, read through at most ``max_pages`` pages.
        """
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": PUBLIC_INDEX,
            "KeyConditionExpression": "public_month = :month AND public_sort BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":month": {"S": month},
                ":low": {"S": utc_iso(start)},
                ":high": {"S": utc_iso(end) + "#~"},
            },
            "ScanIndexForward": False,
        }
        filters = []
        names: dict[str, str] = {}
        for attribute, values in (("status", sorted(statuses)), ("public_category", sorted(categories))):
            if values:
                names[f"#{attribute}"] = attribute
                placeholders = []
                for n, value in enumerate(values):
                    kwargs["ExpressionAttributeValues"][f":{attribute}{n}"] = {"S": value}
                    placeholders.append(f":{attribute}{n}")
                filters.append(f"#{attribute} IN ({', '.join(placeholders)})")
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
            kwargs["ExpressionAttributeNames"] = names
        else:
            kwargs["Limit"] = limit
        found: list[Report] = []
        for _ in range(max_pages):
            response = self.client.query(**kwargs)
            found += [report_from_image(from_item(item)) for item in response.get("Items", [])]
            if len(found) >= limit or "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[:limit]

    def all_reports(self) -> Iterator[Report]:
        """Every report of the table, in no order: a Scan, for operators' one-off rebuilds only."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "sk = :report",
            "ExpressionAttributeValues": {":report": {"S": REPORT_SK}},
        }
        for item in all_items(self.client.scan, **kwargs):
            yield report_from_image(from_item(item))

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return all_items(self.client.query, **kwargs)


class _InboxPlan(Struct, frozen=True):
    """Which index, key condition and filters answer an inbox query."""

    index: str
    partition: tuple[str, str]  # attribute, value
    sort_attribute: str
    key_condition: str
    values: tuple[tuple[str, Any], ...]
    filters: tuple[str, ...]
    names: tuple[tuple[str, str], ...]
    forward: bool

    @classmethod
    def of(cls, query: InboxQuery, now: datetime) -> _InboxPlan:
        values: dict[str, Any] = {}
        filters: list[str] = []
        names: dict[str, str] = {}
        statuses = tuple(dict.fromkeys(query.statuses))
        now_iso = {"S": utc_iso(now)}
        if query.sort == Sort.DEADLINE:
            if len(statuses) == 1:
                index, partition = WORK_STATUS_INDEX, ("ws", f"{query.key}#{statuses[0]}")
                statuses = ()
            else:
                index, partition = WORK_INDEX, ("wk", query.key)
            sort_attribute, forward = "wd", True
            condition = f"{partition[0]} = :p"
            if query.overdue:
                # "~" (no deadline) sorts after every instant, so finished reports never match.
                condition += " AND wd < :now"
                values[":now"] = now_iso
        else:
            index, partition = WORK_CREATED_INDEX, ("wk", query.key)
            sort_attribute, forward = "wc", query.sort == Sort.CREATED
            condition = "wk = :p"
            if query.overdue:
                filters.append("wo < :now")
                values[":now"] = now_iso
        values[":p"] = {"S": partition[1]}
        if statuses:
            names["#status"] = "status"
            placeholders = []
            for i, status in enumerate(statuses):
                values[f":s{i}"] = {"S": status}
                placeholders.append(f":s{i}")
            filters.append(f"#status IN ({', '.join(placeholders)})")
        if query.category:
            filters.append("category = :category")
            values[":category"] = {"S": query.category}
        if query.track:
            filters.append("track = :track")
            values[":track"] = {"S": query.track}
        for i, word in enumerate(query.words):
            filters.append(f"contains(q, :w{i})")
            values[f":w{i}"] = {"S": word}
        return cls(
            index=index,
            partition=partition,
            sort_attribute=sort_attribute,
            key_condition=condition,
            values=tuple(values.items()),
            filters=tuple(filters),
            names=tuple(names.items()),
            forward=forward,
        )

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of a start key on this index: the table's keys and the index's."""
        return ("pk", "sk", self.partition[0], self.sort_attribute)

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        """The start key that continues after ``item`` (a raw item of this index)."""
        return {name: item[name] for name in self.key_attributes}

    def check_cursor(self, key: dict[str, Any]) -> None:
        """CursorInvalid unless ``key`` is a start key of this very query's partition and index."""
        if set(key) != set(self.key_attributes):
            raise CursorInvalid("cursor of another inbox query")
        for value in key.values():
            if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
                raise CursorInvalid("cursor of another inbox query")
        if key[self.partition[0]]["S"] != self.partition[1]:
            raise CursorInvalid("cursor of another inbox")
        if not key["pk"]["S"].startswith("REPORT#") or not key["sk"]["S"].startswith(INBOX_PREFIX):
            raise CursorInvalid("cursor of another inbox query")


def _item_too_large(error: Any) -> bool:
    """A ValidationException about an item's size (DynamoDB's 400 KB limit), directly or in a transaction."""
    response = getattr(error, "response", {}) or {}
    code = response.get("Error", {}).get("Code")
    message = str(response.get("Error", {}).get("Message", ""))
    reasons = response.get("CancellationReasons") or []
    if code == "ValidationException" and "size" in message.lower():
        return True
    return any("size" in str(reason.get("Message", "")).lower() for reason in reasons)


def _parse_utc(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class DirectoryStore:
    """The current directory document, stored gzip-compressed (a national directory exceeds 400 KB as text)."""

    KEY = {"pk": {"S": "DIRECTORY"}, "sk": {"S": "CURRENT"}}

    def __init__(self, table: str, *, client: Any = None) -> None:
        self.table = table
        self._client = client

    @property
    def client(self) -> Any:
        """The DynamoDB client, created on first use."""
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def put_document(self, document: Mapping[str, Any], *, loaded_at: datetime) -> str:
        """Store a validated directory document; return its content hash."""
        raw = json.dumps(document, sort_keys=True, ensure_ascii=False).encode()
        digest = hashlib.sha256(raw).hexdigest()
        self.client.put_item(
            TableName=self.table,
            Item={
                **self.KEY,
                "document": {"B": gzip.compress(raw)},
                "sha256": {"S": digest},
                "loaded_at": {"S": utc_iso(loaded_at)},
            },
        )
        return digest

    def get_document(self) -> dict[str, Any] | None:
        """The stored directory document, or None when no directory has been loaded."""
        item = self.client.get_item(TableName=self.table, Key=self.KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return json.loads(gzip.decompress(item["document"]["B"]))
