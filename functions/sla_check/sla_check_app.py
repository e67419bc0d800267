"""Lambda entry for the SLA checker, run on a schedule (or by an operator with an explicit ``now``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from lapor.app.calendar_check import CALENDAR_CHECK, check_calendar
from lapor.app.redrive import redrive_undelivered
from lapor.app.sla import run_sla_check
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings

FUTURE_SLACK = timedelta(minutes=5)  # clock skew between the operator's machine and AWS


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first run of a cold start."""
    return Services(Settings.from_env())


def as_of(event: dict[str, Any], svc: Services) -> datetime:
    """The run's ``now``: the event's ISO-8601 ``now`` (operator re-runs) or the clock."""
    value = (event or {}).get("now")
    if not value:
        return svc.clock()
    instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError("now must carry a UTC offset, e.g. 2026-12-03T09:00:00+07:00")
    if instant > svc.clock() + FUTURE_SLACK and not svc.settings.sla_allow_future_now:
        raise ValueError("now must not be in the future (re-runs are for times already past)")
    return instant


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one bounded SLA check (or, for ``{"check": "calendar"}``, the daily calendar check); its summary."""
    svc = services()
    if (event or {}).get("check") == CALENDAR_CHECK:
        return check_calendar(svc.directory(), svc.clock())
    now, directory = as_of(event, svc), svc.directory()
    summary = run_sla_check(
        reports=svc.reports,
        directory=directory,
        now=now,
        shards=svc.settings.due_shards,
        time_left_ms=context.get_remaining_time_in_millis,
    )
    redrive = redrive_undelivered(
        reports=svc.reports,
        queue=svc.notify_queue,
        directory=directory,
        sms_enabled=svc.settings.sms_enabled,
        now=now,
        after=timedelta(seconds=svc.settings.redrive_after_seconds),
        shards=svc.settings.due_shards,
        time_left_ms=context.get_remaining_time_in_millis,
    )
    for level, count in summary.escalated.items():
        if count:
            metrics.add_metric(name=f"Escalated_{level}", unit="Count", value=count)
    if summary.closed:
        metrics.add_metric(name="ReportsAutoClosed", unit="Count", value=summary.closed)
    # Always published (zero included), so the alarms on them see data and not "missing".
    metrics.add_metric(name="NotificationsRedriven", unit="Count", value=len(redrive.redriven))
    metrics.add_metric(name="NotificationsAbandoned", unit="Count", value=len(redrive.abandoned))
    result = summary.as_dict() | {"redrive": redrive.as_dict()}
    logger.info("sla check done", **result)
    return result
