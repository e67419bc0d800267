"""One benchmark in a fresh interpreter: ``python -m bench.worker NAME OPTIONS_JSON OUT_JSON``.

Each benchmark gets its own process so in-process moto, the local stack and cached clients of one
never leak into another, and import-time state is the same for all of them.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

from bench.options import Options

# Benchmark name -> "module:function" taking Options and returning figures, in the order a full run
# takes them.
BENCHMARKS = {
    "layer_size": "bench.layer_size:run",
    "cold_import": "bench.cold_import:run",
    "deployed_import": "bench.deployed_import:run",
    "warm_intake": "bench.warm_intake:run",
    "dynamodb_requests": "bench.dynamodb_requests:run",
    "sla_scan": "bench.sla_scan:run",
    "accountability": "bench.accountability:run",
    "inbox": "bench.inbox:run",
    "latency": "bench.latency:run",
    "load": "bench.load:run",
    "contention": "bench.contention:run",
}


def main(argv: list[str]) -> int:
    """Run one benchmark and write its figures as JSON."""
    name, options_json, out = argv
    # powertools warns on every invocation that publishes no metric (metrics are disabled here).
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    options = Options.from_json(json.loads(options_json))
    module, function = BENCHMARKS[name].split(":")
    figures = getattr(importlib.import_module(module), function)(options)
    Path(out).write_text(json.dumps([f.as_json() for f in figures], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
