"""Lambda entry for the HTTP API: citizens' reports, tracking, categories, officials' actions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lapor.http.api import create_app, handle
from lapor.observability import logger, metrics
from lapor.services import Services
from lapor.settings import Settings, cors_origins_from_env


@lru_cache(maxsize=1)
def services() -> Services:
    """Settings and adapters, built on the first request of a cold start."""
    return Services(Settings.from_env())


app = create_app(services, cors_origins=cors_origins_from_env())


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway proxy request."""
    return handle(app, event, context, services().settings.max_body_bytes)
