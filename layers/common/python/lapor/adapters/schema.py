"""Table definitions shared by the CDK stack and the local stack, so both create the same tables.

Keys are strings unless stated. The reports table holds, per report, one item ``sk = "REPORT"`` and
one item per timeline event ``sk = "EVENT#<at>#<n>"`` in the same partition ``pk = "REPORT#<id>"``.
Two sparse indexes hang off the report item:

- ``due``: ``due_shard`` (number, 0..shards-1) and ``due_at`` (UTC ISO instant of the next deadline);
  present only while a deadline is pending, so the SLA checker Queries due items and never Scans.
- ``period``: ``period`` = WIB month ``YYYY-MM`` of creation, ``period_sk`` = ``<agency>#<id>`` (statistics).
- ``public``: ``public_month`` = WIB month ``YYYY-MM`` of creation, ``public_sort`` =
  ``<created_at UTC>#<id>``, only on reports whose text is public (not confidential): Open311's
  ``GET requests`` reads a window newest first and stops at its limit.
- ``sms``: ``sms_message_id`` = SNS's message id, on the sent markers of SMS only (keys only): SNS's
  delivery-status log names a failed SMS by that id, and this index leads back to its report.

One more sparse index hangs off the report's pending-messages item ``sk = "OUTBOX"``:

- ``undelivered``: ``undelivered_shard`` (number) and ``undelivered_at`` (UTC ISO instant of the
  latest change that queued messages); present while some of those messages may not have gone out,
  so the SLA checker's re-drive Queries only reports with messages in doubt.

Officials' inboxes read inbox entries (``sk = "INBOX#<scope key>"``, one per scope a report is listed
in, see ``lapor.domain.inbox``) through four indexes, and per-scope counters
(``pk = "COUNT#<scope key>"``, ``sk = <status>``, attribute ``n``):

- ``work``: ``wk`` = scope key, ``wd`` = ``<current deadline | ~>#<created_at>#<id>`` (deadline order);
- ``work_created``: ``wk``, ``wc`` = ``<created_at>#<id>`` (creation order, both ways);
- ``work_status``: ``ws`` = ``<scope key>#<status>``, ``wd`` (one status in deadline order);
- ``work_due``: ``wk``, ``wo`` = ``<current deadline>#<id>``, keys only and sparse (counting overdue).

The aggregates table holds the accountability counters the reports stream keeps
(``lapor.adapters.aggregates``): statistics per year (``pk = "STATS#<YYYY>"``,
``sk = "<YYYY-MM>#<agency>"``), the officials' evaluation per month (``pk = "EVAL#<YYYY-MM>"``,
``sk = <official>``), and per report the last version counted (``pk = "TALLIED#<id>"``), so a
re-delivered change never counts twice.

The directory table holds the directory document and the officials' open-report counters, which live
apart from the document so that reloading a directory never resets them.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct, field

AttributeType = Literal["S", "N"]


class Key(Struct, frozen=True):
    """One key attribute: its name and DynamoDB scalar type."""

    name: str
    type: AttributeType = "S"


class Index(Struct, frozen=True):
    """A global secondary index; ``include`` lists non-key attributes projected (empty = KEYS_ONLY)."""

    name: str
    partition_key: Key
    sort_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    include: tuple[str, ...] = ()


class TableSpec(Struct, frozen=True):
    """A DynamoDB table as both stacks create it (on-demand billing)."""

    logical_id: str
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    stream_view_type: str | None = None
    ttl_attribute: str | None = None

    def attribute_definitions(self) -> list[dict[str, str]]:
        """Every key attribute of the table and its indexes, once each, in a stable order."""
        keys: dict[str, str] = {}
        for key in (self.partition_key, self.sort_key):
            if key:
                keys[key.name] = key.type
        for index in self.indexes:
            for key in (index.partition_key, index.sort_key):
                if key:
                    keys[key.name] = key.type
        return [{"AttributeName": name, "AttributeType": kind} for name, kind in keys.items()]

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """Arguments for boto3 ``create_table`` (the local stack and integration tests use this)."""
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": self.attribute_definitions(),
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": _projection(index),
                }
                for index in self.indexes
            ]
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return kwargs


def _key_schema(partition_key: Key, sort_key: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key.name, "KeyType": "HASH"}]
    if sort_key:
        schema.append({"AttributeName": sort_key.name, "KeyType": "RANGE"})
    return schema


def _projection(index: Index) -> dict[str, Any]:
    if index.projection == "INCLUDE":
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}
    return {"ProjectionType": index.projection}


DUE_INDEX = "due"
PERIOD_INDEX = "period"
SMS_INDEX = "sms"
SMS_MESSAGE_ATTRIBUTE = "sms_message_id"
WORK_INDEX = "work"
WORK_CREATED_INDEX = "work_created"
WORK_STATUS_INDEX = "work_status"
WORK_DUE_INDEX = "work_due"
INBOX_INDEXES = (WORK_INDEX, WORK_CREATED_INDEX, WORK_STATUS_INDEX, WORK_DUE_INDEX)
UNDELIVERED_INDEX = "undelivered"
PUBLIC_INDEX = "public"

REPORTS = TableSpec(
    logical_id="Reports",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    indexes=(
        # KEYS_ONLY + the stage fields keeps the SLA scan's read units proportional to due reports.
        Index(DUE_INDEX, Key("due_shard", "N"), Key("due_at"), projection="INCLUDE", include=("due_stage",)),
        Index(PERIOD_INDEX, Key("period"), Key("period_sk")),
        Index(PUBLIC_INDEX, Key("public_month"), Key("public_sort")),
        Index(SMS_INDEX, Key(SMS_MESSAGE_ATTRIBUTE), projection="KEYS_ONLY"),
        # Officials' inboxes: only inbox entries carry these keys (see lapor.domain.inbox).
        Index(WORK_INDEX, Key("wk"), Key("wd")),
        Index(WORK_CREATED_INDEX, Key("wk"), Key("wc")),
        Index(WORK_STATUS_INDEX, Key("ws"), Key("wd")),
        # Keys only: counting a scope's overdue reports reads ~9,000 entries per request.
        Index(WORK_DUE_INDEX, Key("wk"), Key("wo"), projection="KEYS_ONLY"),
        Index(
            UNDELIVERED_INDEX, Key("undelivered_shard", "N"), Key("undelivered_at"), projection="KEYS_ONLY"
        ),
    ),
    stream_view_type="NEW_AND_OLD_IMAGES",
)

DIRECTORY = TableSpec(logical_id="Directory", partition_key=Key("pk"), sort_key=Key("sk"))

AGGREGATES = TableSpec(logical_id="Aggregates", partition_key=Key("pk"), sort_key=Key("sk"))

# The layout powertools' DynamoDBPersistenceLayer expects by default.
IDEMPOTENCY = TableSpec(logical_id="Idempotency", partition_key=Key("id"), ttl_attribute="expiration")

ALL_TABLES = (REPORTS, DIRECTORY, IDEMPOTENCY, AGGREGATES)
