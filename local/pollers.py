"""Event sources the way Lambda runs them: a DynamoDB stream poller, an SQS poller and a schedule."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lapor.adapters.repository import OUTBOX_FLAG, OUTBOX_FLAG_VALUE, REPORT_SK
from local.lambda_runtime import invoke

Handler = Callable[[dict[str, Any], Any], Any]
SHARD_LIST_SECONDS = 5.0


def _epoch(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else value


def matches_route_filter(record: dict[str, Any]) -> bool:
    """The router's event filter, as deployed: INSERTs of reports, and MODIFYs of reports with an outbox."""
    new_image = record.get("dynamodb", {}).get("NewImage", {})
    if new_image.get("sk", {}).get("S") != REPORT_SK:
        return False
    if record.get("eventName") == "INSERT":
        return True
    return (
        record.get("eventName") == "MODIFY" and new_image.get(OUTBOX_FLAG, {}).get("S") == OUTBOX_FLAG_VALUE
    )


def matches_report_filter(record: dict[str, Any]) -> bool:
    """The tally's event filter, as deployed: every INSERT and MODIFY of a report item."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return False
    return record.get("dynamodb", {}).get("NewImage", {}).get("sk", {}).get("S") == REPORT_SK


class StreamPoller(threading.Thread):
    """Reads every shard of a DynamoDB stream and invokes the handler with Lambda-shaped batches.

    Honours ``batchItemFailures``: a failed record and those after it in the batch are retried (as
    Lambda does, resuming from the first failure), up to ``max_retries`` times with the batch halved
    on each retry (bisect on error); records still failing go to the on-failure queue as Lambda's
    on-failure destination would describe them.
    """

    def __init__(
        self,
        *,
        session: Any,
        stream_arn: str,
        handler: Handler,
        function_name: str,
        on_failure_url: str,
        record_filter: Callable[[dict[str, Any]], bool] = matches_route_filter,
        batch_size: int = 25,
        max_retries: int = 5,
        idle_sleep: float = 0.05,
        batching_window: float = 0.0,
    ) -> None:
        super().__init__(name="stream-poller", daemon=True)
        self._streams = session.client("dynamodbstreams")
        self._sqs = session.client("sqs")
        self.stream_arn = stream_arn
        self.handler = handler
        self.function_name = function_name
        self.on_failure_url = on_failure_url
        self.record_filter = record_filter
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.idle_sleep = idle_sleep
        # Lambda's MaximumBatchingWindowInSeconds: a poll at most this often, busy or not.
        self.batching_window = batching_window
        self.stopping = threading.Event()
        self.invocations = 0
        self.failed_records = 0
        self._iterators: dict[str, str | None] = {}
        self._shards: list[dict[str, Any]] = []
        self._shards_listed = float("-inf")
        # True once a whole poll found nothing new: everything written before it has been handled.
        self.caught_up = False

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.poll_once()
            except Exception as error:  # noqa: BLE001 - a poller must survive to poll again
                print(f"[stream] poll failed: {type(error).__name__}: {error}", flush=True)
                busy = True  # not caught up: the records are still there to read
            self.caught_up = not busy
            if not busy or self.batching_window:
                self.stopping.wait(max(self.idle_sleep, self.batching_window))

    def poll_once(self) -> bool:
        """Read each shard once and process what came; True when there were records."""
        if time.monotonic() - self._shards_listed > SHARD_LIST_SECONDS:
            # Shards change rarely; listing them on every 50 ms poll costs a fifth of a core when idle.
            self._shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"][
                "Shards"
            ]
            self._shards_listed = time.monotonic()
        busy = False
        for shard in self._shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records = [self._lambda_record(r) for r in response.get("Records", [])]
            records = [r for r in records if self.record_filter(r)]
            for start in range(0, len(records), self.batch_size):
                self._deliver(shard_id, records[start : start + self.batch_size])
            busy = busy or bool(response.get("Records"))
        return busy

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        # moto omits eventSourceARN and returns the creation time as a datetime; Lambda sends epoch seconds.
        dynamodb = dict(record["dynamodb"])
        if "ApproximateCreationDateTime" in dynamodb:
            dynamodb["ApproximateCreationDateTime"] = _epoch(dynamodb["ApproximateCreationDateTime"])
        return {
            **record,
            "dynamodb": dynamodb,
            "eventSourceARN": self.stream_arn,
            "awsRegion": "ap-southeast-3",
        }

    def _invoke(self, records: list[dict[str, Any]]) -> list[str]:
        """One invocation; the sequence numbers the handler reports as failed."""
        self.invocations += 1
        try:
            result = invoke(self.handler, {"Records": records}, function_name=self.function_name) or {}
            return [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
        except Exception as error:  # noqa: BLE001 - an unhandled error fails the whole batch, as in Lambda
            print(f"[stream] handler error: {type(error).__name__}", flush=True)
            return [r["dynamodb"]["SequenceNumber"] for r in records]

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        pending = batch
        while pending:
            failures = set(self._invoke(pending))
            if not failures:
                return
            # Records before the first failure are done (Lambda checkpoints there); the failing record
            # is retried alone — bisecting down to it — so one poison pill never holds back the others.
            first = next(i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failures)
            head, pending = pending[first], pending[first + 1 :]
            for attempt in range(1, self.max_retries + 1):
                self._retry_sleep(attempt)
                if not self._invoke([head]):
                    break
            else:
                self._send_to_failure_queue(shard_id, [head])

    def _retry_sleep(self, attempt: int) -> None:
        self.stopping.wait(min(0.05 * 2**attempt, 1.0))

    def _send_to_failure_queue(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        self.failed_records += len(records)
        sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
        message = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.function_name},
            "responseContext": {"statusCode": 200},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": sequence[0],
                "endSequenceNumber": sequence[-1],
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self.on_failure_url, MessageBody=json.dumps(message))
        print(f"[stream] {len(records)} record(s) sent to the on-failure queue", flush=True)


class QueuePoller(threading.Thread):
    """Receives SQS batches and invokes the handler as Lambda's SQS integration does.

    Messages the handler reports in ``batchItemFailures`` are left on the queue: they reappear after
    the visibility timeout and, past the redrive policy's receive count, SQS moves them to the DLQ.
    """

    def __init__(
        self,
        *,
        session: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        function_name: str,
        batch_size: int = 10,
    ) -> None:
        super().__init__(name="queue-poller", daemon=True)
        self._sqs = session.client("sqs")
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.handler = handler
        self.function_name = function_name
        self.batch_size = batch_size
        self.stopping = threading.Event()
        self.invocations = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception as error:  # noqa: BLE001 - a poller must survive to poll again
                print(f"[queue] poll failed: {type(error).__name__}: {error}", flush=True)
                self.stopping.wait(0.5)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and process it; the number of messages received."""
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        records = [self._lambda_record(m) for m in messages]
        self.invocations += 1
        try:
            result = invoke(self.handler, {"Records": records}, function_name=self.function_name) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as error:  # noqa: BLE001 - an unhandled error returns the whole batch to the queue
            print(f"[queue] handler error: {type(error).__name__}", flush=True)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": "ap-southeast-3",
        }


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A ReceiveMessage attribute (``StringValue``, ``DataType``) as Lambda's SQS event spells it."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType", "String"),
    }


