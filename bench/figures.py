"""Measured figures, their targets, and how they are printed and stored."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "info", "skipped", "error"]


@dataclass
class Figure:
    """One measured number; ``target`` bounds ``value`` or, when ``target_applies_to`` is "ratio", ``ratio``.

    Every target here is an upper bound (lower is better).
    """

    benchmark: str
    name: str
    value: float | None
    unit: str
    target: float | None = None
    target_applies_to: Literal["value", "ratio"] = "value"
    ratio: float | None = None
    ratio_of: str | None = None  # what the ratio compares against
    note: str = ""
    skipped: bool = False
    error: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        """pass/fail against the target; info without one; skipped or error when not measured."""
        if self.error:
            return "error"
        if self.skipped:
            return "skipped"
        if self.target is None:
            return "info"
        measured = self.ratio if self.target_applies_to == "ratio" else self.value
        if measured is None or math.isnan(measured):
            return "fail"
        return "pass" if measured <= self.target else "fail"

    def as_json(self) -> dict[str, Any]:
        """The stored form: everything, plus ``status`` and ``pass`` (None when there is no target)."""
        data = asdict(self)
        data["value"] = _round(self.value)
        data["ratio"] = _round(self.ratio)
        data["status"] = self.status
        data["pass"] = {"pass": True, "fail": False}.get(self.status)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        """A figure read back from a worker's output."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**fields)


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 4) if abs(value) < 100 else round(value, 1)


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sample."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def format_number(value: float | None) -> str:
    """A short, readable number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_target(figure: Figure) -> str:
    """``≤ 2.0x`` or ``≤ 1,000 ms``."""
    if figure.target is None:
        return ""
    if figure.target_applies_to == "ratio":
        return f"≤ {format_number(figure.target)}x"
    return f"≤ {format_number(figure.target)} {figure.unit}"


def table(figures: Sequence[Figure]) -> str:
    """The figures as an aligned text table, grouped by benchmark."""
    rows = [("benchmark", "figure", "value", "unit", "ratio", "target", "result")]
    for figure in figures:
        rows.append(
            (
                figure.benchmark,
                figure.name,
                format_number(figure.value),
                figure.unit,
                f"{figure.ratio:.2f}x" if figure.ratio is not None else "",
                format_target(figure),
                figure.status.upper() if figure.status in ("pass", "fail", "error") else figure.status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  [{f.benchmark}] {f.name}: {f.note}" for f in figures if f.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)
