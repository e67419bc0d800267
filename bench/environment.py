"""The process set-ups the benchmarks share: paths, Lambda-like environment, in-process moto."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER_DIR = ROOT / "layers" / "common" / "python"
FUNCTIONS = {
    "intake": ("functions/intake", "intake_app"),
    "route": ("functions/route", "route_app"),
    "sla_check": ("functions/sla_check", "sla_check_app"),
    "notify": ("functions/notify", "notify_app"),
    "tally": ("functions/tally", "tally_app"),
    "evaluation": ("functions/evaluation", "evaluation_app"),
    "export": ("functions/export", "export_app"),
}
DEMO_DIRECTORY = ROOT / "local" / "directory.demo.yaml"
REGION = "ap-southeast-3"
OUT_DIR = ROOT / "bench" / "out"

# Variables every Lapor function has on Lambda (values are placeholders: nothing is called at import).
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "POWERTOOLS_SERVICE_NAME": "lapor",
    "POWERTOOLS_METRICS_NAMESPACE": "Lapor",
    "LAPOR_REPORTS_TABLE": "lapor-bench-reports",
    "LAPOR_DIRECTORY_TABLE": "lapor-bench-directory",
    "LAPOR_IDEMPOTENCY_TABLE": "lapor-bench-idempotency",
    "LAPOR_NOTIFY_QUEUE_URL": "https://sqs.ap-southeast-3.amazonaws.com/123456789012/lapor-bench-notify",
    "LAPOR_SENDER_EMAIL": "no-reply@lapor.example",
}

# In-process moto: fake credentials, and botocore must not use account-id endpoints (moto 5.2 404s them).
MOTO_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_SERVICE_NAME": "lapor",
    "POWERTOOLS_METRICS_NAMESPACE": "Lapor",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def add_function_paths() -> None:
    """What Lambda puts on sys.path: the layer (/opt/python) and the functions' code roots."""
    for path in [LAYER_DIR, *(ROOT / d for d, _ in FUNCTIONS.values())]:
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


@dataclass
class MotoPipeline:
    """The pipeline's resources in in-process moto, with the demo directory loaded."""

    mock: Any
    session: Any
    resources: Any

    def stop(self) -> None:
        self.mock.stop()


def start_moto_pipeline(*, prefix: str = "lapor-bench", directory: Path = DEMO_DIRECTORY) -> MotoPipeline:
    """Start moto in this process, create the resources, load the directory, set the handlers' env.

    Call before any boto3 client exists (moto must be imported first or clients escape the mock).
    """
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(MOTO_ENVIRONMENT)
    import moto  # noqa: I001 - before boto3, so every client is mocked
    import boto3

    from local.resources import ResourceNames, create_resources

    add_function_paths()
    mock = moto.mock_aws()
    mock.start()
    session = boto3.session.Session()
    resources = create_resources(session, ResourceNames(prefix))
    os.environ.update(resources.environment(public_url="https://lapor.bench"))

    from ops.directory_ops import load_into

    load_into(directory, table=resources.names.directory_table)
    return MotoPipeline(mock=mock, session=session, resources=resources)


def progress(benchmark: str, line: str) -> None:
    """A progress line on stderr (stdout is reserved for the handlers' logs)."""
    print(f"[bench:{benchmark}] {line}", file=sys.stderr, flush=True)
