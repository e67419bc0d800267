"""(b) Warm ``POST /reports`` handler time in-process on moto, against a bare ``put_item`` on the same moto.

Both run against the same in-process moto, so the ratio says how much the handler adds on top of
the one write a report needs at minimum. Tables are kept at a steady size: each call's items are
deleted and the table's stream records dropped (untimed) before the next. moto deep-copies every
table a transaction touches, stream records included, to roll back on failure; without the
clean-up each TransactWriteItems would be slower than the one before and the figure would measure
moto's growing copy, not the handler (the local stack avoids those copies with ``local.moto_patches``;
here they stay, on a table kept small). A bare TransactWriteItems of the same report and event items
is measured the same way: the floor of what the handler must do on moto.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.environment import REGION, progress, start_moto_pipeline
from bench.figures import Figure, percentile
from bench.options import Options
from bench.payloads import report_body

NAME = "warm_intake"
TARGET_RATIO = 4.0


def _event(n: int, *, idempotency_key: bool) -> dict[str, Any]:
    from local.gateway import proxy_event

    headers = {"Content-Type": "application/json", "User-Agent": "lapor-bench"}
    if idempotency_key:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    body = json.dumps(report_body(n, reporter_email=f"warga{n}@contoh.id" if n % 2 else None)).encode()
    return proxy_event("POST", "/reports", "", headers, body, resource="/reports", params={}, claims=None)


class Cleaner:
    """Deletes what one call stored, so every call meets tables of the same size."""

    def __init__(self, dynamodb: Any, resources: Any) -> None:
        self.dynamodb = dynamodb
        self.reports = resources.names.reports_table
        self.idempotency = resources.names.idempotency_table

    def report(self, report_id: str) -> None:
        items = self.dynamodb.query(
            TableName=self.reports,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"REPORT#{report_id}"}},
            ProjectionExpression="pk, sk",
        )["Items"]
        for item in items:
            self.dynamodb.delete_item(TableName=self.reports, Key=item)
        self.stream_records()

    def stream_records(self) -> None:
        """Drop the reports table's stream records (nothing reads the stream here)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[self.reports]
        if table.stream_shard is not None:
            table.stream_shard.items.clear()

    def idempotency_records(self) -> None:
        for item in self.dynamodb.scan(TableName=self.idempotency, ProjectionExpression="id")["Items"]:
            self.dynamodb.delete_item(TableName=self.idempotency, Key=item)


