"""``redrive-dlq``: move notifications from the notify dead-letter queue back to the notify queue."""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ops.command import FAILED, OK, Command, Console, OpsError
from ops.targets import (
    LOCAL_PREFIX,
    OUTPUT_NOTIFY_DLQ,
    OUTPUT_NOTIFY_QUEUE,
    AwsTarget,
    add_connection_arguments,
    require_output,
    stack_outputs,
)

BATCH = 10  # SQS receive/send/delete batch limit
# Long enough to send and delete a batch; a message whose move fails reappears in the DLQ after it.
RECEIVE_VISIBILITY_SECONDS = 60
_ATTRIBUTE_KEYS = ("DataType", "StringValue", "BinaryValue")


@dataclass
class RedriveResult:
    """What a redrive did."""

    moved: int = 0
    failed: list[str] = field(default_factory=list)  # message ids left in the DLQ
    came_back: int = 0  # messages seen twice in this run: they failed again after being moved


def redrive(
    sqs: Any,
    *,
    dlq_url: str,
    queue_url: str,
    max_messages: int | None,
    console: Console,
    wait_seconds: int = 1,
) -> RedriveResult:
    """Receive from the DLQ, send to the queue, delete from the DLQ, ten at a time.

    A message is deleted from the DLQ only after the queue accepted it, so a crash can duplicate a
    message but never lose one; notify sends each notification id once, so duplicates are harmless.
    A message that lands in the DLQ again during the run is left there and the run stops.
    """
    result = RedriveResult()
    moved_bodies: set[str] = set()
    while max_messages is None or result.moved < max_messages:
        want = BATCH if max_messages is None else min(BATCH, max_messages - result.moved)
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=want,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        fresh = []
        for message in messages:
            if _fingerprint(message) in moved_bodies:
                result.came_back += 1
                # Make it visible again at once: it stays in the DLQ for inspection.
                sqs.change_message_visibility(
                    QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                fresh.append(message)
        if fresh:
            moved = _move_batch(sqs, fresh, dlq_url=dlq_url, queue_url=queue_url, result=result)
            moved_bodies.update(_fingerprint(m) for m in moved)
            console.progress(f"moved {result.moved} message(s) so far")
        if result.came_back:
            break
    return result


def _move_batch(
    sqs: Any, messages: list[dict[str, Any]], *, dlq_url: str, queue_url: str, result: RedriveResult
) -> list[dict[str, Any]]:
    entries = []
    for i, message in enumerate(messages):
        entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
        attributes = {
            name: {k: v for k, v in value.items() if k in _ATTRIBUTE_KEYS}
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        if attributes:
            entry["MessageAttributes"] = attributes
        entries.append(entry)
    response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    sent = [messages[int(e["Id"])] for e in response.get("Successful", [])]
    result.failed += [messages[int(e["Id"])]["MessageId"] for e in response.get("Failed", [])]
    if sent:
        deleted = sqs.delete_message_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(sent)],
        )
        # Not deleted means it will reappear in the DLQ: a later redrive moves a duplicate, which
        # notify skips. It was moved all the same.
        for failure in deleted.get("Failed", []):
            result.failed.append(
                f"{sent[int(failure['Id'])]['MessageId']} (sent, but not deleted from the DLQ)"
            )
    result.moved += len(sent)
    return sent


def _fingerprint(message: dict[str, Any]) -> str:
    return hashlib.sha256(message["Body"].encode()).hexdigest()


def _approximate_count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


# ---- the command ----------------------------------------------------------------------------------


def _configure(parser: argparse.ArgumentParser) -> None:
    which = parser.add_argument_group("queues (--stack, or --queue-url with --dlq-url, or --local)")
    which.add_argument(
        "--stack",
        metavar="NAME",
        help=f"deployed stack; its {OUTPUT_NOTIFY_QUEUE} and {OUTPUT_NOTIFY_DLQ} outputs name the queues",
    )
    which.add_argument("--queue-url", metavar="URL", help="the notify queue (destination)")
    which.add_argument("--dlq-url", metavar="URL", help="the notify dead-letter queue (source)")
    parser.add_argument(
        "--max", type=int, metavar="N", dest="max_messages", help="move at most N messages (default: all)"
    )
    add_connection_arguments(
        parser,
        local_help=f"the local stack's queues ({LOCAL_PREFIX}-notify and {LOCAL_PREFIX}-notify-dlq)",
    )


def _queues(args: argparse.Namespace, target: AwsTarget, sqs: Any, console: Console) -> tuple[str, str]:
    explicit = bool(args.queue_url or args.dlq_url)
    chosen = sum([bool(args.stack), explicit, bool(args.local)])
    if chosen != 1:
        raise OpsError(
            "name the queues one way: --stack NAME, --queue-url URL --dlq-url URL, or --local", exit_code=2
        )
    if explicit:
        if not (args.queue_url and args.dlq_url):
            raise OpsError("--queue-url and --dlq-url go together", exit_code=2)
        return args.queue_url, args.dlq_url
    if args.stack:
        console.progress(f"reading the outputs of stack {args.stack} in {target.describe()}")
        outputs = stack_outputs(target, args.stack)
        return (
            require_output(outputs, OUTPUT_NOTIFY_QUEUE, args.stack),
            require_output(outputs, OUTPUT_NOTIFY_DLQ, args.stack),
        )
    return (
        sqs.get_queue_url(QueueName=f"{LOCAL_PREFIX}-notify")["QueueUrl"],
        sqs.get_queue_url(QueueName=f"{LOCAL_PREFIX}-notify-dlq")["QueueUrl"],
    )


def _run(args: argparse.Namespace, console: Console) -> int:
    if args.max_messages is not None and args.max_messages < 1:
        raise OpsError("--max must be at least 1", exit_code=2)
    target = AwsTarget.from_args(args)
    sqs = target.client("sqs")
    queue_url, dlq_url = _queues(args, target, sqs, console)
    waiting = _approximate_count(sqs, dlq_url)
    limit = "all" if args.max_messages is None else f"up to {args.max_messages}"
    console.progress(f"the DLQ holds about {waiting} message(s); moving {limit} to {queue_url}")
    result = redrive(
        sqs, dlq_url=dlq_url, queue_url=queue_url, max_messages=args.max_messages, console=console
    )
    console.result(f"moved {result.moved} message(s) from {dlq_url} to {queue_url}")
    if result.moved:
        console.result(
            "Notify sends each notification id once, so messages that had already gone out are skipped."
        )
    if result.came_back:
        console.problem(
            f"{result.came_back} message(s) failed again and returned to the DLQ during this run; "
            "stopped. Check the notify function's logs before redriving again."
        )
    for failure in result.failed:
        console.problem(f"not moved: {failure}")
    return FAILED if result.failed or result.came_back else OK


REDRIVE_DLQ = Command(
    name="redrive-dlq",
    help="move notifications from the notify DLQ back to the notify queue",
    description=(
        "Move messages from the notify dead-letter queue back to the notify queue (receive, send, then "
        "delete, ten at a time), after the cause of the failures is fixed. Safe to repeat: notify sends "
        "each notification id once."
    ),
    configure=_configure,
    run=_run,
    epilog=(
        "examples:\n"
        "  python -m ops redrive-dlq --stack Lapor-prod\n"
        "  python -m ops redrive-dlq --queue-url URL --dlq-url URL --max 100\n"
        "  python -m ops redrive-dlq --local"
    ),
)
