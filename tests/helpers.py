"""Event and context builders shared by the tests: the same shapes AWS sends."""

from __future__ import annotations

import json
from typing import Any

from local.gateway import match_route, proxy_event
from local.lambda_runtime import LambdaContext


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: str = "",
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for ``method path`` (JSON-encodes a non-bytes body)."""
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json"} if raw and headers is None else {}
    all_headers |= headers or {}
    route = match_route(path)
    resource, params = route if route else (path, {})
    return proxy_event(method, path, query, all_headers, raw, resource=resource, params=params, claims=claims)


def context(name: str = "test-function", timeout_seconds: float = 30.0) -> LambdaContext:
    """A Lambda context object."""
    return LambdaContext(function_name=name, timeout_seconds=timeout_seconds)


def response_json(response: dict[str, Any]) -> Any:
    """The decoded JSON body of a proxy response."""
    return json.loads(response["body"]) if response.get("body") else None
