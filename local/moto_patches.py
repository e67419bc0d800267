"""Fixes for moto behaviour that would make the local stack (and benchmarks) measure moto, not Lapor.

moto backs every DynamoDB transaction up by deep-copying each table it touches, once per item of the
transaction and stream records included, so one TransactWriteItems costs about a millisecond per
item already stored (DynamoDB's cost does not grow with the table). In server mode the copy also
races with other requests writing the same table ("dictionary changed size during iteration").

``item_level_transaction_backups`` replaces that backup with one of just the items the transaction
names (and the stream's length), restored the same way if the transaction fails: same outcome,
cost proportional to the transaction.

``plain_json_item_responses`` answers DynamoDB's and DynamoDB Streams' item operations with
``json.dumps`` instead of moto's model-driven serializer, which walks the botocore shape of every
attribute: 15 ms for one item holding a 30-entry list, a third of the local stack's moto time.
Their results are already in wire format, so the output is the same JSON.

``one_dynamodb_request_at_a_time`` runs DynamoDB and DynamoDB Streams requests one after the other,
from parsing to answer. moto's server is threaded but that backend is not: a Query or a stream read
iterates dictionaries that a concurrent write may be resizing, and an item-level rollback must not
undo another request's write made in between. One lock costs no throughput, as every request holds
the process's GIL anyway.

``partition_scoped_queries`` lets a Query of a table (not of an index) look at its own partition:
moto lists and sorts every item of the table for each one, so reading one partition of counters
cost time in proportion to everything else stored beside it.

``cached_action_lookup`` remembers each response class's method names, which moto otherwise
collects with ``inspect.getmembers`` on every request.

``sqs_queue_changes_under_lock`` makes moto's SQS queues change their message lists under the lock
that adding a message already takes. moto's delete rebuilds the list from the one it started with
and assigns it unlocked, so two overlapping deletes drop a message sent between them, silently.
"""

from __future__ import annotations

import base64
import copy as _copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class _Saved:
    table: Any
    hash_key: Any
    range_key: Any
    item: Any  # a deep copy of the item before the transaction, or None when it did not exist
    stream_length: int | None


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[_Saved]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[_Saved] = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.tables[op["TableName"]]
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, StopIteration, TypeError, AttributeError):
            continue  # malformed: moto itself rejects it before writing anything
        current = table.get_item(hash_key, range_key)
        shard = table.stream_shard
        saved.append(
            _Saved(
                table,
                hash_key,
                range_key,
                _copy.deepcopy(current),
                len(shard.items) if shard is not None else None,
            )
        )
    return saved


def _restore(saved: list[_Saved]) -> None:
    for entry in reversed(saved):
        table = entry.table
        if entry.item is None:
            if entry.range_key is not None:
                table.items.get(entry.hash_key, {}).pop(entry.range_key, None)
            else:
                table.items.pop(entry.hash_key, None)
        elif entry.range_key is not None:
            table.items[entry.hash_key][entry.range_key] = entry.item
        else:
            table.items[entry.hash_key] = entry.item
        if entry.stream_length is not None:
            del table.stream_shard.items[entry.stream_length :]  # as moto's rollback: no records


