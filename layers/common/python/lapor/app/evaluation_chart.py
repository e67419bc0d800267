"""The evaluation's charts, drawn headless with matplotlib (only the evaluation function loads it)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display in Lambda: render straight to PNG

from matplotlib import pyplot as plt

from lapor.app.evaluation import AgencyEvaluation, Evaluation

_VERIFY_COLOUR = "#123b6d"
_FOLLOW_COLOUR = "#1d6b38"


def _bars(
    labels: Sequence[str], verified: Sequence[float | None], followed: Sequence[float | None], title: str
) -> bytes:
    height = max(2.4, 0.55 * len(labels) + 1.4)
    figure, axes = plt.subplots(figsize=(8, height), dpi=100)
    try:
        positions = range(len(labels))
        axes.barh(
            [p + 0.2 for p in positions],
            [v or 0 for v in verified],
            height=0.4,
            color=_VERIFY_COLOUR,
            label="Verifikasi tepat waktu / Verified on time (%)",
        )
        axes.barh(
            [p - 0.2 for p in positions],
            [f or 0 for f in followed],
            height=0.4,
            color=_FOLLOW_COLOUR,
            label="Tindak lanjut tepat waktu / Followed up on time (%)",
        )
        axes.set_yticks(list(positions), labels=list(labels))
        axes.set_xlim(0, 100)
        axes.set_xlabel("%")
        axes.set_title(title, fontsize=11)
        axes.legend(loc="lower right", fontsize=8)
        axes.invert_yaxis()
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)


def agency_chart(agency: AgencyEvaluation, month: str) -> bytes:
    """On-time shares of each official of an agency, as a PNG."""
    officials = agency.officials or []
    return _bars(
        [o.name for o in officials],
        [o.figures["verified_on_time_pct"] for o in officials],
        [o.figures["followed_up_on_time_pct"] for o in officials],
        f"{agency.name} — {month}",
    )


def national_chart(evaluation: Evaluation) -> bytes:
    """On-time shares of each agency, as a PNG."""
    agencies = [a for a in evaluation.agencies if a.active] or evaluation.agencies
    return _bars(
        [a.code for a in agencies],
        [a.totals["verified_on_time_pct"] for a in agencies],
        [a.totals["followed_up_on_time_pct"] for a in agencies],
        f"Evaluasi nasional / National evaluation — {evaluation.period}",
    )
