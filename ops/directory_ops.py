"""Validate a directory file and load it into a stack's directory table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lapor.adapters.directory_file import load_directory_file
from lapor.adapters.repository import DirectoryStore
from lapor.domain.directory import Directory


def load_into(path: str | Path, *, table: str, client: Any = None) -> tuple[Directory, str]:
    """Validate ``path`` and store it as the current directory; returns it and its content hash.

    Officials' open-report counters are separate items, so a reload while reports flow keeps them.
    Warm functions pick the new directory up within their cache age (60 s by default).
    """
    directory = load_directory_file(path)
    digest = DirectoryStore(table, client=client).put_document(
        directory.model_dump(mode="json"), loaded_at=datetime.now(UTC)
    )
    return directory, digest
