"""The monthly open-data export: every report created in a month, anonymized, as Parquet for Athena."""

from __future__ import annotations

from lapor.adapters.bucket import DataBucket
from lapor.adapters.repository import ReportRepository
from lapor.app.jobs import JobResult
from lapor.domain.directory import Directory
from lapor.domain.open_data import COLUMNS, open_data_row

PREFIX = "open-data/reports"


def export_key(month: str) -> str:
    """Where a month's file goes: Hive-style partitions the Glue table projects (year=, month=)."""
    return f"{PREFIX}/year={month[:4]}/month={month[5:]}/reports.parquet"


def run_export(
    month: str, *, reports: ReportRepository, directory: Directory, bucket: DataBucket
) -> JobResult:
    """Write the month's reports as one Parquet file, replacing an earlier export of the same month."""
    from lapor.adapters.parquet import parquet_bytes  # pyarrow: this job's own layer only

    rows = [open_data_row(report, directory) for report in reports.reports_of_period(month)]
    key = bucket.put(export_key(month), parquet_bytes(rows, COLUMNS), "application/vnd.apache.parquet")
    return JobResult(bucket=bucket.name, keys=[key])
