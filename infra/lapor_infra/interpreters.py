"""Which Lambda Python runtime the layer is built for: the newest one this machine can compile for.

Bytecode (``.pyc``) depends only on Python's minor version, not on the CPU, so a layer for arm64
can be compiled here, but only by an interpreter of the runtime's own minor version. The build
looks for one (``python3.X`` on PATH, pyenv's versions, this interpreter) for every runtime
aws-cdk-lib offers from ``MIN_MINOR`` up, and takes the newest it finds. With none, it falls back
to the newest runtime without bytecode and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

# Lambda SnapStart for Python and the layer's dependencies need 3.12 or later.
MIN_MINOR = 12


@dataclass(frozen=True)
class PythonBuild:
    """The runtime the functions run on, and the interpreter that compiles the layer for it (if any)."""

    runtime: lambda_.Runtime
    interpreter: str | None

    @property
    def version(self) -> str:
        """``3.13``."""
        return self.runtime.name.removeprefix("python")

    @property
    def compiles(self) -> bool:
        return self.interpreter is not None


def lambda_python_minors() -> list[int]:
    """Minor versions of the Python 3 runtimes this aws-cdk-lib knows, newest first."""
    minors = [
        int(name.removeprefix("PYTHON_3_"))
        for name in dir(lambda_.Runtime)
        if name.startswith("PYTHON_3_") and name.removeprefix("PYTHON_3_").isdigit()
    ]
    return sorted((m for m in minors if m >= MIN_MINOR), reverse=True)


def _candidates(minor: int) -> list[str]:
    found = [shutil.which(f"python3.{minor}")]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found += [str(path) for path in sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}"), reverse=True)]
    if sys.version_info[:2] == (3, minor):
        found.append(sys.executable)
    return [path for path in found if path]


def interpreter_version(path: str) -> tuple[int, int] | None:
    """The (major, minor) version an interpreter reports, or None when it does not run."""
    try:
        result = subprocess.run(  # noqa: S603 - an interpreter path found above, no shell
            [path, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = result.stdout.split()
    return int(major), int(minor)


@cache
def python_build() -> PythonBuild:
    """The newest Lambda Python runtime with an interpreter on this machine (else the newest, uncompiled)."""
    minors = lambda_python_minors()
    for minor in minors:
        for path in _candidates(minor):
            if interpreter_version(path) == (3, minor):
                return PythonBuild(getattr(lambda_.Runtime, f"PYTHON_3_{minor}"), path)
    print(
        f"layer bundling: no Python 3.{minors[0]}..3.{minors[-1]} interpreter found (PATH, pyenv): the layer "
        f"is built for python3.{minors[0]} WITHOUT bytecode, so every cold start compiles it. Install one "
        "(e.g. `pyenv install 3.13`) to fix this.",
        file=sys.stderr,
    )
    return PythonBuild(getattr(lambda_.Runtime, f"PYTHON_3_{minors[0]}"), None)
