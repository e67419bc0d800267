"""``rebuild-stats`` and ``evaluation``: recount the statistics from the table; run and print an evaluation."""

from __future__ import annotations

import argparse
import json
import os
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from lapor.adapters.aggregates import AggregateStore
from lapor.adapters.repository import ReportRepository
from lapor.app.evaluation import FIGURES, NATIONAL, evaluation_keys
from lapor.app.tally import rebuild_stats
from ops.command import OK, Command, Console, OpsError
from ops.targets import LOCAL_PREFIX, AwsTarget, add_connection_arguments, require_output, stack_outputs

OUTPUT_REPORTS_TABLE = "ReportsTableName"
OUTPUT_DIRECTORY_TABLE = "DirectoryTableName"
OUTPUT_AGGREGATES_TABLE = "AggregatesTableName"
OUTPUT_EVALUATION_FUNCTION = "EvaluationFunctionName"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _where(parser: argparse.ArgumentParser, local_help: str) -> None:
    parser.add_argument("--stack", metavar="NAME", help="the deployed stack, e.g. Lapor-prod")
    add_connection_arguments(parser, local_help=local_help)


def _target(args: argparse.Namespace) -> AwsTarget:
    if bool(args.stack) == bool(args.local):
        raise OpsError("name the stack one way: --stack NAME or --local", exit_code=2)
    return AwsTarget.from_args(args)


# ---- rebuild-stats -------------------------------------------------------------------------------


def _configure_rebuild(parser: argparse.ArgumentParser) -> None:
    _where(parser, f"the local stack's tables ({LOCAL_PREFIX}-reports, {LOCAL_PREFIX}-aggregates)")


def _run_rebuild(args: argparse.Namespace, console: Console) -> int:
    target = _target(args)
    if args.local:
        reports_table, directory_table = f"{LOCAL_PREFIX}-reports", f"{LOCAL_PREFIX}-directory"
        aggregates_table = f"{LOCAL_PREFIX}-aggregates"
    else:
        outputs = stack_outputs(target, args.stack)
        reports_table = require_output(outputs, OUTPUT_REPORTS_TABLE, args.stack)
        directory_table = require_output(outputs, OUTPUT_DIRECTORY_TABLE, args.stack)
        aggregates_table = require_output(outputs, OUTPUT_AGGREGATES_TABLE, args.stack)
    dynamodb = target.client("dynamodb")
    reports = ReportRepository(reports_table, directory_table, due_shards=1, client=dynamodb)
    store = AggregateStore(aggregates_table, client=dynamodb)
    console.progress(f"recounting every report of {reports_table} in {target.describe()}")
    summary = rebuild_stats(reports.all_reports(), store=store, last_year=datetime.now(UTC).year + 1)
    console.result(
        f"recounted {summary.reports} reports into {summary.items} agency-month counters; "
        f"removed {summary.removed} that no report holds any more"
    )
    return OK


REBUILD_STATS = Command(
    name="rebuild-stats",
    help="recount the public statistics from the reports table (existing data, after a directory change)",
    description=(
        "Reads every report of the reports table (one Scan) and replaces the statistics counters of the "
        "aggregates table with the recount; GET /stats reads them. Run it once after deploying this version "
        "over existing reports, after a directory change that renamed or removed agencies, or if the counters "
        "ever drift. Run it at a quiet time: a report changed while it runs may be counted as it was when "
        "read. The officials' evaluation counters are not recounted: they record who did what when."
    ),
    configure=_configure_rebuild,
    run=_run_rebuild,
    epilog="examples:\n  python -m ops rebuild-stats --stack Lapor-prod\n  python -m ops rebuild-stats --local",
)


# ---- evaluation ----------------------------------------------------------------------------------


def _configure_evaluation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", required=True, metavar="YYYY-MM", help="the month to evaluate")
    parser.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    _where(parser, "the local stack (make local), through POST /_local/jobs/evaluation")


