"""A local API Gateway: HTTP requests become REST proxy events for the real intake handler."""

from __future__ import annotations

import base64
import json
import mimetypes
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lapor.domain.catalogue import bilingual

# Path templates of the deployed REST API, so events carry `resource` and `pathParameters` as there.
ROUTES = (
    "/reports/{id}/actions",
    "/reports/{id}/attachments",
    "/reports/{id}/feedback",
    "/reports/{id}/timeline",
    "/reports/{id}",
    "/reports",
    "/categories",
    "/regions",
    "/uploads",
    "/messages",
    "/stats",
    "/inbox/summary",
    "/inbox",
    "/me",
    "/officials",
    "/agencies",
    "/auth/config",
    "/openapi.json",
    # Open311 GeoReport v2: each resource as .json and .xml (infra/lapor_infra/api.py).
    *(
        f"/open311/v2/{name}.{fmt}"
        for name in ("discovery", "services", "requests")
        for fmt in ("json", "xml")
    ),
    "/open311/v2/services/{service_code}",
    "/open311/v2/requests/{service_request_id}",
    "/open311/v2/tokens/{token}",
    "/open311/v2/{proxy+}",  # the rest of /open311/v2/: the function answers Open311's 404
)
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

LocalRoute = Callable[[str, dict[str, Any] | None], tuple[int, Any]]


def match_route(path: str) -> tuple[str, dict[str, str]] | None:
    """The resource template and path parameters of an API path, or None when it is not an API path.

    ``path`` is as sent (percent-encoded); like API Gateway, parameters are decoded (``%2D`` -> ``-``)
    while the event's ``path`` keeps the encoding.
    """
    parts = [p for p in path.split("/") if p]
    for resource in ROUTES:
        shape = [p for p in resource.split("/") if p]
        if shape[-1] == "{proxy+}" and len(parts) >= len(shape) and parts[: len(shape) - 1] == shape[:-1]:
            return resource, {"proxy": unquote("/".join(parts[len(shape) - 1 :]))}
        if len(parts) != len(shape):
            continue
        params: dict[str, str] = {}
        for part, expected in zip(parts, shape, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                # API Gateway hands path parameters to the function percent-decoded.
                params[expected[1:-1]] = unquote(part)
            elif part != expected:
                break
        else:
            return resource, params
    return None


def proxy_event(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    *,
    resource: str,
    params: dict[str, str],
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    """An API Gateway REST proxy integration event, as Lambda receives it.

    ``headers`` may repeat a name (as pairs): like API Gateway, ``headers`` then keeps the last value
    and ``multiValueHeaders`` every value in order.
    """
    header_pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if not any(name.lower() == "x-forwarded-proto" for name, _ in header_pairs):
        # API Gateway tells the function how the client reached it; the local stack speaks plain HTTP.
        header_pairs.append(("X-Forwarded-Proto", "http"))
    single: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in header_pairs:
        # API Gateway groups a header's values under the spelling of its first occurrence.
        key = next((k for k in multi_headers if k.lower() == name.lower()), name)
        multi_headers.setdefault(key, []).append(value)
        single[key] = value
    pairs = parse_qsl(query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        # The local stack serves the API at the root of its URL (no stage in front of the routes).
        "path": path,
        "stage": "local",
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(time.time() * 1000),
        "identity": {
            "sourceIp": "127.0.0.1",
            "userAgent": next((v for k, v in single.items() if k.lower() == "user-agent"), ""),
        },
        "protocol": "HTTP/1.1",
        "accountId": "123456789012",
        "apiId": "local",
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": dict(pairs) or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text if body else None,
        "isBase64Encoded": is_b64,
    }


def make_server(
    host: str,
    port: int,
    *,
    invoke_api: Callable[[dict[str, Any]], dict[str, Any]],
    authorize: Callable[[str | None], dict[str, Any] | None],
    protected: Callable[[str, str], bool],
    local_routes: dict[tuple[str, str], LocalRoute],
    web_root: Path,
) -> ThreadingHTTPServer:
    """The HTTP server: API paths to the intake handler, ``/_local/*`` to the stack, the rest to web pages."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LaporLocal/1.0"
        # Keep-alive clients would otherwise wait for a delayed ACK (up to 40 ms) between the
        # headers and the body of every answer.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            # Quiet by default: request lines could carry tracking codes; the handlers log structurally.
            return

        def _read_body(self) -> bytes | None:
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not declared.isdigit():
                self.close_connection = True
                self._send(
                    400,
                    {
                        "message": "Bad Request",
                        "errors": [{"field": "Content-Length", "message": "must be a non-negative integer"}],
                    },
                )
                return None
            length = int(declared)
            if length > MAX_REQUEST_BYTES:
                self._send(413, {"message": "Request Too Long"})
                return None
            return self.rfile.read(length) if length else b""

        def _send(
            self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
        ) -> None:
            data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            merged = {"Content-Type": "application/json"} | (headers or {})
            for key, value in merged.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            body = self._read_body()
            if body is None:
                return
            local = local_routes.get((self.command, url.path))
            if local is not None:
                try:
                    payload = json.loads(body) if body.strip() else None
                except (ValueError, RecursionError):
                    payload = []  # not an object: refused below
                if payload is not None and not isinstance(payload, dict):
                    self._send(
                        400,
                        {
                            "message": "body must be a JSON object",
                            "errors": [{"field": "body", "message": "must be a JSON object"}],
                        },
                    )
                    return
                status, result = local(url.query, payload)
                self._send(status, result)
                return
            route = match_route(url.path)
            if route is None:
                self._static(url.path)
                return
            resource, params = route
            claims = None
            if protected(self.command, resource):
                claims = authorize(self.headers.get("Authorization"))
                if claims is None:
                    # What API Gateway's Cognito authorizer answers, before the function runs.
                    self._send(401, {"message": bilingual("sign_in"), "code": "sign_in", "errors": []})
                    return
            headers = list(self.headers.items())  # every line, repeated names included
            event = proxy_event(
                self.command,
                url.path,
                url.query,
                headers,
                body,
                resource=resource,
                params=params,
                claims=claims,
            )
            try:
                result = invoke_api(event)
            except Exception:  # noqa: BLE001 - API Gateway answers a failed invocation with a 502
                traceback.print_exc()
                self._send(502, {"message": "Internal server error"})
                return
            out_headers = dict(result.get("headers") or {})
            for key, values in (result.get("multiValueHeaders") or {}).items():
                out_headers[key] = ", ".join(values)
            raw = result.get("body") or ""
            data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
            self._send(int(result.get("statusCode", 502)), None, out_headers, raw=data)

        def _static(self, path: str) -> None:
            if self.command not in {"GET", "HEAD"}:
                self._send(404, {"message": "Not Found"})
                return
            relative = path.lstrip("/") or "index.html"
            target = (web_root / relative).resolve()
            if not target.is_relative_to(web_root.resolve()) or not target.is_file():
                self._send(404, {"message": "Not Found"})
                return
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(
                200, None, {"Content-Type": kind, "Cache-Control": "no-store"}, raw=target.read_bytes()
            )

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, CONNECT, QUERY, ...) gets the same 4xx JSON answers, not
            # http.server's 501 HTML page.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the default backlog of 5 resets connections under a burst

    server = Server((host, port), Handler)
    server.daemon_threads = True
    return server
