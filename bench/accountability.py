"""(h) Accountability: GET /stats at 1k, 10k and 100k reports, the evaluation at 10k, the export at 100k.

In-process moto. Reports of one WIB month are written straight into the reports table in their
real item shape, spread over every agency of the demo directory and the four buckets; the
statistics counters are recounted from them with the operator's rebuild (``rebuild_stats``). Then:

- ``GET /stats`` through the real intake handler, warm: p50 over 50 calls of the month, and the
  DynamoDB requests one call makes (botocore hooks on the handler's client) — they must not grow
  with the reports;
- the evaluation of a month of ``evaluation_reports`` reports (dispatch, verify, follow-up,
  completion): the first 2,000 changes go through the real tally (``count_changes``, timed), the
  rest are summed in memory and added in a few writes (the same counters; moto's UpdateItem would
  otherwise take most of the run); then the wall time of the whole job, files, charts and emails;
- the open-data export of the largest month: its own work (rows, Parquet, upload) and the Parquet
  size; the month's reports are handed over as the period index returns them, because moto answers
  that Query chain in minutes (it scans and sorts the whole table for every page).

Wall times are of moto, not DynamoDB: moto evaluates the period-index Query by scanning the table.
As in the local stack, moto's Query of a table's own key reads only that partition
(``local.moto_patches.partition_scoped_queries``; without it every GET /stats would list and sort
every per-report marker of the aggregates table), and items are answered as plain JSON (moto's
shape-driven serializer takes about 2 ms per counter item).
"""

from __future__ import annotations

import random
import time
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

from bench.environment import DEMO_DIRECTORY, progress, start_moto_pipeline
from bench.figures import Figure, median
from bench.moto_patches import unchecked_item_sizes
from bench.options import Options
from local.moto_patches import (
    item_level_transaction_backups,
    partition_scoped_queries,
    plain_json_item_responses,
)

NAME = "accountability"
STATS_CALLS = 50
TALLY_TIMED = 2_000
MONTH_START = datetime(2026, 3, 1, 8, 0)
STATUSES = ("dispatched", "verified", "in_progress", "completed", "closed", "rejected")


def _reports(count: int, directory: Any, rng: random.Random, *, month: int) -> list[Any]:
    from lapor.domain.ids import hash_receipt, new_report_id
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import Report, Reporter, ReportKind
    from lapor.domain.workdays import WIB

    start = MONTH_START.replace(month=month, tzinfo=WIB)
    agencies = [a.code for a in directory.agencies]
    categories = [c.code for c in directory.categories if not c.generic]
    reports = []
    for _ in range(count):
        created = start + timedelta(minutes=rng.randrange(27 * 24 * 60))
        status = Status(rng.choice(STATUSES))
        dispatched = created + timedelta(minutes=2)
        verified = dispatched + timedelta(hours=rng.uniform(1, 80)) if status != Status.DISPATCHED else None
        followed = (
            verified + timedelta(hours=rng.uniform(2, 150))
            if verified and status.value in ("in_progress", "completed", "closed")
            else None
        )
        reports.append(
            Report(
                id=new_report_id(),
                kind=rng.choice(list(ReportKind)),
                status=status,
                title="Pelayanan puskesmas lambat dan antrean panjang",
                description="Warga menunggu lebih dari tiga jam untuk berobat; hanya satu dokter yang bertugas pagi itu.",
                category=rng.choice(categories),
                track="standard",
                agency=rng.choice(agencies),
                region=rng.choice(("31.71", "32.73", "35.78", "11.01", "51")),
                reporter=Reporter(email="warga@example.com"),
                receipt_hash=hash_receipt("bench"),
                created_at=created,
                updated_at=followed or verified or dispatched,
                dispatched_at=dispatched,
                verified_at=verified,
                verified_on_time=None if verified is None else rng.random() < 0.8,
                followed_up_at=followed,
                followed_up_on_time=None if followed is None else rng.random() < 0.7,
                version=4,
            )
        )
    return reports


def _write(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while pending:
            response = dynamodb.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])


