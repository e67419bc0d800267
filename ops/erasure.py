"""``erase-reporter``: erase one reporter's personal data across their reports (UU 27/2022)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from ops.command import FAILED, OK, Command, Console, OpsError
from ops.targets import LOCAL_PREFIX, AwsTarget, add_connection_arguments, require_output, stack_outputs

OUTPUT_REPORTS_TABLE = "ReportsTableName"
OUTPUT_DIRECTORY_TABLE = "DirectoryTableName"
OUTPUT_IDEMPOTENCY_TABLE = "IdempotencyTableName"
OUTPUT_UPLOADS_BUCKET = "UploadsBucketName"


def _configure(parser: argparse.ArgumentParser) -> None:
    who = parser.add_argument_group("whose data (at least one)")
    who.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="CODE",
        help="a tracking code of the reporter's (repeatable)",
    )
    who.add_argument("--email", metavar="ADDRESS", help="every report filed with this email address")
    who.add_argument(
        "--phone", metavar="NUMBER", help="every report filed with this mobile number (any shape)"
    )
    parser.add_argument(
        "--yes", action="store_true", help="erase without asking (the erasure cannot be undone)"
    )
    which = parser.add_argument_group("stack (--stack NAME or --local)")
    which.add_argument(
        "--stack", metavar="NAME", help="deployed stack; its outputs name the tables and bucket"
    )
    add_connection_arguments(parser, local_help=f"the local stack ({LOCAL_PREFIX}-* tables and bucket)")


def _resources(args: argparse.Namespace, target: AwsTarget, console: Console) -> dict[str, str]:
    if bool(args.stack) == bool(args.local):
        raise OpsError("name the stack one way: --stack NAME or --local", exit_code=2)
    if args.local:
        return {
            "reports": f"{LOCAL_PREFIX}-reports",
            "directory": f"{LOCAL_PREFIX}-directory",
            "idempotency": f"{LOCAL_PREFIX}-idempotency",
            "uploads": f"{LOCAL_PREFIX}-uploads",
        }
    console.progress(f"reading the outputs of stack {args.stack} in {target.describe()}")
    outputs = stack_outputs(target, args.stack)
    return {
        "reports": require_output(outputs, OUTPUT_REPORTS_TABLE, args.stack),
        "directory": require_output(outputs, OUTPUT_DIRECTORY_TABLE, args.stack),
        "idempotency": require_output(outputs, OUTPUT_IDEMPOTENCY_TABLE, args.stack),
        "uploads": require_output(outputs, OUTPUT_UPLOADS_BUCKET, args.stack),
    }


def _run(args: argparse.Namespace, console: Console, *, clients: dict[str, Any] | None = None) -> int:
    from lapor.adapters.repository import ReportRepository
    from lapor.adapters.uploads import UploadStore
    from lapor.app.erasure import erase_reporter
    from lapor.domain.contacts import normalize_phone
    from lapor.domain.ids import normalize_report_id

    if not (args.report or args.email or args.phone):
        raise OpsError("name the reporter: --report CODE, --email ADDRESS or --phone NUMBER", exit_code=2)
    codes = []
    for code in args.report:
        canonical = normalize_report_id(code)
        if canonical is None:
            raise OpsError(f"{code!r} is not a tracking code (e.g. 7KQ2-MX9R-TH4PW)", exit_code=2)
        codes.append(canonical)
    phone = None
    if args.phone:
        phone = normalize_phone(args.phone)
        if phone is None:
            raise OpsError(f"{args.phone!r} is not an Indonesian mobile number", exit_code=2)
    target = AwsTarget.from_args(args)
    names = _resources(args, target, console)
    clients = clients or {"dynamodb": target.client("dynamodb"), "s3": target.client("s3")}
    reports = ReportRepository(names["reports"], names["directory"], due_shards=8, client=clients["dynamodb"])
    if args.email or phone:
        console.progress("looking for the reporter's reports (a full read of the reports table)")
        codes += reports.reports_of_contact(
            email=args.email.strip().lower() if args.email else None, phone=phone
        )
    codes = list(dict.fromkeys(codes))
    if not codes:
        console.result("no report of this reporter was found; nothing to erase")
        return OK
    console.result(f"reports to erase the reporter's data from: {', '.join(codes)}")
    if not args.yes:
        answer = input("erase? this cannot be undone [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            console.problem("not erased")
            return FAILED
    summary = erase_reporter(
        codes,
        reports=reports,
        uploads=UploadStore(names["uploads"], client=clients["s3"]),
        counters_table=names["idempotency"],
        now=datetime.now(UTC),
    )
    console.result(
        f"erased: {len(summary.reports)} report(s), {summary.notes} note(s) or message(s) rewritten, "
        f"{summary.attachments} file(s) deleted, {summary.counters} counter(s) deleted"
    )
    for code in summary.missing:
        console.problem(f"no report {code}")
    return FAILED if summary.missing else OK


ERASE_REPORTER = Command(
    name="erase-reporter",
    help="erase one reporter's personal data from their reports (right to erasure, UU 27/2022)",
    description=(
        "Remove the reporter's name, email and phone from each of their reports, replace them by […] "
        "wherever they were typed into a title, description, timeline note, feedback comment or a queued "
        "message, delete the reports' attachments and the contact's daily counters. The reports, their "
        "status history and statistics stay, without anything that identifies the reporter. An internal "
        "timeline entry records the erasure. Find the reports by tracking code, or by the email or phone "
        "the reporter used (a full read of the reports table)."
    ),
    configure=_configure,
    run=_run,
    epilog=(
        "examples:\n"
        "  python -m ops erase-reporter --stack Lapor-prod --report 7KQ2-MX9R-TH4PW\n"
        "  python -m ops erase-reporter --stack Lapor-prod --email warga@example.com --phone 0812-3456-7890\n"
        "  python -m ops erase-reporter --local --email warga@example.com --yes"
    ),
)
