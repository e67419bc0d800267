"""Test-wide setup: moto is imported before any boto3 client exists, and no test can reach real AWS."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator

import moto  # noqa: F401 - must be imported before any boto3 client is created, or the client is not mocked
import pytest

# Fake credentials and the Jakarta region for every test; real credentials must never be used.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "ap-southeast-3",
    "AWS_DEFAULT_REGION": "ap-southeast-3",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "lapor",
    "POWERTOOLS_METRICS_NAMESPACE": "Lapor",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture
def captured_logs() -> Iterator[Callable[[], str]]:
    """Everything Lapor's logger emits during the test, formatted exactly as in production (JSON lines)."""
    from lapor.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    yield stream.getvalue
    logger._logger.removeHandler(handler)
