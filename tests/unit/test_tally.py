"""The accountability arithmetic: histogram medians, what a change contributes, whom it is counted for."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lapor.domain.lifecycle import Status
from lapor.domain.models import Feedback, FollowUp, Report, ReportKind
from lapor.domain.tally import (
    MEDIAN_RELATIVE_ERROR,
    bin_hours,
    histogram_median,
    hours_bin,
    official_changes,
    percentages,
    stats_contribution,
    stats_delta,
)
from lapor.domain.workdays import WIB

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 31, 23, 30, tzinfo=WIB)


def _report(**changes) -> Report:
    values = dict(
        id="7KQ2-MX9R-TH4PW", kind=ReportKind.COMPLAINT, status=Status.DISPATCHED, title="Jalan rusak parah",
        description="Jalan rusak di depan sekolah.", agency="KEMENPU", assignee="pu-lo1", category="jalan",
        region="32.73", receipt_hash="x", created_at=AT, updated_at=AT, dispatched_at=AT, version=2, routing_seq=1,
    )  # fmt: skip
    return Report(**(values | changes))


@pytest.mark.parametrize("seed", range(5))
def test_histogram_median_is_within_the_stated_error(seed):
    # Given durations from a minute to months, as a histogram
    rng = random.Random(seed)
    hours = [rng.lognormvariate(3, 2) + 1 / 60 for _ in range(rng.randrange(1, 400))]
    bins: dict[int, int] = {}
    for value in hours:
        bins[hours_bin(value)] = bins.get(hours_bin(value), 0) + 1
    # Then its median is within 4.4 % of the exact median
    exact = statistics.median(hours)
    assert abs(histogram_median(bins) - exact) <= exact * MEDIAN_RELATIVE_ERROR + 1e-9


def test_bins_cover_their_values_and_under_a_minute_is_zero():
    assert hours_bin(0) == hours_bin(0.5 / 60) == 0 and bin_hours(0) == 0
    for value in (1 / 60, 0.5, 3, 72, 2000):
        assert abs(bin_hours(hours_bin(value)) - value) <= value * MEDIAN_RELATIVE_ERROR * 1.0001
    assert histogram_median({}) is None


def test_percentages_sum_to_100_or_are_all_null():
    assert percentages({"a": 1, "b": 1, "c": 1}) == {"a": 33.4, "b": 33.3, "c": 33.3}
    assert percentages({"a": 0, "b": 0}) == {"a": None, "b": None}


def test_a_report_counts_in_its_creation_month_in_jakarta_time():
    # 31 March 23:30 WIB is 16:30 UTC the same day; 1 April 00:30 WIB is still 31 March in UTC
    assert stats_contribution(_report()).period == "2026-03"
    assert stats_contribution(_report(created_at=AT + timedelta(hours=1))).period == "2026-04"
    assert stats_contribution(_report(agency=None)) is None  # not routed yet: nowhere


def test_an_unchanged_figure_gives_no_delta_and_a_move_retracts_and_adds():
    before = _report()
    assert stats_delta(before, before.model_copy(update={"version": 3})) == {}
    verified = before.model_copy(
        update={"status": Status.VERIFIED, "verified_at": AT + timedelta(hours=2), "verified_on_time": True}
    )
    delta = stats_delta(before, verified)[("2026-03", "KEMENPU")]
    assert delta["unverified"] == -1 and delta["not_followed_up"] == 1 and delta["v.on"] == 1
    assert sum(1 for name in delta if name.startswith("hv.")) == 1


def test_a_forward_moves_the_open_report_and_counts_an_assignment_for_the_new_official():
    before = _report()
    forwarded = before.model_copy(update={"agency": "KEMENKES", "assignee": "kes-lo1", "routing_seq": 2})
    changes = official_changes(before, forwarded)
    assert changes == {"pu-lo1": {"open": -1}, "kes-lo1": {"assigned": 1, "open": 1}}


def test_each_follow_up_escalation_reopen_and_rating_counts_once_for_the_assignee():
    before = _report(status=Status.COMPLETED, follow_ups=[FollowUp(at=AT, hours=5, on_time=True)])
    after = before.model_copy(
        update={
            "status": Status.IN_PROGRESS,
            "follow_ups": [*before.follow_ups, FollowUp(at=AT, hours=90, on_time=False)],
            "escalations": ["follow_up:1@x", "follow_up:2@x", "resolve:1@y"],
            "feedback": [Feedback(action="reopen", rating=2, at=AT)],
        }
    )
    counted = official_changes(before, after)["pu-lo1"]
    assert counted["followed_up"] == 1 and counted["f.late"] == 1 and "f.on" not in counted
    assert counted["esc.1"] == 1 and counted["esc.2"] == 1  # the Ombudsman's resolve step is not a level
    assert counted["reopened"] == 1 and counted["rating.sum"] == 2 and counted["rating.n"] == 1
    assert counted["open"] == 1  # reopened: open again


def test_the_api_and_the_stream_functions_never_load_pyarrow_or_matplotlib():
    # Given a fresh interpreter laid out as Lambda lays out each function
    code = (
        "import sys; "
        "import intake_app, tally_app, route_app, evaluation_app, export_app; "
        "print(sorted(m for m in ('pyarrow', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    paths = [
        ROOT / "layers/common/python",
        *(ROOT / "functions" / f for f in ("intake", "tally", "route", "evaluation", "export")),
    ]
    env = {"PYTHONPATH": ":".join(map(str, paths)), "AWS_REGION": "ap-southeast-3", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    # Then even the job entry modules load their heavy libraries only when the job runs
    assert out.strip() == "[]"
