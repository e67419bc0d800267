"""``validate-directory`` and ``load-directory``: check a directory file, then store it in a stack."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from lapor.adapters.directory_file import load_directory_file
from lapor.domain.directory import Directory, DirectoryError, Role
from lapor.domain.workdays import joint_leave_gaps, wib_date
from ops.command import OK, Command, Console, OpsError
from ops.targets import (
    LOCAL_PREFIX,
    OUTPUT_DIRECTORY_TABLE,
    AwsTarget,
    add_connection_arguments,
    require_output,
    stack_outputs,
)

CACHE_NOTE = (
    "Warm functions pick the new directory up within LAPOR_DIRECTORY_CACHE_SECONDS (60 s by default); "
    "new cold starts use it at once."
)
COUNTERS_NOTE = "Officials' open-report counters are stored apart from the directory and were not changed."


def read_directory(path: Path, console: Console) -> Directory:
    """Parse and validate ``path``; every problem goes to the console and raises OpsError."""
    try:
        return load_directory_file(path)
    except FileNotFoundError:
        raise OpsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise OpsError(f"{path}: is a folder, not a directory file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OpsError(f"{path}: cannot read it: {error}") from None
    except DirectoryError as error:
        console.problem(f"{path}: {len(error.problems)} problem(s), nothing was loaded:")
        for problem in error.problems:
            console.problem(f"  - {problem}")
        raise OpsError(f"{path} is not a valid directory") from None


def summary_lines(directory: Directory) -> list[str]:
    """What a directory holds, in a few aligned lines."""
    active = [o for o in directory.officials if o.active]
    roles = Counter(o.role for o in active)
    inactive = len(directory.officials) - len(active)
    admin = directory.officials_by_id[directory.national_admin]
    generic = [c.code for c in directory.categories if c.generic]
    tracks = []
    for name, track in directory.tracks.items():
        text = (
            f"{name}: verify {track.verify_days}, follow up {track.follow_up_days} working days; "
            f"resolve {track.resolve_days} days"
        )
        if track.keywords:
            text += f"; {len(track.keywords)} keywords"
        if track.cc:
            text += f"; cc {', '.join(track.cc)}"
        tracks.append(text)
    lines = [
        f"  national admin  {admin.id} ({admin.name}, {admin.agency})",
        f"  agencies        {len(directory.agencies)}",
        "  officials       "
        + f"{len(active)} active ("
        + ", ".join(f"{role.value} {roles.get(role, 0)}" for role in Role)
        + ")"
        + (f", {inactive} inactive" if inactive else ""),
        f"  categories      {len(directory.categories)}"
        + (f" (generic: {', '.join(generic)})" if generic else ""),
        *(f"  {'tracks' if i == 0 else '':<16}{text}" for i, text in enumerate(tracks)),
        f"  calendar        {len(directory.calendar.extra_holidays)} extra holidays, "
        f"{len(directory.calendar.extra_working_days)} extra working days",
    ]
    return lines


def routing_notes(directory: Directory) -> list[str]:
    """Valid but worth knowing: agencies whose reports fall back past their liaisons."""
    notes = []
    for agency in directory.agencies:
        if directory.officials_of(agency.code, Role.LIAISON):
            continue
        if directory.officials_of(agency.code, Role.ADMIN):
            notes.append(f"{agency.code} has no active liaison: its reports go to its admins")
        else:
            notes.append(
                f"{agency.code} has no active liaison or admin: its reports go to the national admin"
            )
    return notes


def calendar_warnings(directory: Directory, now: datetime | None = None) -> list[str]:
    """This year and next year without joint-leave days (cuti bersama) in the calendar, as warnings."""
    today = wib_date(now or datetime.now(UTC))
    return [
        f"the holiday calendar has no joint-leave days (cuti bersama) for {year}: deadlines in {year} would "
        "run through days government offices are closed. When the decree is out, add its days to "
        "calendar.extra_holidays (docs/operations.md, 'Next year's calendar'), or upgrade the holidays "
        "package once it has them."
        for year in joint_leave_gaps(today, directory.calendar.extra_holidays)
    ]


def _warn(directory: Directory, console: Console) -> None:
    for warning in calendar_warnings(directory):
        console.problem(f"warning: {warning}")


# ---- validate-directory ---------------------------------------------------------------------------


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="directory file (YAML or JSON)")


def _run_validate(args: argparse.Namespace, console: Console) -> int:
    directory = read_directory(args.file, console)
    console.result(f"{args.file} is valid")
    for line in summary_lines(directory):
        console.result(line)
    for note in routing_notes(directory):
        console.result(f"  note: {note}")
    if directory.demo:
        console.result("  note: marked `demo: true`: only the local stack loads it")
    _warn(directory, console)
    return OK


VALIDATE_DIRECTORY = Command(
    name="validate-directory",
    help="check a directory file and summarise it (nothing is stored)",
    description=(
        "Parse and validate a directory file: every cross-reference (agencies, officials, categories, "
        "tracks) is checked. Prints a summary, or every problem naming its entry and exits 1."
    ),
    configure=_configure_validate,
    run=_run_validate,
    epilog="example: python -m ops validate-directory local/directory.demo.yaml",
)


# ---- load-directory -------------------------------------------------------------------------------


def _configure_load(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="directory file (YAML or JSON)")
    which = parser.add_argument_group("table (one of --stack, --table or --local)")
    exclusive = which.add_mutually_exclusive_group()
    exclusive.add_argument(
        "--stack", metavar="NAME", help=f"deployed stack; its {OUTPUT_DIRECTORY_TABLE} output names the table"
    )
    exclusive.add_argument("--table", metavar="NAME", help="directory table name")
    add_connection_arguments(
        parser,
        local_help=(
            f"the local stack (`make local`): table {LOCAL_PREFIX}-directory on http://127.0.0.1:5000 "
            "(LAPOR_AWS_PORT), no credentials needed"
        ),
    )


def _resolve_table(args: argparse.Namespace, target: AwsTarget, console: Console) -> str:
    if args.table:
        return str(args.table)
    if args.stack:
        console.progress(f"reading the outputs of stack {args.stack} in {target.describe()}")
        outputs = stack_outputs(target, args.stack)
        return require_output(outputs, OUTPUT_DIRECTORY_TABLE, args.stack)
    return f"{LOCAL_PREFIX}-directory"


def _run_load(args: argparse.Namespace, console: Console) -> int:
    from ops.directory_ops import load_into

    if not (args.stack or args.table or args.local):
        raise OpsError("say where to load it: --stack NAME, --table NAME or --local", exit_code=2)
    if args.local and (args.stack or args.table):
        raise OpsError(
            "--local names the local stack's table; do not combine it with --stack/--table", exit_code=2
        )

    console.progress(f"validating {args.file}")
    directory = read_directory(args.file, console)  # before any AWS call: a bad file never gets near a stack
    if directory.demo and not (args.local or args.endpoint_url):
        raise OpsError(
            f"{args.file} is a demo directory (`demo: true`): its people are invented and its addresses "
            "reach no one, so it is never loaded into a deployed stack. Load your agencies' directory "
            "instead (start from a copy of the demo, with `demo: true` removed), or use --local."
        )
    _warn(directory, console)
    target = AwsTarget.from_args(args)
    table = _resolve_table(args, target, console)
    console.progress(f"storing it in table {table} ({target.describe()})")
    loaded, digest = load_into(args.file, table=table, client=target.client("dynamodb"))
    console.result(f"loaded {args.file} into {table} ({target.describe()})")
    console.result(f"  content sha256  {digest}")
    for line in summary_lines(loaded or directory):
        console.result(line)
    console.result(CACHE_NOTE)
    console.result(COUNTERS_NOTE)
    return OK


LOAD_DIRECTORY = Command(
    name="load-directory",
    help="validate a directory file and make it the current directory of a stack",
    description=(
        "Validate a directory file, then store it as the current directory in a stack's directory "
        "table. Officials' open-report counters are kept. Deployed stacks are reached with your own "
        "AWS credentials."
    ),
    configure=_configure_load,
    run=_run_load,
    epilog=(
        "examples:\n"
        "  python -m ops load-directory directory.yaml --stack Lapor-prod\n"
        "  python -m ops load-directory directory.yaml --table lapor-prod-directory --region ap-southeast-3\n"
        "  python -m ops load-directory local/directory.demo.yaml --local"
    ),
)