def _run_job_local(period: str) -> dict[str, Any]:
    port = os.environ.get("LAPOR_PORT") or "8080"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_local/jobs/evaluation",
        data=json.dumps({"period": period}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - the local stack
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise OpsError(f"the local stack refused the evaluation: {error.read().decode()[:300]}") from None
    except OSError as error:
        raise OpsError(
            f"cannot reach the local stack on port {port}: is `make local` running? ({error})"
        ) from None


def _run_job_deployed(target: AwsTarget, function: str, period: str) -> dict[str, Any]:
    response = target.client("lambda").invoke(
        FunctionName=function, Payload=json.dumps({"period": period}).encode()
    )
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        message = payload.get("errorMessage") if isinstance(payload, dict) else payload
        raise OpsError(f"the evaluation function failed: {message}")
    return payload


def _run_evaluation(args: argparse.Namespace, console: Console) -> int:
    if not _MONTH.match(args.period):
        raise OpsError("--period must be a month as YYYY-MM, e.g. 2026-11", exit_code=2)
    target = _target(args)
    console.progress(f"evaluating {args.period}")
    if args.local:
        result = _run_job_local(args.period)
    else:
        outputs = stack_outputs(target, args.stack)
        result = _run_job_deployed(
            target, require_output(outputs, OUTPUT_EVALUATION_FUNCTION, args.stack), args.period
        )
    _, national_key = evaluation_keys(args.period, NATIONAL)
    body = target.client("s3").get_object(Bucket=result["bucket"], Key=national_key)["Body"].read()
    document = json.loads(body)
    console.progress(
        f"{len(result['keys'])} files in s3://{result['bucket']}/evaluations/{args.period}/, {result.get('emails', 0)} emails sent"
    )
    if args.json:
        console.result(json.dumps(document, ensure_ascii=False, indent=2))
        return OK
    for line in evaluation_lines(document):
        console.result(line)
    return OK


def evaluation_lines(document: dict[str, Any]) -> list[str]:
    """The national evaluation document as aligned text: each agency, its officials and its total."""
    columns = ("assigned", "verified", "verified_on_time_pct", "followed_up_on_time_pct", "escalations_l1",
               "escalations_l2", "reopened", "average_rating", "open_at_end")  # fmt: skip
    assert set(columns) <= set(FIGURES)
    heads = (
        "assigned",
        "verified",
        "verify ok%",
        "follow ok%",
        "esc 1",
        "esc 2",
        "reopened",
        "rating",
        "open",
    )
    lines = [f"evaluation {document['period']}", ""]
    header = f"  {'official':<28}" + "".join(f"{h:>11}" for h in heads)
    for agency in document["agencies"]:
        info = agency["agency"]
        lines += [f"{info['code']} — {info['name']} ({info.get('kind') or '-'})", header]
        rows = [(o["id"], o["figures"]) for o in agency["officials"]] + [("TOTAL", agency["totals"])]
        for label, figures in rows:
            cells = "".join(f"{'-' if figures[c] is None else figures[c]:>11}" for c in columns)
            lines.append(f"  {label:<28}{cells}")
        lines.append("")
    return lines


EVALUATION = Command(
    name="evaluation",
    help="run the monthly evaluation of admins and liaison officers for a month and print it",
    description=(
        "Runs the evaluation job for --period (the deployed evaluation function, or the local stack's): it "
        "writes evaluations/<YYYY-MM>/<AGENCY>.csv and .json to the data bucket and emails each agency's "
        "admins and supervisor and the national admin (each at most once per month). Then prints the figures "
        "per official and per agency."
    ),
    configure=_configure_evaluation,
    run=_run_evaluation,
    epilog=(
        "examples:\n  python -m ops evaluation --period 2026-11 --stack Lapor-prod\n"
        "  python -m ops evaluation --period 2026-11 --local"
    ),
)