class CallTimer:
    """Time spent inside DynamoDB calls (botocore before-call to after-call) and how many there were."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0

    def before(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def after(self, context: dict[str, Any], **_: Any) -> None:
        started = context.get("bench_started")
        if started is not None:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def run(options: Options) -> list[Figure]:
    """p50/p99 of the handler with and without Idempotency-Key, of a bare put_item and of a bare transaction."""
    pipeline = start_moto_pipeline()
    try:
        import intake_app

        from lapor.adapters.aws import client as aws_client
        from local.lambda_runtime import LambdaContext

        dynamodb = aws_client("dynamodb")
        timer = CallTimer()
        dynamodb.meta.events.register("before-call.dynamodb", timer.before)
        dynamodb.meta.events.register("after-call.dynamodb", timer.after)
        cleaner = Cleaner(pipeline.session.client("dynamodb"), pipeline.resources)
        table = pipeline.resources.names.reports_table

        def post(keyed: bool) -> Callable[[int], str]:
            def call(n: int) -> str:
                response = intake_app.lambda_handler(
                    _event(n, idempotency_key=keyed), LambdaContext(function_name="lapor-intake")
                )
                if response.get("statusCode") != 201:
                    raise RuntimeError(
                        f"POST /reports answered {response.get('statusCode')}: {response.get('body')}"
                    )
                return json.loads(response["body"])["id"]

            return call

        def forget(report_id: str) -> None:
            cleaner.report(report_id)
            cleaner.idempotency_records()

        warmup, calls = options.intake_warmup, options.intake_calls
        sample_id = post(False)(0)  # one stored report gives the baselines' items
        items = {
            item["sk"]["S"]: item
            for item in dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"REPORT#{sample_id}"}},
            )["Items"]
        }
        forget(sample_id)
        report_item = items.pop("REPORT")
        event_item = next(iter(items.values()))

        def put(n: int) -> str:
            dynamodb.put_item(TableName=table, Item={**report_item, "pk": {"S": f"REPORT#BENCH{n}"}})
            return f"BENCH{n}"

        def transact(n: int) -> str:
            pk = {"S": f"REPORT#BENCH{n}"}
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {**report_item, "pk": pk},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": table, "Item": {**event_item, "pk": pk}}},
                ]
            )
            return f"BENCH{n}"

        subjects: dict[str, tuple[Callable[[int], str], Callable[[str], None]]] = {
            "keyed": (post(True), forget),
            "unkeyed": (post(False), forget),
            "put": (put, cleaner.report),
            "transact": (transact, cleaner.report),
        }
        progress(
            NAME,
            f"warm-up: {warmup} rounds; then {calls} rounds of: POST /reports with an Idempotency-Key (as the "
            f"web app sends), without one, a bare put_item of the report item ({len(json.dumps(report_item))} "
            "bytes as JSON) and a bare transact_write_items of the report and its event",
        )
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        outside: list[float] = []  # keyed POST minus its time inside DynamoDB calls
        calls_per_post: list[int] = []
        for round_ in range(-warmup, calls):
            # Interleaved, so a change in background load affects every subject alike.
            for name, (call, cleanup) in subjects.items():
                timer.reset()
                start = time.perf_counter()
                result = call(round_)
                elapsed = (time.perf_counter() - start) * 1000
                inside_ms, inside_calls = timer.seconds * 1000, timer.calls
                cleanup(result)
                if round_ >= 0:
                    samples[name].append(elapsed)
                    if name == "keyed":
                        outside.append(elapsed - inside_ms)
                        calls_per_post.append(inside_calls)
            if round_ > 0 and round_ % 100 == 0:
                progress(NAME, f"{round_}/{calls} rounds")
        keyed, unkeyed, puts, transactions = (samples[k] for k in ("keyed", "unkeyed", "put", "transact"))
    finally:
        pipeline.stop()

    put50, put99 = percentile(puts, 50), percentile(puts, 99)
    tx50 = percentile(transactions, 50)
    figures = [
        Figure(NAME, "bare put_item p50 (baseline)", put50, "ms", detail={"calls": calls}),
        Figure(NAME, "bare put_item p99", put99, "ms"),
        Figure(
            NAME,
            "bare transact_write_items p50 (report + event)",
            tx50,
            "ms",
            ratio=tx50 / put50,
            ratio_of="bare put_item p50",
            note="the handler's own write, without the handler: the floor on moto",
        ),
    ]
    for label, sample, p, target in (
        ("POST /reports p50", keyed, 50, TARGET_RATIO),
        ("POST /reports p99", keyed, 99, None),
        ("POST /reports p50, no Idempotency-Key", unkeyed, 50, None),
    ):
        value = percentile(sample, p)
        figures.append(
            Figure(
                NAME,
                label,
                value,
                "ms",
                target=target,
                target_applies_to="ratio",
                ratio=value / (put99 if p == 99 else put50),
                ratio_of=f"bare put_item p{p}",
                detail={"calls": calls, "warmup": warmup, "ratio_to_bare_transaction_p50": value / tx50},
            )
        )
    figures.append(
        Figure(
            NAME,
            "POST /reports p50 outside its DynamoDB calls",
            percentile(outside, 50),
            "ms",
            note=(
                f"{percentile(calls_per_post, 50):.0f} DynamoDB call(s) per POST with a key (the report, "
                "its event and the key's record in one transaction); the rest is the resolver, "
                "validation, logging and the response"
            ),
        )
    )
    return figures
