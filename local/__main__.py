"""``python -m local``: run the whole pipeline on this machine until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
import warnings

from local.stack import LocalConfig, LocalStack

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SIGNAL_CHECK_SECONDS = 0.5


def wait_for_stop_signal() -> None:
    """Return once Ctrl-C (SIGINT) or SIGTERM arrives.

    The kernel may hand a process's signal to any of its threads. Python then runs the handler in
    the main thread, but only when that thread runs bytecode again: an untimed wait on a lock is
    never woken, and the stack would sleep through Ctrl-C. So the wait wakes up twice a second.
    """
    stopped = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(SIGNAL_CHECK_SECONDS):
        pass
    # A second Ctrl-C while the stack stops interrupts the stop, as it did before.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def main() -> int:
    """Start the stack, print where it listens, stop cleanly on Ctrl-C or SIGTERM."""
    # Each invocation without a metric (a GET, say) would print this warning; it is expected.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    config = LocalConfig.from_env()
    stack = LocalStack(config, log=lambda line: print(f"[lapor] {line}", flush=True))
    try:
        stack.start()
    except OSError as error:
        print(
            f"[lapor] cannot start: {error} (is another stack running? set LAPOR_PORT / LAPOR_AWS_PORT)",
            file=sys.stderr,
        )
        stack.stop()
        return 1
    print(
        f"[lapor] ready: submit at {stack.url}/ , track at {stack.url}/track.html , "
        f"API {stack.url}/openapi.json , outbox {stack.url}/_local/outbox — Ctrl-C to stop",
        flush=True,
    )
    wait_for_stop_signal()
    print("[lapor] stopping…", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