def _lifecycle(report: Any, directory: Any, rng: random.Random) -> list[tuple[Any, Any]]:
    """A report's changes as the stream carries them: filed, dispatched, verified, followed up, completed."""
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import FollowUp

    officials = [o.id for o in directory.officials if o.agency == report.agency and o.role.value == "liaison"]
    assignee = rng.choice(officials or [directory.national_admin])
    at = report.created_at
    received = report.model_copy(update={"status": Status.RECEIVED, "agency": None, "version": 1, "updated_at": at, "verified_at": None, "verified_on_time": None, "followed_up_at": None, "followed_up_on_time": None, "dispatched_at": None})  # fmt: skip
    routed = received.model_copy(update={"status": Status.DISPATCHED, "agency": report.agency, "assignee": assignee, "dispatched_at": at + timedelta(minutes=1), "updated_at": at + timedelta(minutes=1), "routing_seq": 1, "version": 2})  # fmt: skip
    on_time = rng.random() < 0.8
    verified = routed.model_copy(update={"status": Status.VERIFIED, "verified_at": at + timedelta(hours=5), "verified_on_time": on_time, "updated_at": at + timedelta(hours=5), "version": 3})  # fmt: skip
    follow = FollowUp(at=at + timedelta(hours=30), hours=25.0, on_time=rng.random() < 0.7)
    responded = verified.model_copy(update={"status": Status.IN_PROGRESS, "followed_up_at": follow.at, "followed_up_on_time": follow.on_time, "follow_ups": [follow], "updated_at": follow.at, "version": 4})  # fmt: skip
    completed = responded.model_copy(update={"status": Status.COMPLETED, "completed_at": at + timedelta(hours=50), "updated_at": at + timedelta(hours=50), "version": 5})  # fmt: skip
    return [
        (None, received),
        (received, routed),
        (routed, verified),
        (verified, responded),
        (responded, completed),
    ]


def _add_summed(store: Any, changes: list[Any]) -> None:
    """Add many changes' counters as their sums, a few aggregate items per write (no markers needed)."""
    from lapor.domain.tally import add_counters

    stats: dict[Any, dict[str, int]] = {}
    officials: dict[Any, tuple[str, dict[str, int]]] = {}
    for change in changes:
        for key, counters in change.stats.items():
            add_counters(stats.setdefault(key, {}), counters)
        for key, (agency, counters) in change.officials.items():
            add_counters(officials.setdefault(key, (agency, {}))[1], counters)
    keys = [("s", k) for k in stats] + [("o", k) for k in officials]
    for n, start in enumerate(range(0, len(keys), 20)):
        chunk = keys[start : start + 20]
        store.apply_change(
            f"BENCH-SUM-{n}",
            1,
            stats={k: stats[k] for kind, k in chunk if kind == "s"},
            officials={k: officials[k] for kind, k in chunk if kind == "o"},
        )


class _Preread:
    """The period index's answer, read beforehand: moto needs minutes per 100k-report Query chain."""

    def __init__(self, reports: list[Any]) -> None:
        self.reports = reports

    def reports_of_period(self, period: str) -> list[Any]:
        return [r for r in self.reports if r.created_at.strftime("%Y-%m") == period]


