"""Lambda entry for the monthly open-data export (schedule, or an operator)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lapor.app.export import run_export
from lapor.app.jobs import job_month
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first run of a cold start."""
    return Services(Settings.from_env())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Export ``event["period"]`` (``YYYY-MM``; default last month); returns ``{bucket, keys}``."""
    svc = services()
    month = job_month((event or {}).get("period"), svc.clock())
    result = run_export(month, reports=svc.reports, directory=svc.directory(), bucket=svc.data_bucket)
    logger.info("open data exported", period=month, keys=result.keys)
    return {"bucket": result.bucket, "keys": result.keys}
