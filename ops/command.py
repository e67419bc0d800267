"""What every operator command shares: its registration record, expected errors and output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

# Exit codes, the same for every command (argparse itself exits 2 on a usage error).
OK = 0
FAILED = 1
USAGE = 2
INTERRUPTED = 130


class OpsError(Exception):
    """An expected failure: the message tells the operator what to fix; no stack trace is shown."""

    def __init__(self, message: str, *, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Command:
    """One ``python -m ops <name>`` subcommand.

    ``configure`` adds the subcommand's arguments to its parser; ``run`` gets the parsed arguments
    and a Console and returns the exit code, raising OpsError for expected failures.
    """

    name: str
    help: str  # one line, listed by ``python -m ops --help``
    description: str  # the subcommand's own --help text
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Console], int]
    epilog: str = ""


class Console:
    """Where commands write: results to stdout, progress and problems to stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out
        self._err = err

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout  # looked up late, so captured streams (tests) are honoured

    @property
    def err(self) -> TextIO:
        return self._err or sys.stderr

    def result(self, line: str = "") -> None:
        """A line of the command's result."""
        print(line, file=self.out, flush=True)

    def progress(self, line: str) -> None:
        """What the command is doing now."""
        print(f"… {line}", file=self.err, flush=True)

    def problem(self, line: str) -> None:
        """Something the operator must fix."""
        print(line, file=self.err, flush=True)
