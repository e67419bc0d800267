"""(e) Cost of one SLA run against N open reports of which 50 are due: it must follow the due, not N.

In-process moto. Reports are written straight into the reports table in its real item shape (the
repository's own ``_report_item`` of a dispatched report, with the id-dependent keys substituted),
all due in the future except 50 whose verify deadline passed. ``lapor.app.sla.run_sla_check`` then runs
once with the shared client, where botocore hooks count every request and sum the ``Count`` and
``ScannedCount`` of each Query (the due index). Sizes grow in one table: each size adds reports,
and 50 freshly due ones (the previous size's due reports were escalated, so they are no longer due).

Wall time on moto is not DynamoDB's: moto evaluates a GSI Query by scanning every item of the table,
so its time grows with N even when the items read do not. As in the local stack, moto backs
transactions up item by item (``local.moto_patches``); moto's own whole-table copies would cost each
of the 50 escalations about 8 s at N=2,000 here. Bulk loading skips moto's item-size check, which
is quadratic in the attribute count (``bench.moto_patches``).
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.environment import DEMO_DIRECTORY, progress, start_moto_pipeline
from bench.figures import Figure
from bench.moto_patches import unchecked_item_sizes
from bench.options import Options
from local.moto_patches import item_level_transaction_backups

NAME = "sla_scan"
BATCH = 25


class QueryMeter:
    """Counts requests by operation and items read by the Queries."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items_read = 0
        self.items_returned = 0

    def before(self, model: Any, **_: Any) -> None:
        self.requests[model.name] += 1

    def after_query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items_read += int(parsed.get("ScannedCount", 0))
        self.items_returned += int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.requests.clear()
        self.items_read = self.items_returned = 0


class ReportFactory:
    """Report items in the reports table's shape: one template per kind, ids substituted."""

    def __init__(self, repository: Any, directory: Any, now: datetime) -> None:
        from lapor.app.dispatch import assign
        from lapor.domain.ids import hash_receipt, new_receipt
        from lapor.domain.lifecycle import Status
        from lapor.domain.models import Report, ReportKind
        from lapor.domain.routing import Assignment

        self.repository = repository
        assignment = Assignment(
            category="kesehatan",
            track="standard",
            agency="KEMENKES",
            official="kemenkes-lo1",
            cc=(),
            triage=False,
            fallback=None,
        )

        def dispatched(at: datetime) -> Any:
            report = Report(
                id="TEMPLATE",
                kind=ReportKind.COMPLAINT,
                status=Status.RECEIVED,
                title="Antrean puskesmas terlalu lama",
                description="Pasien menunggu lebih dari empat jam di puskesmas kecamatan, dokter jaga hanya satu.",
                region="31.71",
                receipt_hash=hash_receipt(new_receipt()),
                created_at=at,
                updated_at=at,
                version=1,
            )
            return assign(report, assignment, directory=directory, now=at)

        self.overdue = dispatched(now - timedelta(days=14))  # verify_by and level 2 both passed
        self.pending = dispatched(now - timedelta(hours=1))  # verify_by in the coming days
        if not (self.overdue.due_at <= now < self.pending.due_at):
            raise RuntimeError("report templates are not due / not due as intended")
        self.templates = {
            kind: repository._report_item(report)
            for kind, report in (("overdue", self.overdue), ("pending", self.pending))
        }

    def item(self, kind: str, report_id: str) -> dict[str, Any]:
        from lapor.adapters.repository import due_shard, report_pk

        item = dict(self.templates[kind])
        item["pk"] = {"S": report_pk(report_id)}
        item["id"] = {"S": report_id}
        item["period_sk"] = {"S": report_id}
        item["due_shard"] = {"N": str(due_shard(report_id, self.repository.due_shards))}
        return item


def _write(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), BATCH):
        pending = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]
        while pending:
            response = dynamodb.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])


def run(options: Options) -> list[Figure]:
    """Items read, requests and wall time of one SLA run at each size."""
    figures: list[Figure] = []
    with ExitStack() as cleanup:
        pipeline = start_moto_pipeline()
        cleanup.callback(pipeline.stop)
        cleanup.enter_context(item_level_transaction_backups())  # as the local stack does
        from lapor.adapters.aws import client as aws_client
        from lapor.adapters.directory_file import load_directory_file
        from lapor.adapters.repository import ReportRepository
        from lapor.app.sla import run_sla_check
        from lapor.domain.ids import new_report_id
        from local.lambda_runtime import LambdaContext

        resources = pipeline.resources
        shards = int(resources.environment(public_url="-")["LAPOR_DUE_SHARDS"])
        dynamodb = aws_client("dynamodb")
        loader = pipeline.session.client("dynamodb")  # not metered
        repository = ReportRepository(
            resources.names.reports_table, resources.names.directory_table, due_shards=shards, client=dynamodb
        )
        directory = load_directory_file(DEMO_DIRECTORY)
        now = datetime.now(UTC)
        factory = ReportFactory(repository, directory, now)
        meter = QueryMeter()
        dynamodb.meta.events.register("before-call.dynamodb", meter.before)
        dynamodb.meta.events.register("after-call.dynamodb.Query", meter.after_query)
        due = options.sla_due
        stored = 0
        for size in options.sla_sizes:
            fresh = size - stored - due
            if fresh < 0:
                raise ValueError(f"sla size {size} is too small after {stored} reports")
            progress(NAME, f"N={size:,}: writing {fresh:,} reports due later and {due} overdue")
            started = time.perf_counter()
            items = [factory.item("pending", new_report_id()) for _ in range(fresh)]
            items += [factory.item("overdue", new_report_id()) for _ in range(due)]
            with unchecked_item_sizes():  # each item is about 1 KB; the check is most of moto's load time
                _write(loader, resources.names.reports_table, items)
            stored = size
            progress(
                NAME, f"N={size:,}: loaded in {time.perf_counter() - started:.0f} s; running the SLA check"
            )

            meter.reset()
            context = LambdaContext(function_name="lapor-sla-check", timeout_seconds=900)
            started = time.perf_counter()
            summary = run_sla_check(
                reports=repository,
                directory=directory,
                now=now,
                shards=shards,
                time_left_ms=context.get_remaining_time_in_millis,
            )
            wall = time.perf_counter() - started
            escalated = sum(summary.escalated.values())
            if summary.checked != due:
                raise RuntimeError(f"N={size}: the check saw {summary.checked} due reports, expected {due}")
            requests = sum(meter.requests.values())
            first, last = size == options.sla_sizes[0], size == options.sla_sizes[-1]
            operations = ", ".join(f"{op} {n}" for op, n in sorted(meter.requests.items()))
            progress(NAME, f"N={size:,}: {meter.items_read} items read, {requests} requests, {wall:.1f} s")
            figures += [
                Figure(
                    NAME,
                    f"N={size:,}: items read by the due-index Queries",
                    meter.items_read,
                    "items",
                    target=due + shards,
                    note=f"{due} due, {shards} shards; {escalated} escalation steps taken" if first else "",
                    detail={"open_reports": size, "due": due, "returned": meter.items_returned},
                ),
                Figure(
                    NAME,
                    f"N={size:,}: DynamoDB requests",
                    requests,
                    "requests",
                    note=operations if first else "",
                    detail={"operations": dict(meter.requests)},
                ),
                Figure(
                    NAME,
                    f"N={size:,}: wall time (moto)",
                    wall,
                    "s",
                    note="moto Queries a GSI by scanning the whole table: time grows with N on moto only"
                    if last
                    else "",
                    detail=summary.as_dict(),
                ),
            ]
    return figures
