"""Schemathesis 4 against the local stack's own OpenAPI document (``GET /openapi.json``).

The CLI runs in a subprocess: it runs every phase — coverage (boundary values, missing and wrong
parameters, unexpected methods), fuzzing and stateful sequences that follow the inferred links from
``POST /reports`` to the report's other operations with real tracking codes — with one seed, one
worker, a bounded number of examples and no example database, writing its artifacts to a temporary
directory. Every request carries an official's bearer token, so the officials' routes are reached.

Checks: ``not_a_server_error``, ``response_schema_conformance``, ``content_type_conformance`` and
``negative_data_rejection``. Failures are read from the run's NDJSON event stream. Bugs already
pinned elsewhere are named in ``KNOWN``; anything else fails the run. The stack is a logged one of
this module's own: a schemathesis run writes far more than a pipe buffer (64 kB) of log lines and
tracebacks, and a dropped connection is attributed from the stack's traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_canary import LoggedStack, start_logged_stack

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "content_type_conformance",
    "negative_data_rejection",
)
MAX_EXAMPLES = 30
SEED = 20261129
# GET/POST /reports…, /categories, /regions, /messages, /uploads, /stats, /inbox, /inbox/summary, /me,
# /officials, /agencies, /auth/config, feedback, actions, attachments, a report's timeline; Open311's
# discovery, services, a service's definition, GET and POST requests, one request and a token
OPERATIONS = 24


@dataclass(frozen=True)
class Failure:
    """One failed check on one generated case."""

    phase: str
    operation: str
    check: str
    method: str
    path: str
    status: int | None
    case_id: str

    def __str__(self) -> str:
        return (
            f"[{self.phase}] {self.operation}: {self.check} failed on {self.method} {self.path} "
            f"→ {self.status} (case {self.case_id})"
        )


@dataclass
class SchemathesisRun:
    """The CLI's exit code and output, its JSON report, and what its event stream recorded."""

    returncode: int
    output: str
    report: dict[str, Any]
    failures: list[Failure]
    non_fatal_errors: list[dict[str, Any]]
    stack: LoggedStack
    workdir: Path

    def failures_section(self) -> str:
        """The human-readable FAILURES / ERRORS part of the CLI output."""
        start = min(
            (i for i in (self.output.find("= ERRORS ="), self.output.find("= FAILURES =")) if i >= 0),
            default=0,
        )
        return self.output[max(start - 40, 0) :][:20_000]


def _events(report_dir: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(report_dir.glob("*.ndjson")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def _failures(event: dict[str, Any]) -> Iterator[Failure]:
    finished = event["ScenarioFinished"]
    recorder = finished.get("recorder") or {}
    for case_id, checks in (recorder.get("checks") or {}).items():
        for check in checks:
            if check.get("status") != "failure":
                continue
            case = recorder["cases"][case_id]["value"]
            response = (recorder.get("interactions") or {}).get(case_id, {}).get("response") or {}
            yield Failure(
                phase=finished.get("phase") or "?",
                operation=recorder.get("label", "?"),
                check=check["name"],
                method=case["method"].upper(),
                path=case["path"],
                status=response.get("status_code"),
                case_id=case_id,
            )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemathesisRun]:
    """One schemathesis run against a fresh logged stack."""
    workdir = tmp_path_factory.mktemp("schemathesis")
    report_dir = workdir / "report"
    with start_logged_stack(workdir / "stack.log") as stack:
        token = stack.token("kemenkes-admin")["Authorization"]
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{stack.http.base}/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--continue-on-failure",
            "--request-timeout",
            "30",
            "--header",
            f"Authorization: {token}",
            "--report",
            "json,ndjson",
            "--report-dir",
            str(report_dir),
            "--no-color",
        ]
        env = os.environ | {"HYPOTHESIS_STORAGE_DIRECTORY": str(workdir / ".hypothesis"), "NO_COLOR": "1"}
        # Run inside the temporary directory: the CLI creates .hypothesis/ and .schemathesis/ in its cwd.
        completed = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        output = completed.stdout + completed.stderr
        (workdir / "schemathesis.out").write_text(output, encoding="utf-8")
        reports = sorted(report_dir.glob("*.json"))
        assert reports, f"schemathesis wrote no report (exit {completed.returncode}):\n{output[-5000:]}"
        failures: list[Failure] = []
        non_fatal: list[dict[str, Any]] = []
        for event in _events(report_dir):
            if "ScenarioFinished" in event:
                failures.extend(_failures(event))
            elif "NonFatalError" in event:
                non_fatal.append(event["NonFatalError"])
        yield SchemathesisRun(
            returncode=completed.returncode,
            output=output,
            report=json.loads(reports[-1].read_text(encoding="utf-8")),
            failures=failures,
            non_fatal_errors=non_fatal,
            stack=stack,
            workdir=workdir,
        )


def test_every_operation_and_phase_was_exercised(run: SchemathesisRun):
    # Guard against a vacuous pass: the document loaded, all operations ran, in every phase.
    report = run.report
    assert report["complete"], run.output[-3000:]
    assert report["operations"]["total"] == OPERATIONS, report["operations"]
    assert report["operations"]["tested"] == OPERATIONS, report["operations"]
    for phase in ("coverage", "fuzzing", "stateful"):
        assert report["phases"][phase]["status"] != "skip", report["phases"]
    assert report["test_cases"]["generated"] >= OPERATIONS * MAX_EXAMPLES, report["test_cases"]
    # The officials' routes were reached with the token (not answered 401 throughout).
    assert "missing_auth" not in report["warnings"] or not report["warnings"]["missing_auth"]


def test_no_check_fails(run: SchemathesisRun):
    assert not run.failures, "\n".join(map(str, run.failures)) + "\n\n" + run.failures_section()


def test_no_error_and_no_crash(run: SchemathesisRun):
    # A dropped connection would be a crash of the stack, with its traceback in the stack's log.
    crashes = run.stack.project_tracebacks()
    assert not crashes, "\n\n".join(text[-3000:] for _, text in crashes)
    assert not run.non_fatal_errors, json.dumps(run.non_fatal_errors, indent=1)[:5000]


def test_exit_code_matches_the_failures(run: SchemathesisRun):
    # Exit 0 exactly when nothing failed or errored: the CLI's verdict and ours agree.
    clean = not run.failures and not run.non_fatal_errors and not run.report.get("errors")
    assert (run.returncode == 0) == clean, (run.returncode, run.failures_section())
