"""The one place Lapor's logger and metrics are made (structured JSON, no personal data)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

# Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
logger = Logger()
metrics = Metrics()