def run(options: Options) -> list[Figure]:
    """GET /stats p50 and requests per size, the evaluation's and the export's wall time."""
    figures: list[Figure] = []
    rng = random.Random(15)
    with ExitStack() as cleanup:
        pipeline = start_moto_pipeline()
        cleanup.callback(pipeline.stop)
        cleanup.enter_context(item_level_transaction_backups())  # as the local stack runs moto
        cleanup.enter_context(partition_scoped_queries())
        cleanup.enter_context(plain_json_item_responses())
        import intake_app

        from lapor.adapters.aggregates import AggregateStore
        from lapor.adapters.aws import client as aws_client
        from lapor.adapters.bucket import DataBucket
        from lapor.adapters.channels import SesEmailSender
        from lapor.adapters.directory_file import load_directory_file
        from lapor.adapters.repository import ReportRepository
        from lapor.app.evaluation import Mailer, run_evaluation
        from lapor.app.export import run_export
        from lapor.app.tally import change_of, count_changes, rebuild_stats
        from tests.helpers import api_event, context

        names = pipeline.resources.names
        loader = pipeline.session.client("dynamodb")
        repository = ReportRepository(names.reports_table, names.directory_table, due_shards=8, client=loader)
        store = AggregateStore(names.aggregates_table, client=loader)
        directory = load_directory_file(DEMO_DIRECTORY)
        requests: list[str] = []
        aws_client("dynamodb").meta.events.register(
            "before-call.dynamodb", lambda model, **_: requests.append(model.name)
        )

        def get_stats(period: str) -> dict[str, Any]:
            response = intake_app.lambda_handler(
                api_event("GET", "/stats", query=f"period={period}"), context("lapor-intake")
            )
            assert response["statusCode"] == 200, response["body"]
            return response

        stored: list[Any] = []
        for size in options.stats_sizes:
            fresh = _reports(size - len(stored), directory, rng, month=3)
            progress(NAME, f"N={size:,}: writing {len(fresh):,} reports straight into the table")
            with unchecked_item_sizes():
                _write(loader, names.reports_table, [repository._report_item(r) for r in fresh])
            stored += fresh
            started = time.perf_counter()
            rebuild_stats(stored, store=store, last_year=2026)
            rebuilt = time.perf_counter() - started
            get_stats("2026-03")  # warm: the directory is read once per cold start
            requests.clear()
            get_stats("2026-03")
            per_call = list(requests)
            timings = []
            for _ in range(STATS_CALLS):
                started = time.perf_counter()
                get_stats("2026-03")
                timings.append((time.perf_counter() - started) * 1000)
            progress(NAME, f"N={size:,}: GET /stats p50 {median(timings):.1f} ms, {len(per_call)} requests")
            figures += [
                Figure(NAME, f"N={size:,}: GET /stats p50 (warm, month)", median(timings), "ms", target=300,
                       note="intake handler in-process on moto; counters of 36 agencies" if size == options.stats_sizes[0] else ""),
                Figure(NAME, f"N={size:,}: DynamoDB requests per GET /stats", len(per_call), "requests", target=1,
                       detail={"operations": per_call}),
                Figure(NAME, f"N={size:,}: recount of the statistics (rebuild, reports in memory)", rebuilt, "s"),
            ]  # fmt: skip

        # The evaluation: a month of reports' changes counted, then the whole job.
        count = options.evaluation_reports
        changes = [c for r in _reports(count, directory, rng, month=4) for c in _lifecycle(r, directory, rng)]
        changes.sort(key=lambda change: change[1].updated_at)
        # The tally itself, timed on the first TALLY_TIMED changes (moto's UpdateItem dominates).
        timed = changes[:TALLY_TIMED]
        progress(NAME, f"evaluation: the tally counts {len(timed):,} changes")
        started = time.perf_counter()
        count_changes(timed, store=store)
        tallied = time.perf_counter() - started
        # The rest: the same counter changes, summed in memory and added in a few writes.
        progress(NAME, f"evaluation: adding the counters of {len(changes) - len(timed):,} more changes")
        _add_summed(store, [change_of(old, new) for old, new in changes[len(timed) :]])
        ses = pipeline.session.client("ses")
        mailer = Mailer(sender=SesEmailSender(pipeline.resources.sender_email, client=ses), store=store)
        started = time.perf_counter()
        result = run_evaluation(
            "2026-04",
            store=store,
            reports=repository,
            directory=directory,
            bucket=DataBucket(names.data_bucket, client=pipeline.session.client("s3")),
            mailer=mailer,
            now=MONTH_START.replace(month=5, tzinfo=changes[0][1].created_at.tzinfo),
        )
        evaluated = time.perf_counter() - started
        progress(NAME, f"evaluation: {evaluated:.1f} s, {len(result.keys)} files, {result.emails} emails")
        figures += [
            Figure(NAME, f"evaluation job, {count:,} reports", evaluated, "s", target=300,
                   note="files, charts and emails of every agency; the function's timeout is 900 s",
                   detail={"files": len(result.keys), "emails": result.emails}),
            Figure(NAME, "tally: changes counted per second (moto)", len(timed) / tallied, "changes/s",
                   detail={"changes": len(timed), "seconds": round(tallied, 2)}),
        ]  # fmt: skip

        # The export of the largest month.
        biggest = options.stats_sizes[-1]
        progress(NAME, f"export: {biggest:,} reports of 2026-03")
        bucket = DataBucket(names.data_bucket, client=pipeline.session.client("s3"))
        read_pages = sum(len(repository._report_item(r)["description"]["S"]) + 1200 for r in stored) / 2**20
        started = time.perf_counter()
        exported = run_export("2026-03", reports=_Preread(stored), directory=directory, bucket=bucket)
        wall = time.perf_counter() - started
        size = pipeline.session.client("s3").head_object(Bucket=names.data_bucket, Key=exported.keys[0])[
            "ContentLength"
        ]
        progress(NAME, f"export: {wall:.1f} s, {size / 2**20:.1f} MiB")
        figures += [
            Figure(NAME, f"export of {biggest:,} reports: rows, Parquet and upload", wall, "s", target=300,
                   note=f"the reports as read from the period index; that read is about {read_pages:.0f} Query "
                        "pages of 1 MB on DynamoDB (on moto, which scans and sorts the whole table per page, "
                        "it took 1,162 s in a run of this benchmark)"),
            Figure(NAME, f"export of {biggest:,} reports: Parquet size", size / 2**20, "MiB",
                   detail={"bytes": size, "bytes_per_report": round(size / biggest, 1)}),
        ]  # fmt: skip
    return figures
