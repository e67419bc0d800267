"""End-to-end fixtures: the local stack in its own process (``python -m local``), spoken to over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_DIRECTORY = ROOT / "tests" / "data" / "directory.test.yaml"


@dataclass
class Http:
    """A tiny JSON client for the local stack."""

    base: str

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
    env = (
        os.environ
        | {
            "LAPOR_PORT": "0",
            "LAPOR_AWS_PORT": "0",
            "LAPOR_SLA_INTERVAL": "0",
            "LAPOR_DIRECTORY": str(TEST_DIRECTORY),
            "PYTHONUNBUFFERED": "1",
        }
        | (extra_env or {})
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCOUNT_ID_ENDPOINT_MODE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = None
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"API and web pages on (http://\S+)", line)
        if match:
            base = match.group(1)
        if line.startswith("[lapor] ready:"):
            break
    if base is None:
        process.kill()
        raise RuntimeError(f"local stack did not start (exit {process.poll()}):\n" + "".join(lines))
    # Keep reading after start-up: an unread pipe fills at 64 kB (about 60 reports at INFO, or a dozen
    # tracebacks) and the stack then blocks on its next print, hanging every later test.
    threading.Thread(target=lines.extend, args=(process.stdout,), name="stack-output", daemon=True).start()
    return process, Http(base)


def stop_stack(process: subprocess.Popen[str]) -> int | None:
    """Stop the stack as Ctrl-C or a service manager would (SIGTERM); its exit code."""
    process.terminate()
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return None


@pytest.fixture(scope="session")
def stack() -> Iterator[Http]:
    """The local stack on free ports with the test directory, stopped at the end of the session."""
    process, http = start_stack()
    try:
        yield http
    finally:
        stop_stack(process)
