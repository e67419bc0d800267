"""A threaded WSGI server that keeps HTTP/1.1 connections open, for moto in the local stack.

werkzeug's development server, which moto's own server mode uses, answers every request with
``Connection: close``: each AWS call from a handler then opens a TCP connection, and moto starts a
thread for it and waits 10 ms for stray input before closing. At the local stack's few hundred
calls a second that is most of the difference between a busy stack and a saturated one. botocore
clients reuse their connections when the server lets them; this server does.

Bodies are read whole by Content-Length (chunked request bodies are refused with 411: no SDK call
the stack makes sends one), so a connection never loses track of where the next request begins.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Headers this server writes itself, from the body it has in hand.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


class KeepAliveWSGIHandler(BaseHTTPRequestHandler):
    """Serves each request on a connection through the server's WSGI app, then waits for the next."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the body waits for the client's delayed
    # ACK of the headers (up to 40 ms) on every request of a kept-alive connection.
    disable_nagle_algorithm = True
    server: KeepAliveWSGIServer

    def _serve(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._answer(411, [("Content-Type", "text/plain")], b"Content-Length required")
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response["status"], response["headers"] = status, headers
            return lambda data: response.setdefault("written", []).append(data)

        try:
            chunks = self.server.app(self._environ(body), start_response)
            try:
                payload = b"".join(response.pop("written", [])) + b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception as error:  # noqa: BLE001 - one failed request must not take the connection's thread
            print(f"[moto] request failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            self._answer(500, [("Content-Type", "text/plain")], b"Internal Server Error")
            return
        code = int(response["status"].split(" ", 1)[0])
        self._answer(code, response["headers"], payload)

    def _environ(self, body: bytes) -> dict[str, Any]:
        url = urlsplit(self.path)
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(url.path, encoding="latin-1"),
            "QUERY_STRING": url.query,
            "REQUEST_URI": self.path,
            "RAW_URI": self.path,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": self.client_address[1],
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in self.headers.items():
            if "_" in key:
                continue  # as werkzeug: X_Foo must not pass for X-Foo
            name = key.upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                environ[name] = value
            elif name != "CONTENT_LENGTH":
                name = f"HTTP_{name}"
                environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    def _answer(self, code: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response_only(code)
        for key, value in headers:
            if key.lower() not in _FRAMING:
                self.send_header(key, value)
        no_body = self.command == "HEAD" or code in (204, 304) or 100 <= code < 200
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not no_body:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: moto's per-request lines would drown the stack's output."""


class KeepAliveWSGIServer(ThreadingHTTPServer):
    """One thread per connection, connections kept open between requests."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 resets connections under a burst

    def __init__(self, address: tuple[str, int], app: WsgiApp) -> None:
        super().__init__(address, KeepAliveWSGIHandler)
        self.app = app
