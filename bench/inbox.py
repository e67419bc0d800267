"""(h) GET /inbox for an agency with N open reports, under each scope: p50/p95 and DynamoDB requests per call.

In-process moto and the real intake handler, invoked with API Gateway events carrying the
authorizer's claims. KEMENKES gets N open reports (a tenth overdue, the rest due in the coming days),
assigned in turn to its two liaisons, each escalated to its supervisor and copied to KSP; their
inbox entries and per-scope counters are written in the shape the repository writes them
(``lapor.adapters.repository``), in bulk. Each scope is then asked ``calls`` times by an official who
reads it: the agency's and "mine" by a liaison, "escalated" by the supervisor, "copies" by KSP.

The target is the design's: the same number of DynamoDB requests per call at both sizes (every call
is one Query of the counters, one COUNT Query of the overdue index and one Query of the page).
Requests to the reports table are counted; the warm function's re-read of the directory, once a
minute, is not an inbox cost.
Wall time on moto is not DynamoDB's: moto evaluates a GSI Query by scanning every item of the table,
so its latency grows with the table on moto only.
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.environment import progress, start_moto_pipeline
from bench.figures import Figure, percentile
from bench.moto_patches import unchecked_item_sizes
from bench.options import Options

NAME = "inbox"
BATCH = 25
CALLERS = {
    "agency": "kemenkes-lo1",
    "mine": "kemenkes-lo1",
    "escalated": "kemenkes-sup",
    "copies": "ksp-admin",
}
QUERIES = {  # extra filters measured at each size besides the plain scopes
    "agency, status=verified": ("kemenkes-lo1", "scope=agency&status=verified"),
    "agency, overdue=true": ("kemenkes-lo1", "scope=agency&overdue=true"),
    "agency, sort=-created": ("kemenkes-lo1", "scope=agency&sort=-created"),
}


def _reports(count: int, start: int, now: datetime) -> list[Any]:
    from lapor.domain.ids import hash_receipt, new_receipt, new_report_id
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import Deadlines, Report, ReportKind

    receipt = hash_receipt(new_receipt())
    reports = []
    for n in range(start, start + count):
        created = now - timedelta(hours=n % 200, minutes=n % 60)
        overdue = n % 10 == 0
        verify_by = now - timedelta(hours=1 + n % 24) if overdue else now + timedelta(hours=2 + n % 96)
        status = Status.VERIFIED if n % 3 == 0 else Status.DISPATCHED
        deadlines = (
            Deadlines(follow_up_by=verify_by, resolve_by=now + timedelta(days=50))
            if status == Status.VERIFIED
            else Deadlines(verify_by=verify_by, resolve_by=now + timedelta(days=50))
        )
        reports.append(
            Report(
                id=new_report_id(),
                kind=ReportKind.COMPLAINT,
                status=status,
                title=f"Antrean puskesmas nomor {n} terlalu lama",
                description="Pasien menunggu lebih dari empat jam di puskesmas kecamatan.",
                category="kesehatan",
                track="standard",
                agency="KEMENKES",
                assignee="kemenkes-lo1" if n % 2 else "kemenkes-lo2",
                escalated_to=["kemenkes-sup"],
                copied_to=["KSP"],
                receipt_hash=receipt,
                created_at=created,
                updated_at=created,
                deadlines=deadlines,
            )
        )
    return reports


def _load(repository: Any, loader: Any, reports: list[Any]) -> None:
    """Entries in bulk (BatchWriteItem) and the counters as the transactions would have summed them."""
    from collections import Counter

    from lapor.adapters.repository import COUNT_PREFIX
    from lapor.domain.inbox import count_changes, entries_of

    items: list[dict[str, Any]] = []
    counters: Counter[tuple[str, str]] = Counter()
    for report in reports:
        items += [repository._entry_item(entry) for entry in entries_of(report).values()]
        counters.update(count_changes(None, report))
    table = repository.table
    with unchecked_item_sizes():
        for start in range(0, len(items), BATCH):
            pending = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]
            while pending:
                response = loader.batch_write_item(RequestItems={table: pending})
                pending = response.get("UnprocessedItems", {}).get(table, [])
    for (key, status), delta in counters.items():
        loader.update_item(
            TableName=table,
            Key={"pk": {"S": COUNT_PREFIX + key}, "sk": {"S": status}},
            UpdateExpression="ADD n :delta",
            ExpressionAttributeValues={":delta": {"N": str(delta)}},
        )


def _measure(
    handler: Any, who: str, query: str, calls: int, meter: dict[str, int]
) -> tuple[list[float], int, int]:
    """Latencies (ms), requests of the last call, and the items it returned."""
    from local.gateway import proxy_event
    from local.lambda_runtime import LambdaContext

    claims = {"custom:official_id": who, "cognito:username": who}
    latencies: list[float] = []
    requests = items = 0
    for _ in range(calls):
        event = proxy_event("GET", "/inbox", query, {}, b"", resource="/inbox", params={}, claims=claims)
        meter["n"] = 0
        started = time.perf_counter()
        response = handler(event, LambdaContext(function_name="lapor-intake"))
        latencies.append((time.perf_counter() - started) * 1000)
        if response["statusCode"] != 200:
            raise RuntimeError(
                f"GET /inbox?{query} as {who}: {response['statusCode']} {response['body'][:300]}"
            )
        requests = meter["n"]
        items = len(json.loads(response["body"])["items"])
    return latencies, requests, items


def run(options: Options) -> list[Figure]:
    """p50/p95 and requests per call of each scope at the small and the large size."""
    figures: list[Figure] = []
    small, large = options.inbox_sizes
    with ExitStack() as cleanup:
        pipeline = start_moto_pipeline()
        cleanup.callback(pipeline.stop)
        import intake_app

        from lapor.adapters.aws import client as aws_client
        from lapor.adapters.repository import ReportRepository

        resources = pipeline.resources
        dynamodb = aws_client("dynamodb")
        loader = pipeline.session.client("dynamodb")  # not metered
        repository = ReportRepository(
            resources.names.reports_table, resources.names.directory_table, due_shards=8, client=loader
        )
        meter = {"n": 0}
        reports_table = resources.names.reports_table

        def count(params: dict[str, Any], **_: Any) -> None:
            # The inbox's own requests; the directory's re-read (once a minute per warm function) is not.
            if params.get("TableName") == reports_table:
                meter["n"] += 1

        # before-parameter-build sees the API parameters (TableName); before-call only the wire body.
        dynamodb.meta.events.register("before-parameter-build.dynamodb", count)
        now = datetime.now(UTC)
        requests_at: dict[str, dict[int, int]] = {}
        stored = 0
        for size in (small, large):
            progress(NAME, f"N={size:,}: writing {size - stored:,} open KEMENKES reports' inbox entries")
            started = time.perf_counter()
            _load(repository, loader, _reports(size - stored, stored, now))
            stored = size
            progress(NAME, f"N={size:,}: loaded in {time.perf_counter() - started:.0f} s; asking each inbox")
            cases = {scope: (who, f"scope={scope}") for scope, who in CALLERS.items()} | QUERIES
            for name, (who, query) in cases.items():
                _measure(intake_app.lambda_handler, who, query, 1, meter)  # warm: directory, clients
                latencies, requests, items = _measure(
                    intake_app.lambda_handler, who, query, options.inbox_calls, meter
                )
                requests_at.setdefault(name, {})[size] = requests
                p50 = statistics.median(latencies)
                p95 = percentile(latencies, 95)
                progress(NAME, f"N={size:,} {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {requests} requests")
                figures += [
                    Figure(
                        NAME,
                        f"N={size:,} {name}: p50",
                        p50,
                        "ms",
                        detail={"items": items, "calls": len(latencies)},
                    ),
                    Figure(NAME, f"N={size:,} {name}: p95", p95, "ms"),
                ]
        for name, by_size in requests_at.items():
            figures.append(
                Figure(
                    NAME,
                    f"{name}: DynamoDB requests per call at N={large:,}",
                    by_size[large],
                    "requests",
                    target=by_size[small],
                    note=f"target: the same as at N={small:,} ({by_size[small]})",
                    detail={"by_size": {str(k): v for k, v in by_size.items()}},
                )
            )
    return figures
