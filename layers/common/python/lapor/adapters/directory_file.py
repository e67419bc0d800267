"""Directory files on disk: what operators, the local stack and the tests load."""

from __future__ import annotations

from pathlib import Path

from lapor.domain.directory import Directory, load_directory


def load_directory_file(path: str | Path) -> Directory:
    """Parse and validate a directory file."""
    return load_directory(Path(path).read_text(encoding="utf-8"))
