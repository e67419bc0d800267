"""GET /stats from the counters the tally keeps, checked against a brute-force recount of the table.

Reports are driven through random legal lifecycles by the real workflow, dispatch and SLA code (in
memory, see ``simulation``); every change goes to the real tally handler as a Lambda stream record,
with a fifth of the records delivered twice (at once or after later ones). The final reports are
written to the moto table, and GET /stats through the real intake handler must equal a recount.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from lapor.adapters.aggregates import AggregateStore
from lapor.adapters.directory_file import load_directory_file
from lapor.adapters.repository import ReportRepository
from lapor.app.tally import rebuild_stats
from lapor.domain.tally import MEDIAN_RELATIVE_ERROR
from lapor.domain.workdays import WIB
from local.moto_patches import item_level_transaction_backups, partition_scoped_queries
from tests.helpers import api_event, context, response_json
from tests.integration.conftest import TEST_DIRECTORY
from tests.integration.simulation import MemoryReports, recount, simulate, stream_record, with_replays

# make test drives 1,000 reports; LAPOR_PROPERTY_REPORTS raises it for a longer run.
PROPERTY_REPORTS = int(os.environ.get("LAPOR_PROPERTY_REPORTS", "1000"))
START = datetime(2025, 11, 1, tzinfo=WIB)  # reports over four months that straddle a new year


@pytest.fixture
def lapor(aws: Any) -> Iterator[Any]:
    import tally_app

    tally_app.services.cache_clear()
    # As the local stack runs moto: transactions cost O(items), a Query reads its partition only.
    with item_level_transaction_backups(), partition_scoped_queries():
        yield aws
    tally_app.services.cache_clear()


def _directory() -> Any:
    return load_directory_file(TEST_DIRECTORY)


def _deliver(records: list[dict[str, Any]], batch: int = 100) -> None:
    import tally_app

    for start in range(0, len(records), batch):
        result = tally_app.lambda_handler({"Records": records[start : start + batch]}, context("lapor-tally"))
        assert result == {"batchItemFailures": []}


def _store_reports(aws: Any, memory: MemoryReports) -> ReportRepository:
    import boto3

    names = aws.names
    repository = ReportRepository(
        names.reports_table, names.directory_table, due_shards=8, client=boto3.client("dynamodb")
    )
    items = [repository._report_item(report) for report in memory.items.values()]
    for start in range(0, len(items), 25):
        repository.client.batch_write_item(
            RequestItems={
                names.reports_table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
            }
        )
    return repository


def _get_stats(period: str) -> dict[str, Any]:
    import intake_app

    response = intake_app.lambda_handler(
        api_event("GET", "/stats", query=f"period={period}"), context("lapor-intake")
    )
    assert response["statusCode"] == 200, response["body"]
    return response_json(response)


def _assert_figures(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for name in ("total", "unverified", "not_followed_up", "in_process", "completed", "rejected", "percent",
                 "verified_on_time_pct", "followed_up_on_time_pct"):  # fmt: skip
        assert actual[name] == expected[name], f"{where}: {name}"
    for name in ("median_hours_to_verify", "median_hours_to_follow_up"):
        exact, estimate = expected[name], actual[name]
        assert (exact is None) == (estimate is None), f"{where}: {name}"
        if exact is not None:
            assert abs(estimate - exact) <= exact * MEDIAN_RELATIVE_ERROR + 0.01 + 1 / 60, f"{where}: {name}"


def test_stats_equal_a_recount_of_randomly_driven_reports_with_replayed_records(lapor):
    # Given 1,000 reports through random legal lifecycles, their changes delivered with replays
    directory = _directory()
    memory = simulate(PROPERTY_REPORTS, directory, seed=15, start=START, days=120)
    records = [stream_record(old, new, i) for i, (old, new) in enumerate(memory.changes)]
    delivered = with_replays(records, random.Random(15))
    assert len(delivered) > len(records) + PROPERTY_REPORTS // 2
    _deliver(delivered)
    # And the reports as they ended, in the table
    repository = _store_reports(lapor, memory)
    reports = list(repository.all_reports())
    assert len(reports) == PROPERTY_REPORTS
    kinds = {a.code: a.kind.value for a in directory.agencies}

    # When GET /stats is asked for each month, and for each year
    for period in ("2025-11", "2025-12", "2026-01", "2026-02", "2025", "2026"):
        view = _get_stats(period)
        expected = recount(reports, period, kinds)
        # Then every agency row, the totals and each kind equal the recount
        assert view["period"] == period
        assert {row["agency"]["code"] for row in view["agencies"]} == set(expected["agencies"]), period
        for row in view["agencies"]:
            assert row["kind"] == kinds[row["agency"]["code"]]
            _assert_figures(
                row, expected["agencies"][row["agency"]["code"]], f"{period} {row['agency']['code']}"
            )
        _assert_figures(view["totals"], expected["totals"], f"{period} totals")
        for group in view["by_kind"]:
            _assert_figures(group, expected["by_kind"][group["kind"]], f"{period} {group['kind']}")
            assert group["agencies"] == sum(
                1 for code in expected["agencies"] if kinds[code] == group["kind"]
            )
        for percent in (view["totals"]["percent"], *(r["percent"] for r in view["agencies"])):
            assert percent["completed"] is None or round(sum(percent.values()), 1) == 100.0


def test_a_rebuild_from_the_table_gives_the_same_figures_and_later_changes_count_once(lapor):
    # Given counters kept by the stream for 120 reports
    directory = _directory()
    memory = simulate(120, directory, seed=7, start=START, days=60)
    _deliver([stream_record(old, new, i) for i, (old, new) in enumerate(memory.changes)])
    repository = _store_reports(lapor, memory)
    before = {p: _get_stats(p) for p in ("2025-11", "2025-12", "2025")}
    # When the operator's rebuild recounts the table (here after a stray counter was corrupted)
    store = AggregateStore(lapor.names.aggregates_table)
    store.apply_change("STRAY", 1, stats={("2025-11", "KEMENKES"): {"completed": 5}}, officials={})
    summary = rebuild_stats(repository.all_reports(), store=store, last_year=2026)
    # Then the figures are back to the recount, and replaying the stream changes nothing
    assert summary.reports == 120
    assert {p: _get_stats(p) for p in before} == before
    _deliver([stream_record(old, new, i) for i, (old, new) in enumerate(memory.changes)])
    assert {p: _get_stats(p) for p in before} == before


def test_a_ministry_population_of_83_3_1_13_shows_exactly_those_percentages(lapor):
    # Given 100 reports of ministries in March 2026: 83 completed, 3 in process, 1 unverified, 13 not followed up
    ministries = ["KEMENKES", "KEMENPU", "KEMENPAR"]
    statuses = ["completed"] * 83 + ["in_progress"] * 3 + ["dispatched"] * 1 + ["verified"] * 13
    reports = _population(statuses, ministries)
    store = AggregateStore(lapor.names.aggregates_table)
    rebuild_stats(reports, store=store, last_year=2026)
    # When the month's statistics are read
    view = _get_stats("2026-03")
    # Then the ministries' group shows the published shares exactly
    ministries_row = next(group for group in view["by_kind"] if group["kind"] == "kementerian")
    assert ministries_row["percent"] == {
        "completed": 83.0,
        "in_process": 3.0,
        "unverified": 1.0,
        "not_followed_up": 13.0,
    }
    assert ministries_row["agencies"] == 3 and ministries_row["total"] == 100
    assert view["totals"]["percent"] == ministries_row["percent"]


def _population(statuses: list[str], agencies: list[str], month: int = 3) -> list[Any]:
    from lapor.domain.ids import new_report_id
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import Report, ReportKind

    created = datetime(2026, month, 10, 9, tzinfo=WIB)
    return [
        Report(
            id=new_report_id(),
            kind=ReportKind.COMPLAINT,
            status=Status(status),
            title="Layanan publik lambat",
            description="Antrean layanan sangat panjang dan petugas tidak ada.",
            agency=agencies[i % len(agencies)],
            receipt_hash="x",
            created_at=created,
            updated_at=created,
            version=3,
        )
        for i, status in enumerate(statuses)
    ]


@pytest.mark.parametrize("size", [100, 10_000])
def test_dynamodb_requests_of_get_stats_do_not_grow_with_reports(lapor, size, request):
    # Given `size` reports of one month spread over the same four agencies, counted
    agencies = ["KEMENKES", "KEMENPU", "KEMENPAR", "DINKES-DKI"]
    statuses = ["completed", "in_progress", "dispatched", "verified", "rejected"]
    reports = _population([statuses[i % 5] for i in range(size)], agencies)
    rebuild_stats(reports, store=AggregateStore(lapor.names.aggregates_table), last_year=2026)
    # When GET /stats runs, counting the requests its DynamoDB client makes
    from lapor.adapters.aws import client as aws_client

    requests: list[str] = []
    ddb = aws_client("dynamodb")

    def count(model: Any, **_: Any) -> None:
        requests.append(model.name)

    ddb.meta.events.register("before-call.dynamodb", count)
    try:
        _get_stats("2026-03")  # warm: the directory is read once per cold start
        requests.clear()
        view = _get_stats("2026-03")
        year = _get_stats("2026")
    finally:
        ddb.meta.events.unregister("before-call.dynamodb", count)
    # Then the month and the year each took one Query of the counters, at 100 as at 10,000 reports
    assert view["totals"]["total"] == size and year["totals"]["total"] == size
    assert requests == ["Query", "Query"]
