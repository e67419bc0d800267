"""(d) DynamoDB requests per report, through dispatch and over its whole life, counted at the shared client.

A report's life here: submitted (with an Idempotency-Key), dispatched, its messages sent, tracked
once by the reporter, verified, responded to and completed by its assignee (each change relayed and
its messages sent), and accepted by the reporter, which closes it.

In-process moto and the real handlers, invoked the way the local stack invokes them: intake with an
API Gateway event, route with stream batches read by the local stream poller, notify with queue
batches. A botocore ``before-call`` hook on ``lapor.adapters.aws.client("dynamodb")`` (the client every
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
from bench.report_cost import UsageMeter, cost_figures, memory_by_function
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


def _call(
    handler: Any,
    method: str,
    path: str,
    resource: str,
    params: dict[str, str],
    body: dict[str, Any] | None = None,
    *,
    claims: dict[str, Any] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    """One API request, as API Gateway would invoke intake with it; the decoded answer."""
    from local.gateway import proxy_event
    from local.lambda_runtime import LambdaContext

    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    data = json.dumps(body).encode() if body is not None else b""
    event = proxy_event(method, path, "", headers, data, resource=resource, params=params, claims=claims)
    response = handler(event, LambdaContext(function_name="lapor-intake"))
    if response["statusCode"] != expect:
        raise RuntimeError(f"{method} {path} answered {response['statusCode']}: {response['body']}")
    return json.loads(response["body"])


def _submit(handler: Any, n: int) -> dict[str, Any]:
    body = report_body(n, reporter_email=f"warga{n}@contoh.id")
    return _call(handler, "POST", "/reports", "/reports", {}, body, expect=201)


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
        import tally_app

        from lapor.adapters.aws import client as aws_client
        from lapor.adapters.schema import ALL_TABLES
        from local.pollers import QueuePoller, StreamPoller, matches_report_filter

        resources = pipeline.resources
        names = resources.names
        physical = {
            "Reports": names.reports_table,
            "Directory": names.directory_table,
            "Idempotency": names.idempotency_table,
            "Aggregates": names.aggregates_table,
        }
        meter = UsageMeter(
            {
                physical[spec.logical_id]: [
                    (tuple(k.name for k in (i.partition_key, i.sort_key) if k), i.projection == "ALL")
                    for i in spec.indexes
                ]
                for spec in ALL_TABLES
            }
        )
        meter.install()
        stream = StreamPoller(
            session=pipeline.session,
            stream_arn=resources.reports_stream_arn,
            handler=meter.wrap("route", route_app.lambda_handler),
            function_name="lapor-route",
            on_failure_url=resources.route_failures_url,
        )
        # The statistics tally reads the same stream through its own filter (a second event source).
        tally = StreamPoller(
            session=pipeline.session,
            stream_arn=resources.reports_stream_arn,
            handler=meter.wrap("tally", tally_app.lambda_handler),
            function_name="lapor-tally",
            on_failure_url=resources.tally_failures_url,
            record_filter=matches_report_filter,
            batch_size=100,
        )
        queue = QueuePoller(
            session=pipeline.session,
            queue_url=resources.notify_queue_url,
            queue_arn=resources.notify_queue_arn,
            handler=meter.wrap("notify", notify_app.lambda_handler),
            function_name="lapor-notify",
        )
        counter = RequestCounter()
        aws_client("dynamodb").meta.events.register("before-call.dynamodb", counter)

        from lapor.services import Services
        from lapor.settings import Settings

        reports_table = Services(Settings.from_env()).reports
        intake = meter.wrap("intake", intake_app.lambda_handler)

        def phase(name: str) -> None:
            counter.phase = meter.phase = name

        def deliver(after: str) -> None:
            phase(f"route after {after}")
            _drain(stream.poll_once)  # an INSERT (dispatch), a MODIFY carrying an outbox (relay)
            phase(f"tally after {after}")
            _drain(tally.poll_once)
            phase(f"notify after {after}")
            _drain(lambda: queue.poll_once(wait_seconds=0))

        def lifecycle(n: int) -> None:
            phase("intake")
            created = _submit(intake, n)
            code, receipt = created["id"], created["receipt"]
            deliver("submit")
            phase("setup")  # the bench's own read, to act as the assignee: not counted
            report = reports_table.get(code)
            if report is None or report.assignee is None:
                raise RuntimeError(f"{code} was not dispatched to an official")
            claims = {"custom:official_id": report.assignee, "token_use": "id"}
            phase("track")
            _call(intake, "GET", f"/reports/{code}", "/reports/{report_id}", {"report_id": code})
            for action in ("verify", "respond", "complete"):
                phase(f"official: {action}")
                path = f"/reports/{code}/actions"
                body = {"action": action, "note": f"{action} (bench)"}
                _call(
                    intake,
                    "POST",
                    path,
                    "/reports/{report_id}/actions",
                    {"report_id": code},
                    body,
                    claims=claims,
                )
                deliver(action)
            phase("reporter: accept")
            body = {"receipt": receipt, "action": "accept", "rating": 5}
            answer = _call(
                intake,
                "POST",
                f"/reports/{code}/feedback",
                "/reports/{report_id}/feedback",
                {"report_id": code},
                body,
            )
            if answer["status"] != "closed":
                raise RuntimeError(f"{code} is {answer['status']} after the reporter accepted")
            deliver("accept")

        progress(NAME, "warm-up report (cold caches: directory, clients)")
        lifecycle(0)
        counter.counts.clear()
        meter.reset()
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        from bench.environment import REGION

        emails_before = len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)
        sms_before = len(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)
        reports = options.requests_reports
        progress(NAME, f"{reports} reports, each taken from submission to closed in turn")
        for n in range(1, reports + 1):
            lifecycle(n)
        if stream.failed_records or tally.failed_records:
            raise RuntimeError(f"{stream.failed_records + tally.failed_records} stream records failed")
        emails = len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) - emails_before
        sms_texts = [
            text
            for _, text in list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())[sms_before:]
        ]
        costs = cost_figures(
            meter,
            reports,
            memory_mb=memory_by_function(),
            api_calls=sum(n for (_, fn), n in meter.invocations.items() if fn == "intake"),
            emails=emails,
            sms=sms_texts,
        )

    intake, route, notify = (
        counter.of("intake"),
        counter.of("route after submit"),
        counter.of("notify after submit"),
    )
    phases = sorted({p for p, _ in counter.counts} - {"setup"}, key=_phase_order)
    by_phase = {p: sum(counter.of(p).values()) / reports for p in phases}
    lifetime = sum(by_phase.values())
    operations: Counter[str] = Counter()
    for (phase, op), n in counter.counts.items():
        if phase != "setup":
            operations[op] += n

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
            "notify requests per report for its first messages",
            sum(notify.values()) / reports,
            "requests",
            note=f"notify: {per_report(notify)} (each email/SMS: claim, then mark sent)",
            detail={"notify": notify},
        ),
        Figure(
            NAME,
            "requests per report over its whole life (submit to closed)",
            lifetime,
            "requests",
            note="; ".join(f"{p} {n:.1f}" for p, n in by_phase.items()),
            detail={
                "phases_per_report": {p: round(n, 2) for p, n in by_phase.items()},
                "operations_per_report": {op: round(n / reports, 2) for op, n in sorted(operations.items())},
            },
        ),
        Figure(NAME, "  by operation", None, "", note=per_report(dict(sorted(operations.items())))),
        *costs,
    ]


def _phase_order(phase: str) -> tuple[int, int]:
    """Phases in the order a report lives them: each request, its relay, its tally, then its messages."""
    steps = ["intake", "submit", "track", "verify", "respond", "complete", "accept"]
    step = next((i for i, name in enumerate(steps) if name in phase), len(steps))
    after = ("route", "tally", "notify")
    return step, next((i + 1 for i, name in enumerate(after) if phase.startswith(name)), 0)
