"""The monthly jobs end to end under moto: reports through the real handlers, the tally on the stream,
then the evaluation (files and emails with a chart and a CSV) and the open-data export (Parquet)."""

from __future__ import annotations

import csv
import email
import io
import statistics
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default
from typing import Any

import pyarrow.parquet as pq
import pytest

from lapor.domain.lifecycle import OPEN_STATUSES
from lapor.domain.models import Report
from lapor.domain.tally import MEDIAN_RELATIVE_ERROR
from local.pollers import StreamPoller, matches_report_filter
from tests.helpers import api_event, context, response_json
from tests.integration import conftest_route_notify as harness
from tests.integration.conftest_route_notify import HEALTH, SUBMITTED_AT, Pipeline, fixed_clock

pipeline = harness.pipeline  # the shared fixture (pytest finds it by this module attribute)

PERIOD = SUBMITTED_AT.strftime("%Y-%m")  # 2026-02


@pytest.fixture
def jobs(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The pipeline plus the tally on the stream and the two job functions, freshly started."""
    import evaluation_app
    import export_app
    import tally_app

    for entry in (tally_app, evaluation_app, export_app):
        entry.services.cache_clear()
    tally = StreamPoller(
        session=pipeline.session,
        stream_arn=pipeline.resources.reports_stream_arn,
        handler=tally_app.lambda_handler,
        function_name="lapor-tally",
        on_failure_url=pipeline.resources.tally_failures_url,
        record_filter=matches_report_filter,
        idle_sleep=0,
    )
    monkeypatch.setattr(tally, "_retry_sleep", lambda attempt: None)
    pipeline.tally = tally  # type: ignore[attr-defined]
    yield pipeline
    for entry in (tally_app, evaluation_app, export_app):
        entry.services.cache_clear()


def _settle(jobs: Any) -> None:
    jobs.route()
    while jobs.tally.poll_once():
        pass


def _act(report_id: str, official: str, action: str, at: Any, note: str = "Catatan tindak lanjut") -> None:
    import intake_app

    intake_app.services().clock = fixed_clock(at)
    body = {"action": action, "note": note}
    response = intake_app.lambda_handler(
        api_event("POST", f"/reports/{report_id}/actions", body, claims={"custom:official_id": official}),
        context("lapor-intake"),
    )
    assert response["statusCode"] == 200, response["body"]


def _feedback(report_id: str, receipt: str, action: str, at: Any, rating: int | None = None) -> None:
    import intake_app

    intake_app.services().clock = fixed_clock(at)
    body = {"receipt": receipt, "action": action, "comment": "Masih belum beres", "rating": rating}
    response = intake_app.lambda_handler(api_event("POST", f"/reports/{report_id}/feedback", body), context())
    assert response["statusCode"] == 200, response["body"]


def _submit(body: dict[str, Any]) -> tuple[str, str]:
    import intake_app

    intake_app.services().clock = fixed_clock(SUBMITTED_AT)
    response = intake_app.lambda_handler(api_event("POST", "/reports", body), context("lapor-intake"))
    assert response["statusCode"] == 201, response["body"]
    created = response_json(response)
    return created["id"], created["receipt"]


def _sla(at: Any) -> None:
    import sla_check_app

    sla_check_app.services.cache_clear()
    sla_check_app.services().clock = fixed_clock(at + timedelta(minutes=10))
    sla_check_app.lambda_handler({"now": at.isoformat()}, context("lapor-sla-check", 60))


def _raw_emails(jobs: Any) -> list[Any]:
    return [
        email.message_from_string(m.raw_data, policy=default) for m in jobs.emails() if hasattr(m, "raw_data")
    ]


def recount(reports: list[Report], official: str) -> dict[str, Any]:
    """An official's evaluation counted from the reports as they stand (no report changed hands here)."""
    mine = [r for r in reports if r.assignee == official]
    verified = [r for r in mine if r.verified_at is not None]
    follow_ups = [f for r in mine for f in r.follow_ups]
    ratings = [f.rating for r in mine for f in r.feedback if f.rating is not None]

    def pct(flags: list[bool]) -> float | None:
        return round(100 * sum(flags) / len(flags), 1) if flags else None

    return {
        "assigned": len(mine),
        "verified": len(verified),
        "verified_on_time_pct": pct([bool(r.verified_on_time) for r in verified]),
        "followed_up_on_time_pct": pct([f.on_time for f in follow_ups]),
        "median_hours_to_verify": statistics.median(
            [(r.verified_at - r.dispatched_at).total_seconds() / 3600 for r in verified]
        )
        if verified
        else None,
        "median_hours_to_follow_up": statistics.median([f.hours for f in follow_ups]) if follow_ups else None,
        "escalations_l1": sum(
            1 for r in mine for s in r.escalations if s.split("@")[0] in ("verify:1", "follow_up:1")
        ),
        "escalations_l2": sum(1 for r in mine for s in r.escalations if s.split("@")[0].endswith(":2")),
        "reopened": sum(1 for r in mine for f in r.feedback if f.action == "reopen"),
        "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "open_at_end": sum(1 for r in mine if r.status in OPEN_STATUSES),
    }


def test_evaluation_emails_each_agency_a_chart_and_a_csv_matching_a_recount(jobs):
    # Given three reports for DINKES-DKI's one liaison in February 2026:
    day = timedelta(days=1)
    first, receipt = _submit(HEALTH)
    second, _ = _submit(HEALTH | {"title": "Puskesmas kedua tutup"})
    third, _ = _submit(HEALTH | {"title": "Puskesmas ketiga tutup"})
    _settle(jobs)
    liaison = jobs.report(first).assignee
    assert liaison == "dinkes-dki-lo1"
    # the first verified and followed up on time, completed, reopened (rated 2), followed up late;
    _act(first, liaison, "verify", SUBMITTED_AT + day)
    _act(first, liaison, "respond", SUBMITTED_AT + 2 * day)
    _act(first, liaison, "complete", SUBMITTED_AT + 3 * day)
    _feedback(first, receipt, "reopen", SUBMITTED_AT + 4 * day, rating=2)
    # the second escalated to both levels, then verified late; the third still waiting.
    _sla(SUBMITTED_AT + 12 * day)
    _act(second, liaison, "verify", SUBMITTED_AT + 13 * day)
    _act(first, liaison, "respond", SUBMITTED_AT + 14 * day)
    _settle(jobs)
    reports = [jobs.report(r) for r in (first, second, third)]
    assert [f.on_time for f in reports[0].follow_ups] == [True, False]

    # When the evaluation of February runs
    import evaluation_app

    result = evaluation_app.lambda_handler({"period": PERIOD}, context("lapor-evaluation", 300))

    # Then the agency's CSV and JSON are in the data bucket
    bucket = jobs.resources.names.data_bucket
    assert result["bucket"] == bucket
    assert f"evaluations/{PERIOD}/DINKES-DKI.csv" in result["keys"]
    assert f"evaluations/{PERIOD}/DINKES-DKI.json" in result["keys"]
    # And the agency's admin and supervisor and the national admin each got one email with a PNG and a CSV
    sent = _raw_emails(jobs)
    to = sorted(m["To"] for m in sent)
    assert {"admin@dinkes.jakarta.go.id", "sup@dinkes.jakarta.go.id", "admin@menpan.go.id"} <= set(to)
    agency_mail = next(m for m in sent if m["To"] == "admin@dinkes.jakarta.go.id")
    files = {part.get_filename(): part for part in agency_mail.iter_attachments()}
    png = next(p for name, p in files.items() if name.endswith(".png"))
    assert png.get_content_type() == "image/png" and png.get_payload(decode=True).startswith(b"\x89PNG")
    table = next(p for name, p in files.items() if name.endswith(".csv")).get_payload(decode=True).decode()
    body = agency_mail.get_body(preferencelist=("plain",)).get_content()
    assert "Yang perlu diperbaiki" in body and "What to improve" in body
    # And the liaison's CSV row matches a recount of the reports
    rows = {row["official_id"]: row for row in csv.DictReader(io.StringIO(table))}
    expected = recount(reports, liaison)
    row = rows[liaison]
    for name, value in expected.items():
        written = row[name]
        if name.startswith("median"):
            assert abs(float(written) - value) <= value * MEDIAN_RELATIVE_ERROR + 0.02, name
        else:
            assert written == ("" if value is None else str(value)), name
    assert expected["followed_up_on_time_pct"] == 50.0 and expected["escalations_l2"] == 2  # 2nd and 3rd
    assert rows[""]["role"] == "total" and rows[""]["assigned"] == "3"

    # When the job runs again (a retry), no email goes out twice
    before = len(_raw_emails(jobs))
    again = evaluation_app.lambda_handler({"period": PERIOD}, context("lapor-evaluation", 300))
    assert again["emails"] == 0 and len(_raw_emails(jobs)) == before


def test_export_writes_anonymized_parquet_with_provinces_only(jobs):
    # Given reports whose reporters typed their contact details, one of them confidential
    reporter = {"name": "Sri Mulyani Hartono", "email": "sri.hartono@example.com", "phone": "0812-7777-8888"}
    typed = "Hubungi Sri Mulyani Hartono di 0812 7777 8888 atau sri.hartono@example.com, puskesmas tutup."
    open_report, _ = _submit(HEALTH | {"reporter": reporter, "description": typed})
    secret, _ = _submit(
        HEALTH | {"title": "Puskesmas rahasia tutup", "confidential": True, "reporter": reporter}
    )
    anonymous, _ = _submit(HEALTH | {"anonymous": True, "reporter": reporter, "region": "32.73.05"})
    _settle(jobs)

    # When the open-data export of the month runs
    import export_app

    result = export_app.lambda_handler({"period": PERIOD}, context("lapor-export", 300))

    # Then one Parquet file sits under the year/month partition
    key = f"open-data/reports/year={PERIOD[:4]}/month={PERIOD[5:]}/reports.parquet"
    assert result == {"bucket": jobs.resources.names.data_bucket, "keys": [key]}
    raw = jobs.session.client("s3").get_object(Bucket=result["bucket"], Key=key)["Body"].read()
    table = pq.read_table(io.BytesIO(raw))
    rows = table.to_pylist()
    # And it holds every report of the month, with no reporter data anywhere in the file
    assert len(rows) == 3
    assert not {"reporter", "name", "email", "phone", "id", "receipt_hash", "region"} & set(
        table.column_names
    )
    for needle in ("sri.hartono", "Hartono", "7777", "0812"):
        assert needle.encode() not in raw
        assert all(needle not in str(value) for row in rows for value in row.values())
    # And only provinces, and no text of the confidential report
    assert sorted(r["province"] for r in rows) == ["31", "31", "32"]
    confidential = [r for r in rows if r["confidential"]]
    assert (
        len(confidential) == 1 and confidential[0]["title"] is None and confidential[0]["description"] is None
    )
    typed_row = next(r for r in rows if r["description"] and "Hubungi" in r["description"])
    assert typed_row["description"].count("[…]") == 3
    assert {r["status"] for r in rows} == {"dispatched"} and {r["agency"] for r in rows} <= {
        "DINKES-DKI",
        "KEMENKES",
    }
    del open_report, secret, anonymous
