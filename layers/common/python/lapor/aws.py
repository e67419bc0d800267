"""boto3 clients, built lazily on first use and reused across invocations of a warm function."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str, region: str | None = None) -> Any:
    """A shared boto3 client; import and construction are deferred so cold starts stay short."""
    import boto3  # deferred: about a quarter of a second of import time

    return boto3.session.Session().client(service, region_name=region)
