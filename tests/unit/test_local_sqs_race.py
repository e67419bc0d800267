"""moto's SQS backend loses a message sent while two deletes overlap; the local stack must not.

moto's ``Queue.delete_message`` rebuilds the queue's message list from the list it started with and
then assigns it, outside the lock that ``add_message`` takes. When two deletes overlap, the second
assigns a list built before the first finished, and a message added in between is gone: no error,
no DLQ, nothing in flight. That is how one assignment message in 2,000 vanished under CPU contention
(issue 19). ``local.moto_patches.sqs_queue_changes_under_lock`` makes every change of a queue's
message list hold the queue's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_patches import sqs_queue_changes_under_lock

REGION = "ap-southeast-3"


def _bodies(sqs: Any, url: str) -> list[str]:
    """Every message body now visible on the queue (each received once and left invisible)."""
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        )
        if not messages:
            return sorted(bodies)
        bodies += [m["Body"] for m in messages]


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="notify")["QueueUrl"]
        yield sqs, url


def _overlap_two_deletes_with_a_send(sqs: Any, url: str) -> None:
    """Delete X in one thread; while its list rebuild is half done, delete Y and send NEW elsewhere."""
    import moto.sqs.models as sqs_models

    for body in ("X", "Y", "Z"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
    handle = {m["Body"]: m["ReceiptHandle"] for m in received}
    # Z is received, so it is in flight; make it visible again so the final read sees it.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle["Z"], VisibilityTimeout=0)

    first_delete_paused = threading.Event()
    other_side_done = threading.Event()
    paused_once = threading.Event()
    real_had = sqs_models.Message.had_receipt_handle

    def had_receipt_handle(message: Any, receipt_handle: str) -> bool:
        # The first delete pauses inside its rebuild loop (the second pass over the list), giving
        # the other threads the window a busy machine gives them; it waits at most one second.
        if (
            threading.current_thread().name == "delete-x"
            and receipt_handle == handle["X"]
            and message.body == "Z"
            and not paused_once.is_set()
        ):
            paused_once.set()
            first_delete_paused.set()
            other_side_done.wait(1.0)
        return real_had(message, receipt_handle)

    def delete_x() -> None:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle["X"])

    def delete_y_and_send_new() -> None:
        first_delete_paused.wait(5)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle["Y"])
        sqs.send_message(QueueUrl=url, MessageBody="NEW")
        other_side_done.set()

    sqs_models.Message.had_receipt_handle = had_receipt_handle  # type: ignore[method-assign]
    try:
        threads = [
            threading.Thread(target=delete_x, name="delete-x"),
            threading.Thread(target=delete_y_and_send_new, name="delete-y-send-new"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        sqs_models.Message.had_receipt_handle = real_had  # type: ignore[method-assign]
    assert paused_once.is_set()


def test_moto_alone_loses_the_message_sent_between_overlapping_deletes(queue):
    # Given moto's own SQS backend, when two deletes overlap with a send
    sqs, url = queue
    with nullcontext():
        _overlap_two_deletes_with_a_send(sqs, url)
    # Then the message sent in between is gone (and the second delete is undone): moto's race,
    # kept here as the reproduction that the patch below is measured against
    assert "NEW" not in _bodies(sqs, url)


def test_local_stack_keeps_every_message_sent_between_overlapping_deletes(queue):
    # Given the local stack's patch, when the same two deletes overlap with the same send
    sqs, url = queue
    with sqs_queue_changes_under_lock():
        _overlap_two_deletes_with_a_send(sqs, url)
        # Then the queue holds exactly what it should: Z and the new message, X and Y deleted
        assert _bodies(sqs, url) == ["NEW", "Z"]
