"""What the router does with one change of a report on the table's stream.

A new report is dispatched to the competent official; a change whose write carried messages (the
report's outbox) has them relayed to the notify queue. The change and its messages were one write
and the stream delivers it at least once, so a crash can delay a message but never lose it.
"""

from __future__ import annotations

from datetime import datetime

from lapor.adapters.outbox import NotifyQueue
from lapor.adapters.repository import ReportRepository
from lapor.app.dispatch import dispatch_report
from lapor.domain.directory import Directory
from lapor.domain.models import Report
from lapor.observability import logger, metrics


def process_change(
    report: Report,
    *,
    inserted: bool,
    reports: ReportRepository,
    directory: Directory,
    queue: NotifyQueue,
    now: datetime,
) -> None:
    """Dispatch an inserted report, or relay a modified report's outbox; raise to have the record retried."""
    if inserted:
        result = dispatch_report(report, reports=reports, directory=directory, now=now)
        if not result.routed_now:
            logger.info("report already dispatched", report_id=report.id)
            return
        latency = (result.report.dispatched_at - report.created_at).total_seconds()
        logger.info(
            "report dispatched",
            report_id=report.id,
            agency=result.report.agency,
            assignee=result.report.assignee,
            track=result.report.track,
            seconds_since_submit=round(latency, 3),
        )
        metrics.add_metric(name="ReportsDispatched", unit="Count", value=1)
        metrics.add_metric(name="DispatchLatency", unit="Seconds", value=latency)
    elif report.outbox:
        queue.send(report.outbox)
        logger.info("messages relayed", report_id=report.id, version=report.version, count=len(report.outbox))
