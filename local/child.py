"""The local stack as a child process (``python -m local`` on free ports), for tests and benchmarks.

A separate process gives the stack its own interpreter, as ``make local`` runs it: a load generator
in the caller's process then competes with it for cores, not for one GIL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 120


@dataclass
class LocalProcess:
    """A running ``python -m local``, its base URL and everything it printed."""

    process: subprocess.Popen[str]
    base: str
    output: list[str] = field(default_factory=list)

    def stop(self) -> int | None:
        """Stop it as Ctrl-C or a service manager would (SIGTERM); its exit code (None if killed)."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return None


def start_local_stack(
    directory: Path, extra_env: dict[str, str] | None = None, *, new_session: bool = False
) -> LocalProcess:
    """Start the stack with ``directory`` on free ports, without the SLA schedule; wait until it is ready.

    ``new_session`` puts it in a process group of its own, as a terminal does with its foreground job
    (so a test can send the group a Ctrl-C).
    """
    env = (
        dict(os.environ)
        | {
            "LAPOR_PORT": "0",
            "LAPOR_AWS_PORT": "0",
            "LAPOR_SLA_INTERVAL": "0",
            "LAPOR_DIRECTORY": str(directory),
            "PYTHONUNBUFFERED": "1",
        }
        | (extra_env or {})
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCOUNT_ID_ENDPOINT_MODE", "AWS_PROFILE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
    )
    base = None
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + READY_SECONDS
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
    # tracebacks) and the stack then blocks on its next print.
    threading.Thread(target=lines.extend, args=(process.stdout,), name="stack-output", daemon=True).start()
    return LocalProcess(process, base, lines)
