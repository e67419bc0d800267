"""boto3 clients, built lazily on first use and reused across invocations of a warm function."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

# A Lambda sandbox runs one invocation at a time, so botocore's default pool of 10 connections is
# plenty there. The local stack runs dozens of invocations at once in one process and shares these
# clients: a pool smaller than that discards a connection after most requests and opens a new one.
POOL_SIZE_VARIABLE = "LAPOR_AWS_MAX_POOL_CONNECTIONS"


@cache
def client(service: str, region: str | None = None) -> Any:
    """A shared boto3 client; import and construction are deferred so cold starts stay short."""
    import boto3  # deferred: about a quarter of a second of import time
    from botocore.config import Config

    pool_size = int(os.environ.get(POOL_SIZE_VARIABLE, "10"))
    return boto3.session.Session().client(
        service, region_name=region, config=Config(max_pool_connections=pool_size)
    )


def all_items(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a DynamoDB Query or Scan (``call`` is ``client.query`` or ``client.scan``),
    page after page until no ``LastEvaluatedKey`` is left."""
    while True:
        response = call(**kwargs)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        kwargs = {**kwargs, "ExclusiveStartKey": response["LastEvaluatedKey"]}
