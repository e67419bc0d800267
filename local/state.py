"""Keeps the local stack's data across restarts (LAPOR_LOCAL_STATE): tables dumped on stop, restored on start."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from local.resources import Resources


def _tables(resources: Resources) -> list[str]:
    return [resources.names.reports_table, resources.names.directory_table, resources.names.aggregates_table]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__b64__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save(session: Any, resources: Resources, path: Path) -> int:
    """Write every item of the reports, directory and aggregates tables to ``path`` atomically; the item count."""
    dynamodb = session.client("dynamodb")
    dump: dict[str, list[Any]] = {}
    for table in _tables(resources):
        items: list[Any] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items += page.get("Items", [])
        dump[table.removeprefix(resources.names.prefix)] = _encode(items)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(dump))
    os.replace(temporary, path)
    return sum(len(v) for v in dump.values())


def restore(session: Any, resources: Resources, path: Path) -> int:
    """Load a saved dump into the (empty) tables; the directory document is not restored over the fresh load."""
    dump = json.loads(path.read_text())
    dynamodb = session.client("dynamodb")
    count = 0
    for table in _tables(resources):
        items = _decode(dump.get(table.removeprefix(resources.names.prefix), []))
        items = [i for i in items if i.get("pk", {}).get("S") != "DIRECTORY"]
        for start in range(0, len(items), 25):
            chunk = items[start : start + 25]
            dynamodb.batch_write_item(
                RequestItems={table: [{"PutRequest": {"Item": item}} for item in chunk]}
            )
            count += len(chunk)
    return count
