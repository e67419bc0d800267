"""(d) DynamoDB requests per report from submit through dispatch, counted at the shared client.

In-process moto and the real handlers, invoked the way the local stack invokes them: intake with an
API Gateway event, route with stream batches read by the local stream poller, notify with queue
batches. A botocore ``before-call`` hook on ``lapor.aws.client("dynamodb")`` (the client every
repository and the idempotency layer share) counts each request by phase and operation. The event
source mappings' own reads (GetRecords, ReceiveMessage) are Lambda's, not the functions', and use
other clients, so they are not counted. moto's transactions are backed up item by item
(``local.moto_patches``, as the local stack does), which changes their speed, not what is requested.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from contextlib import ExitStack
from typing import Any

from bench.environment import progress, start_moto_pipeline
from bench.figures import Figure
from bench.options import Options
from bench.payloads import report_body
from local.moto_patches import item_level_transaction_backups

NAME = "dynamodb_requests"
TARGET_PER_REPORT = 6.0


class RequestCounter:
    """Counts DynamoDB requests per (phase, operation)."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.counts: Counter[tuple[str, str]] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[(self.phase, model.name)] += 1

    def of(self, phase: str) -> dict[str, int]:
        return {op: n for (p, op), n in sorted(self.counts.items()) if p == phase}


def _submit(handler: Any, n: int) -> str:
    from local.gateway import proxy_event
    from local.lambda_runtime import LambdaContext

    body = json.dumps(report_body(n, reporter_email=f"warga{n}@contoh.id" if n % 2 else None)).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    event = proxy_event("POST", "/reports", "", headers, body, resource="/reports", params={}, claims=None)
    response = handler(event, LambdaContext(function_name="lapor-intake"))
    if response["statusCode"] != 201:
        raise RuntimeError(f"POST /reports answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])["id"]


def _drain(poll: Any) -> None:
    while poll():
        pass


def run(options: Options) -> list[Figure]:
    """Requests per report by phase (intake, route) and by operation; notify's per report as information."""
    with ExitStack() as cleanup:
        pipeline = start_moto_pipeline()
        cleanup.callback(pipeline.stop)
        cleanup.enter_context(item_level_transaction_backups())  # as the local stack does
        import intake_app
        import notify_app
        import route_app

        from lapor.aws import client as aws_client
        from local.pollers import QueuePoller, StreamPoller

        resources = pipeline.resources
        stream = StreamPoller(
            session=pipeline.session,
            stream_arn=resources.reports_stream_arn,
            handler=route_app.lambda_handler,
            function_name="lapor-route",
            on_failure_url=resources.route_failures_url,
        )
        queue = QueuePoller(
            session=pipeline.session,
            queue_url=resources.notify_queue_url,
            queue_arn=resources.notify_queue_arn,
            handler=notify_app.lambda_handler,
            function_name="lapor-notify",
        )
        counter = RequestCounter()
        aws_client("dynamodb").meta.events.register("before-call.dynamodb", counter)

        def cycle(n: int) -> None:
            counter.phase = "intake"
            _submit(intake_app.lambda_handler, n)
            counter.phase = "route"
            _drain(stream.poll_once)  # the INSERT (dispatch), then the MODIFY carrying the outbox (relay)
            counter.phase = "notify"
            _drain(lambda: queue.poll_once(wait_seconds=0))

        progress(NAME, "warm-up report (cold caches: directory, clients)")
        cycle(0)
        counter.counts.clear()
        reports = options.requests_reports
        progress(NAME, f"{reports} reports, each submitted, dispatched and notified in turn")
        for n in range(1, reports + 1):
            cycle(n)
        if stream.failed_records:
            raise RuntimeError(f"{stream.failed_records} stream records failed")

    intake, route, notify = counter.of("intake"), counter.of("route"), counter.of("notify")

    def per_report(ops: dict[str, int]) -> str:
        return ", ".join(f"{op} {count / reports:.2f}" for op, count in ops.items()) or "none"

    through_dispatch = (sum(intake.values()) + sum(route.values())) / reports
    return [
        Figure(
            NAME,
            "requests per report, submit through dispatch",
            through_dispatch,
            "requests",
            target=TARGET_PER_REPORT,
            note=f"intake: {per_report(intake)}; route: {per_report(route)}",
            detail={"reports": reports, "intake": intake, "route": route},
        ),
        Figure(NAME, "  of which intake (POST /reports)", sum(intake.values()) / reports, "requests"),
        Figure(NAME, "  of which route (dispatch + outbox relay)", sum(route.values()) / reports, "requests"),
        Figure(
            NAME,
            "notify requests per report (information)",
            sum(notify.values()) / reports,
            "requests",
            note=f"notify: {per_report(notify)} (each email/SMS: claim, then mark sent)",
            detail={"notify": notify},
        ),
    ]
