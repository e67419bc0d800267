"""``python -m local``: run the whole pipeline on this machine until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
import warnings

from local.stack import LocalConfig, LocalStack


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
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    print("[lapor] stopping…", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
