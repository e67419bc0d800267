"""Lambda entry for the monthly evaluation of admins and liaison officers (schedule, or an operator)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lapor.app.evaluation import Mailer, run_evaluation
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
    """Evaluate ``event["period"]`` (``YYYY-MM``; default last month); returns ``{bucket, keys, emails}``."""
    svc = services()
    now = svc.clock()
    month = job_month((event or {}).get("period"), now)
    result = run_evaluation(
        month,
        store=svc.aggregates,
        reports=svc.reports,
        directory=svc.directory(),
        bucket=svc.data_bucket,
        mailer=Mailer(sender=svc.report_sender, store=svc.aggregates),
        now=now,
    )
    metrics.add_metric(name="EvaluationEmails", unit="Count", value=result.emails)
    logger.info("evaluation done", period=month, files=len(result.keys), emails=result.emails)
    return result.as_dict()
