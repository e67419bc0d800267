"""The notify queue: outbound messages are enqueued here and sent by the notify function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lapor.adapters.aws import client as aws_client
from lapor.domain.messages import Notification

_BATCH = 10  # SQS SendMessageBatch limit
# How often a message was re-enqueued while the sender identity awaited verification.
DEFERRALS_ATTRIBUTE = "deferrals"


class EnqueueFailed(RuntimeError):
    """Some messages could not be enqueued; the caller's retry re-sends them (ids make that safe)."""


class NotifyQueue:
    """Sends notifications to the notify queue in batches."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> Any:
        """The SQS client, created on first use."""
        if self._client is None:
            self._client = aws_client("sqs")
        return self._client

    def send(self, notifications: Sequence[Notification]) -> None:
        """Enqueue every notification or raise EnqueueFailed naming the ones that did not go."""
        failed: list[str] = []
        for start in range(0, len(notifications), _BATCH):
            chunk = notifications[start : start + _BATCH]
            response = self.client.send_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "MessageBody": n.model_dump_json()} for i, n in enumerate(chunk)],
            )
            failed += [chunk[int(entry["Id"])].id for entry in response.get("Failed", [])]
        if failed:
            raise EnqueueFailed(f"{len(failed)} notifications not enqueued: {', '.join(failed)}")

    def requeue(self, notification: Notification, *, delay_seconds: int, deferrals: int) -> None:
        """Enqueue ``notification`` again as a new message, visible after ``delay_seconds`` (≤ 900).

        ``deferrals`` rides along as a message attribute, so the waiting is bounded across copies.
        """
        self.client.send_message(
            QueueUrl=self.url,
            MessageBody=notification.model_dump_json(),
            DelaySeconds=delay_seconds,
            MessageAttributes={DEFERRALS_ATTRIBUTE: {"DataType": "Number", "StringValue": str(deferrals)}},
        )

    def delay(self, receipt_handle: str, seconds: int) -> None:
        """Keep a received message invisible for ``seconds`` (retry backoff for a failed delivery)."""
        self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
