"""``python -m local`` hears Ctrl-C whichever of its threads the kernel hands the signal to."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Given a process whose main thread waits for the stop signal while other threads run, and a
# signal taken by one of those threads (as the kernel may choose under load)
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from local.__main__ import wait_for_stop_signal

    def take_the_signal():
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), getattr(signal, sys.argv[1]))

    threading.Thread(target=take_the_signal, daemon=True).start()
    wait_for_stop_signal()
    print("stopping", flush=True)
    """
)


def run_until_signal(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_ctrl_c_taken_by_another_thread_still_stops_the_stack():
    # When SIGINT reaches a thread other than the main one
    result = run_until_signal("SIGINT")
    # Then the wait ends (an untimed wait would sleep through it: the run would time out)
    assert result.returncode == 0 and result.stdout == "stopping\n", result.stderr


def test_sigterm_taken_by_another_thread_still_stops_the_stack():
    result = run_until_signal("SIGTERM")
    assert result.returncode == 0 and result.stdout == "stopping\n", result.stderr
