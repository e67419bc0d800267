"""Parquet files with pyarrow. Imported only by the export function: pyarrow lives in its own layer."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_TYPES = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "boolean": pa.bool_(),
    "int": pa.int32(),
}


def schema(columns: Sequence[tuple[str, str, str]]) -> pa.Schema:
    """The Arrow schema of ``(name, athena type, description)`` columns."""
    return pa.schema(
        [pa.field(name, _TYPES[kind], metadata={"description": text}) for name, kind, text in columns]
    )


def parquet_bytes(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> bytes:
    """One Parquet file (Snappy-compressed) holding ``rows`` with exactly ``columns``."""
    table = pa.Table.from_pylist(list(rows), schema=schema(columns))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()
