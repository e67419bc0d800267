"""(g) Contention: the 2,000-report load, three times in a row, while CPU burners hold both cores.

Issue 19's lost message appeared only on a busy machine: two more processes spinning on the two
cores stretch every critical section of the local stack (moto's queue and table code included) and
make rare interleavings common. Each round starts the burners, a fresh local stack, files the load,
waits for every message (a stall is reported at once, naming the lost message), then stops both.

Figures per round: messages missing and sent twice (target 0), and how long the round took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.environment import progress
from bench.figures import Figure
from bench.load import run_load
from bench.options import Options

NAME = "contention"
BURNERS = 2  # one per core of the machines this project runs on
BURN = "while True: pass"


@contextmanager
def cpu_burners(count: int = BURNERS) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` processes spinning on a core each, stopped (killed) when the block ends."""
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(count)]
    try:
        yield burners
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait(timeout=10)


def run(options: Options) -> list[Figure]:
    """``options.contention_rounds`` loads of ``options.load_reports`` reports, each beside the burners."""
    figures: list[Figure] = []
    failed_rounds = 0
    for round_number in range(1, options.contention_rounds + 1):
        label = f"{NAME} {round_number}/{options.contention_rounds}"
        started = time.monotonic()
        with cpu_burners() as burners:
            progress(label, f"{len(burners)} CPU burners running (pids {[b.pid for b in burners]})")
            result = run_load(options.load_reports, options.contention_timeout, label=label)
            still_burning = all(b.poll() is None for b in burners)
        seconds = time.monotonic() - started
        lost_or_twice = result.missing + len(result.duplicates) + result.counts.stray + result.not_created
        failed_rounds += lost_or_twice > 0 or not still_burning
        figures += [
            Figure(
                NAME,
                f"round {round_number}: {result.count} reports beside {BURNERS} CPU burners, messages missing",
                result.missing,
                "messages",
                target=0,
                note=(result.stalled or f"all messaged after {result.messaged_after or float('nan'):.0f} s")[
                    :300
                ],
                detail={
                    "round_seconds": round(seconds, 1),
                    "dispatched_after": result.dispatched_after,
                    "messaged_after": result.messaged_after,
                    "filed_per_second": round(result.count / result.filing.seconds, 1),
                    "burners_ran_throughout": still_burning,
                    "cpus": os.cpu_count(),
                },
            ),
            Figure(
                NAME,
                f"round {round_number}: reports messaged twice, messages to anyone else, answers not 201",
                len(result.duplicates) + result.counts.stray + result.not_created,
                "reports",
                target=0,
            ),
        ]
    figures.append(
        Figure(
            NAME,
            f"rounds with a message lost or doubled, of {options.contention_rounds} in a row",
            failed_rounds,
            "rounds",
            target=0,
        )
    )
    return figures
