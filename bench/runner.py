"""``python -m bench``: run the benchmarks, print a table, write bench/results.json.

Every benchmark runs in its own fresh process (``bench.worker``), one after the other, so they do
not disturb each other; handler logs go to bench/out/<name>.log, progress to the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.environment import OUT_DIR, ROOT
from bench.figures import Figure, table
from bench.options import Options
from bench.worker import BENCHMARKS

RESULTS = ROOT / "bench" / "results.json"
PARTIAL_RESULTS = OUT_DIR / "results.partial.json"
WORKER_TIMEOUT_SECONDS = 2_400  # the load benchmark waits up to twice its load_timeout
# Benchmarks that take longer by design: contention runs the load three times beside CPU burners.
LONG_WORKER_TIMEOUT_SECONDS = {"contention": 3 * 2 * 1_800 + 600}

DESCRIPTION = """\
Measure the pipeline on this machine, print a table and write the figures as JSON.

benchmarks (in run order):
  layer_size         size of the built layer asset in cdk.out (skipped without `make synth`)
  cold_import        import time of each function's entry module vs `import boto3` (fresh processes)
  deployed_import    the same as deployed: layer built like the stack's, read-only, runtime's Python
  warm_intake        warm POST /reports handler time vs a bare put_item, in-process moto
  dynamodb_requests  DynamoDB requests per report, and what 1,000 reports cost by service (report_cost)
  sla_scan           one SLA run against N open reports of which 50 are due: items read, requests, time
  accountability     GET /stats at 1k/10k/100k reports (p50, requests), evaluation at 10k, export at 100k
  inbox              GET /inbox per scope for an agency with 50 and 5,000 open reports: p50/p95, requests
  latency            the local stack over HTTP at 5, 20 and 50 reports/s: submit -> dispatched, -> email
  load               2,000 reports at once over HTTP: throughput, every message sent exactly once
  contention         the same load three times in a row beside CPU burners on both cores: nothing lost
"""


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("give comma-separated integers, e.g. 2000,20000,100000") from None
    if not sizes or any(size < 100 for size in sizes):
        raise argparse.ArgumentTypeError("each size must be at least 100 (50 reports are due in each)")
    return tuple(sorted(sizes))


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    return names


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run of everything in about a minute"
    )
    parser.add_argument(
        "--only",
        type=_names,
        action="extend",
        metavar="NAME[,NAME]",
        help="run only these benchmarks (repeatable)",
    )
    parser.add_argument(
        "--sla-sizes",
        type=_sizes,
        metavar="N,N,...",
        help="open-report counts for sla_scan (default 2000,20000,50000; --quick 500,2000)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the JSON (default {RESULTS.relative_to(ROOT)} for a full run, "
        f"{PARTIAL_RESULTS.relative_to(ROOT)} with --quick or --only)",
    )
    return parser


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "commit": commit,
    }


def _run_worker(name: str, options: Options) -> tuple[list[Figure], float]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log = OUT_DIR / f"{name}.log"
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out, log.open("w") as log_file:
        out_path = Path(out.name)
    try:
        with log.open("w") as log_file:
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            }
            env.pop("AWS_PROFILE", None)  # benchmarks never reach a real account
            result = subprocess.run(
                [sys.executable, "-m", "bench.worker", name, json.dumps(options.as_json()), str(out_path)],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                timeout=LONG_WORKER_TIMEOUT_SECONDS.get(name, WORKER_TIMEOUT_SECONDS),
                check=False,
            )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"exited with {result.returncode} (see its traceback above; logs in {log})")
        figures = [Figure.from_json(f) for f in json.loads(out_path.read_text())]
        return figures, elapsed
    finally:
        out_path.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks; exit 1 if any could not run (a missed target is a result, not an error)."""
    args = build_parser().parse_args(argv)
    options = Options.quick_run() if args.quick else Options()
    if args.sla_sizes:
        options = Options.from_json({**options.as_json(), "sla_sizes": args.sla_sizes})
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    partial = args.quick or bool(args.only)
    output = args.output or (PARTIAL_RESULTS if partial else RESULTS)

    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    print(
        f"[bench] running {', '.join(names)}{' (quick)' if args.quick else ''}", file=sys.stderr, flush=True
    )
    figures: list[Figure] = []
    timings: dict[str, float] = {}
    failed = []
    for name in names:
        print(f"[bench] === {name} ===", file=sys.stderr, flush=True)
        try:
            measured, elapsed = _run_worker(name, options)
        except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as error:
            print(f"[bench] {name} failed: {error}", file=sys.stderr, flush=True)
            failed.append(name)
            figures.append(Figure(name, "(benchmark failed)", None, "", error=True, note=str(error)))
            continue
        timings[name] = round(elapsed, 1)
        figures += measured
        print(f"[bench] {name} done in {elapsed:.0f} s", file=sys.stderr, flush=True)
    duration = time.perf_counter() - started

    statuses = [f.status for f in figures]
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 1),
        "seconds_per_benchmark": timings,
        "machine": {**_machine(), "load_average_before": load_before},
        "options": options.as_json(),
        "partial": partial,
        "summary": {s: statuses.count(s) for s in ("pass", "fail", "info", "skipped", "error")},
        "figures": [f.as_json() for f in figures],
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    print()
    print(table(figures))
    print()
    summary = ", ".join(f"{count} {status}" for status, count in document["summary"].items() if count)
    print(f"{summary} — {duration:.0f} s in all; written to {output}")
    print(
        f"load average (1 min) {load_before[0]} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs: "
        "other work on this machine slows the latency figures most"
    )
    return 1 if failed else 0
