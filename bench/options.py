"""What a benchmark run measures and how much: the full run's sizes, or --quick's small ones."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Options:
    """Sizes of one run, passed to every worker process."""

    quick: bool = False
    import_runs: int = 9  # fresh processes per module (median taken), after one unmeasured warm-up
    deployed_pairs: int = 21  # deployed_import: boto3-then-function pairs per function (median ratio)
    intake_warmup: int = 30
    intake_calls: int = 300
    latency_reports: int = 200
    latency_rates: tuple[float, ...] = (5.0, 20.0, 50.0)  # reports per second, one phase each
    latency_timeout: float = 30.0  # seconds to wait for the last reports after submitting
    requests_reports: int = 50
    load_reports: int = 2_000
    load_timeout: float = 900.0  # seconds to wait for dispatch, then again for the messages
    contention_rounds: int = 3  # the load, in a row, each beside CPU burners on every core
    contention_timeout: float = 1_800.0  # the burners halve the stack's share of the machine
    sla_sizes: tuple[int, ...] = (2_000, 20_000, 50_000)  # 100_000 takes about 5 more minutes
    sla_due: int = 50
    stats_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)  # reports of one month for GET /stats
    evaluation_reports: int = 10_000
    inbox_sizes: tuple[int, ...] = (50, 5_000)  # open reports of one agency: small, then large
    inbox_calls: int = 5  # per question and size: moto takes seconds per GSI Query at 5,000

    @classmethod
    def quick_run(cls, **overrides: Any) -> Options:
        """Small sizes for a smoke run (about a minute)."""
        values: dict[str, Any] = {
            "quick": True,
            "import_runs": 3,
            "deployed_pairs": 3,
            "intake_warmup": 5,
            "intake_calls": 30,
            "latency_reports": 20,
            "latency_rates": (10.0,),
            "latency_timeout": 20.0,
            "requests_reports": 10,
            "load_reports": 100,
            "load_timeout": 300.0,
            "contention_rounds": 1,
            "contention_timeout": 300.0,
            "sla_sizes": (500, 2_000),
            "sla_due": 50,
            "stats_sizes": (1_000, 5_000),
            "evaluation_reports": 1_000,
            "inbox_sizes": (50, 500),
            "inbox_calls": 5,
        }
        values.update(overrides)
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Options:
        """Options read back in a worker."""
        values = dict(data)
        for key in ("latency_rates", "sla_sizes", "inbox_sizes", "stats_sizes"):
            values[key] = tuple(values[key])
        return cls(**values)