@contextmanager
def item_level_transaction_backups() -> Iterator[None]:
    """While active, moto backs transactions up item by item instead of copying whole tables."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _CopyWithoutTables:
        """``copy`` as moto's backend module sees it, except that tables are not deep-copied."""

        copy = staticmethod(_copy.copy)

        @staticmethod
        def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
            return value if isinstance(value, Table) else _copy.deepcopy(value, memo)

    backend = models.DynamoDBBackend
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _snapshot(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    models.copy = _CopyWithoutTables  # type: ignore[assignment]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.copy = _copy  # type: ignore[assignment]
        backend.transact_write_items = original  # type: ignore[method-assign]


@contextmanager
def recorded_send_times() -> Iterator[dict[str, str]]:
    """While active, the UTC time of every SES email and SNS publish moto accepts, by message id.

    moto records what was sent but not when; the local outbox shows ``sent_at`` from this.
    """
    from datetime import UTC, datetime

    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    times: dict[str, str] = {}
    send_email, send_raw_email, publish = SESBackend.send_email, SESBackend.send_raw_email, SNSBackend.publish

    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def timed_send_email(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = send_email(self, *args, **kwargs)
        times[message.id] = now()
        return message

    def timed_send_raw_email(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = send_raw_email(self, *args, **kwargs)
        times[message.id] = now()
        return message

    def timed_publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        message_id = publish(self, *args, **kwargs)
        times[str(message_id)] = now()
        return message_id

    SESBackend.send_email = timed_send_email  # type: ignore[method-assign]
    SESBackend.send_raw_email = timed_send_raw_email  # type: ignore[method-assign]
    SNSBackend.publish = timed_publish  # type: ignore[method-assign]
    try:
        yield times
    finally:
        SESBackend.send_email = send_email  # type: ignore[method-assign]
        SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]
        SNSBackend.publish = publish  # type: ignore[method-assign]


# Operations whose results are items, stream records and counters, all already in wire format.
PLAIN_JSON_ACTIONS = {
    "DynamoHandler": frozenset(
        {
            "GetItem",
            "BatchGetItem",
            "TransactGetItems",
            "Query",
            "Scan",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchWriteItem",
            "TransactWriteItems",
        }
    ),
    "DynamoDBStreamsHandler": frozenset({"GetRecords", "GetShardIterator"}),
}


def _wire(value: Any) -> Any:
    """``value`` as botocore's JSON serializer writes it: None members left out, blobs in base64,
    timestamps as epoch seconds."""
    from datetime import datetime

    if isinstance(value, dict):
        return {key: _wire(member) for key, member in value.items() if member is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [_wire(member) for member in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    return value


@contextmanager
def plain_json_item_responses() -> Iterator[None]:
    """While active, DynamoDB item operations and stream reads are serialized with ``json.dumps``."""
    from moto.core.responses import BaseResponse
    from moto.core.utils import rfc_1123_datetime, utcnow

    original = BaseResponse.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        actions = PLAIN_JSON_ACTIONS.get(type(self).__name__)
        result = action_result.result
        if (
            actions is None
            or self._get_action() not in actions
            or not isinstance(result, dict)
            # a paginated result or an error takes moto's own path
            or type(action_result).__name__ not in ("ActionResult", "DynamoResult")
        ):
            return original(self, action_result)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "server": "amazon.com",
            "date": rfc_1123_datetime(utcnow()),
        }
        headers.update(self.response_headers)
        return 200, headers, json.dumps(_wire(result))

    BaseResponse.serialized = serialized  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseResponse.serialized = original  # type: ignore[method-assign]


@contextmanager
def cached_action_lookup() -> Iterator[None]:
    """While active, moto lists a response class's methods once, not once per request."""
    import functools

    import moto.core.responses as responses

    original = responses.method_names_from_class
    responses.method_names_from_class = functools.cache(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        responses.method_names_from_class = original  # type: ignore[assignment]


@contextmanager
def one_dynamodb_request_at_a_time() -> Iterator[None]:
    """While active, moto serves one DynamoDB or DynamoDB Streams request at a time."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    lock = threading.Lock()
    originals = {cls: cls.call_action for cls in (DynamoHandler, DynamoDBStreamsHandler)}

    def locked(method: Any) -> Any:
        def call_action(self: Any) -> Any:
            with lock:
                return method(self)

        return call_action

    for cls, method in originals.items():
        cls.call_action = locked(method)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, method in originals.items():
            cls.call_action = method  # type: ignore[method-assign]


@contextmanager
def partition_scoped_queries() -> Iterator[None]:
    """While active, a Query on a table's own key reads only the items of the partition it names."""
    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items
    scope = threading.local()

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        scope.partition = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            scope.partition = None

    def all_items(self: Any) -> Any:
        partition = getattr(scope, "partition", None)
        if partition is None or partition[0] is not self:
            return original_all_items(self)
        found = self.items.get(partition[1])
        if found is None:
            return []
        items = list(found.values()) if self.range_key_attr else [found]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = original_query  # type: ignore[method-assign]
        Table.all_items = original_all_items  # type: ignore[method-assign]


@contextmanager
def sqs_queue_changes_under_lock() -> Iterator[None]:
    """While active, deletes, receives and visibility changes hold the queue's own message lock.

    ``Queue.add_message`` appends under ``_messages_lock``; ``Queue.delete_message`` builds a new list
    and assigns it without it, so a message appended to a list that an overlapping delete is about
    to replace is lost. Receives (which move messages to the DLQ) and visibility changes walk the
    same list. The lock is a re-entrant Condition, and a long-polling receive waits on it, which
    releases it, so senders are never blocked by a waiting receiver.
    """
    from moto.sqs.models import Queue, SQSBackend

    originals = {
        (Queue, "delete_message"): Queue.delete_message,
        (SQSBackend, "receive_message"): SQSBackend.receive_message,
        (SQSBackend, "change_message_visibility"): SQSBackend.change_message_visibility,
    }

    def queue_method(method: Any) -> Any:
        def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self._messages_lock:
                return method(self, *args, **kwargs)

        return locked

    def backend_method(method: Any) -> Any:
        def locked(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            with self.get_queue(queue_name)._messages_lock:
                return method(self, queue_name, *args, **kwargs)

        return locked

    Queue.delete_message = queue_method(Queue.delete_message)  # type: ignore[method-assign]
    SQSBackend.receive_message = backend_method(SQSBackend.receive_message)  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = backend_method(  # type: ignore[method-assign]
        SQSBackend.change_message_visibility
    )
    try:
        yield
    finally:
        for (owner, name), method in originals.items():
            setattr(owner, name, method)
