"""End-to-end fixtures: the local stack in its own process (``python -m local``), spoken to over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.child import LocalProcess, start_local_stack

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium, as the browser tests drive it (never `playwright install`).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TEST_DIRECTORY = ROOT / "tests" / "data" / "directory.test.yaml"


@dataclass
class Http:
    """A tiny JSON client for the local stack."""

    base: str
    aws: str | None = None  # the stack's moto endpoint, for test data the API cannot make
    output: list[str] | None = None  # the stack's printed lines so far, for failure messages

    def recent_output(self, lines: int = 60) -> str:
        """The stack's last printed lines: what a failing browser step cannot show."""
        return "".join((self.output or [])[-lines:])

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send a request; the status and the decoded JSON body."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"} | (headers or {})
        request = urllib.request.Request(self.base + path, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def token(self, official_id: str) -> dict[str, str]:
        """Authorization header for a seeded official, from the local user pool."""
        status, body = self.call("POST", "/_local/token", {"official_id": official_id})
        assert status == 200, body
        return {"Authorization": f"Bearer {body['id_token']}"}

    def outbox(self) -> list[dict[str, Any]]:
        """Everything sent so far."""
        return self.call("GET", "/_local/outbox")[1]

    def wait_for(self, predicate: Any, timeout: float = 15.0, interval: float = 0.1) -> Any:
        """Poll until ``predicate()`` returns something truthy; that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(interval)


def start_stack(extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], Http]:
    """Start ``python -m local`` on free ports with the test directory; the process and a client."""
    child = start_local_stack(TEST_DIRECTORY, extra_env)
    aws = next(
        (line.split(" on ", 1)[1].strip() for line in child.output if "moto (AWS services) on" in line), None
    )
    return child.process, Http(child.base, aws, child.output)


def stop_stack(process: subprocess.Popen[str]) -> int | None:
    """Stop the stack as Ctrl-C or a service manager would (SIGTERM); its exit code."""
    return LocalProcess(process, "").stop()


@pytest.fixture(scope="session")
def stack() -> Iterator[Http]:
    """The local stack on free ports with the test directory, stopped at the end of the session."""
    process, http = start_stack()
    try:
        yield http
    finally:
        stop_stack(process)
