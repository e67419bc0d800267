"""``python -m ops <command>``: the operator's commands for a deployed or the local stack.

Each command is a ``Command`` record in its own module; add a new one to ``COMMANDS`` below.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence

from ops.accountability_commands import EVALUATION, REBUILD_STATS
from ops.command import FAILED, INTERRUPTED, Command, Console, OpsError
from ops.directory_commands import LOAD_DIRECTORY, VALIDATE_DIRECTORY
from ops.erasure import ERASE_REPORTER
from ops.identity_commands import SYNC_OFFICIALS
from ops.open311_commands import OPEN311_KEYS
from ops.redrive import REDRIVE_DLQ
from ops.targets import describe_aws_error

# The subcommands, in the order `--help` lists them.
COMMANDS: tuple[Command, ...] = (
    VALIDATE_DIRECTORY,
    LOAD_DIRECTORY,
    SYNC_OFFICIALS,
    OPEN311_KEYS,
    REDRIVE_DLQ,
    REBUILD_STATS,
    EVALUATION,
    ERASE_REPORTER,
)

EPILOG = """\
exit codes: 0 done, 1 failed (the message says why), 2 wrong usage, 130 interrupted.
`python -m ops COMMAND --help` describes a command."""


def build_parser(commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description=(
            "Operate a Lapor stack: its directory of agencies and officials, Open311 partners' keys, "
            "its queues and its statistics."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=textwrap.fill(command.description, 100),
            epilog=command.epilog or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Run one command; returns its exit code (argparse's own usage errors exit with 2)."""
    console = console or Console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) and usage errors (2), already printed by argparse
        return int(exit_.code or 0)
    try:
        return int(args.run(args, console))
    except OpsError as error:
        console.problem(f"error: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        console.problem("interrupted")
        return INTERRUPTED
    except Exception as error:
        message = describe_aws_error(error)
        if message is None:
            raise  # a bug, not an operator mistake: keep the trace
        console.problem(f"error: {message}")
        return FAILED