class S3EventPoller(QueuePoller):
    """Invokes a function with S3 event notifications, as S3 invokes Lambda (asynchronously).

    moto delivers the bucket's notifications to an SQS queue; each message's body is the very event
    S3 would hand the function (``{"Records": [...]}``). A failed invocation is retried, as Lambda
    retries an asynchronous one twice, then dropped with a line in the log. S3's ``s3:TestEvent``
    (sent to queues, never to functions) is skipped.
    """

    max_attempts = 3

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive messages and invoke the function once per S3 event; the number received."""
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            done = True
            if "Records" in event:
                self.invocations += 1
                try:
                    invoke(self.handler, event, function_name=self.function_name, timeout_seconds=60)
                except Exception as error:  # noqa: BLE001 - an asynchronous invocation failed: retry it
                    receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                    done = receives >= self.max_attempts
                    print(f"[s3-events] invocation failed ({receives}): {type(error).__name__}", flush=True)
            if done:
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


class Schedule(threading.Thread):
    """Invokes a handler every ``interval`` seconds with a scheduled event, like EventBridge Scheduler."""

    def __init__(self, *, handler: Handler, function_name: str, interval: float) -> None:
        super().__init__(name="schedule", daemon=True)
        self.handler = handler
        self.function_name = function_name
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                invoke(
                    self.handler,
                    {"source": "aws.scheduler", "detail-type": "Scheduled Event"},
                    function_name=self.function_name,
                    timeout_seconds=60,
                )
            except Exception as error:  # noqa: BLE001 - the next tick tries again
                print(f"[schedule] run failed: {type(error).__name__}: {error}", flush=True)
