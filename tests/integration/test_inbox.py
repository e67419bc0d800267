"""GET /inbox and /inbox/summary: every scope and filter, its answer, and its DynamoDB requests per call."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.integration import conftest_officials as officials_harness
from tests.integration import conftest_route_notify as harness
from tests.integration.conftest_officials import COVID_KEMENKES, KEMENKES_REPORT, Officials

pipeline = harness.pipeline
officials = officials_harness.officials

# A call reads the scope's counters, counts its overdue reports, and Queries one page.
REQUESTS_PER_CALL = 3


@pytest.fixture
def kemenkes(officials: Officials) -> dict[str, str]:
    """Seven KEMENKES reports in several states; the ids by role in the test."""
    import intake_app

    o = officials
    minutes = iter(range(10))

    def later(report: dict) -> dict:
        # Filed a minute apart, in this order, so creation order is well defined.
        intake_app.services().clock = harness.fixed_clock(
            harness.SUBMITTED_AT + timedelta(minutes=next(minutes))
        )
        return report

    ids = {
        "old": o.dispatched(later(KEMENKES_REPORT | {"title": "Obat di puskesmas kosong sejak Januari"})),
        "covid": o.dispatched(later(COVID_KEMENKES)),
        "verified": o.verified(later(KEMENKES_REPORT | {"title": "Dokter puskesmas jarang hadir"})),
        "rejected": o.dispatched(later(KEMENKES_REPORT | {"title": "Antrean rumah sakit terlalu panjang"})),
        "mine": o.dispatched(later(KEMENKES_REPORT | {"title": "Rumah sakit menolak pasien BPJS"})),
    }
    assert o.act(ids["rejected"], "kemenkes-admin", "reject", "Laporan tidak lengkap.")[0] == 200
    assert o.act(ids["mine"], "kemenkes-admin", "assign", to_official="kemenkes-admin")[0] == 200
    o.pipeline.route()
    return ids


def _ids(page: dict) -> list[str]:
    return [item["id"] for item in page["items"]]


def _call(o: Officials, who: str, **params: str) -> tuple[dict, int]:
    (status, page), requests = o.counted(lambda: o.inbox(who, urlencode(params)))
    assert status == 200, page
    return page, requests


def test_agency_scope_in_deadline_order_with_counts(officials: Officials, kemenkes: dict[str, str]):
    page, requests = _call(officials, "kemenkes-lo1")
    # Every KEMENKES report, soonest current deadline first (covid19: one working day to verify),
    # and the rejected one (no deadline) last
    assert _ids(page)[0] == kemenkes["covid"] and _ids(page)[-1] == kemenkes["rejected"]
    assert set(_ids(page)) == set(kemenkes.values())
    item = page["items"][0]
    assert item["agency"] == {"code": "KEMENKES", "name": "Kementerian Kesehatan"}
    assert item["next_deadline"]["stage"] == "verify" and item["overdue"] is False
    assert item["assignee"]["name"] and item["track"] == "covid19"
    assert page["counts"] == {
        "total": 5,
        "overdue": 0,
        "by_status": {"dispatched": 3, "verified": 1, "rejected": 1},
    }
    assert requests == REQUESTS_PER_CALL


@pytest.mark.parametrize(
    ("who", "scope", "expected"),
    [
        ("kemenkes-admin", "mine", ["mine"]),
        ("bnpb-admin", "copies", ["covid"]),
        ("ksp-admin", "copies", ["covid"]),
        ("kemenpu-admin", "agency", []),
    ],
)
def test_each_scope(
    officials: Officials, kemenkes: dict[str, str], who: str, scope: str, expected: list[str]
):
    page, requests = _call(officials, who, scope=scope)
    assert _ids(page) == [kemenkes[name] for name in expected]
    assert page["counts"]["total"] == len(expected)
    assert requests == REQUESTS_PER_CALL


def test_escalated_scope_lists_what_was_escalated_to_the_caller(
    officials: Officials, kemenkes: dict[str, str]
):
    # Given the deadline checker run long after the verify deadlines (levels 1 and 2 escalated)
    import intake_app

    verify_by = officials.pipeline.report(kemenkes["old"]).deadlines.verify_by
    assert verify_by
    later = verify_by + timedelta(days=7)
    officials.sla(later)
    intake_app.services().clock = harness.fixed_clock(later)
    # Then the supervisor and the national admin find the unverified reports under "escalated"
    for who in ("kemenkes-sup", "panrb-admin"):
        page, requests = _call(officials, who, scope="escalated")
        assert set(_ids(page)) >= {kemenkes["old"], kemenkes["covid"]}, who
        assert kemenkes["rejected"] not in _ids(page)
        assert requests == REQUESTS_PER_CALL
        assert page["counts"]["overdue"] == page["counts"]["total"] >= 2
    # ... and the national admin reads each one
    assert officials.view(kemenkes["old"], "panrb-admin")[1]["view"] == "official"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "verified"}, ["verified"]),
        ({"status": "dispatched,verified"}, ["covid", "old", "mine", "verified"]),
        ({"track": "covid19"}, ["covid"]),
        ({"category": "kesehatan"}, ["covid", "old", "mine", "verified", "rejected"]),
        ({"q": "rumah sakit"}, ["mine", "rejected"]),
        ({"q": "OBAT Puskesmas"}, ["old"]),
        ({"sort": "created"}, ["old", "covid", "verified", "rejected", "mine"]),
        ({"sort": "-created"}, ["mine", "rejected", "verified", "covid", "old"]),
        ({"sort": "created", "status": "dispatched"}, ["old", "covid", "mine"]),
    ],
)
def test_filters_and_orders(
    officials: Officials, kemenkes: dict[str, str], params: dict, expected: list[str]
):
    page, requests = _call(officials, "kemenkes-lo1", **params)
    got = _ids(page)
    if params.get("sort") or len(expected) == 1:
        assert got == [kemenkes[name] for name in expected]
    else:
        assert set(got) == {kemenkes[name] for name in expected}
    assert requests == REQUESTS_PER_CALL
    assert page["counts"]["total"] == 5  # counts describe the scope, before filters


def test_q_with_a_tracking_code_finds_the_report_if_the_scope_lists_it(
    officials: Officials, kemenkes: dict[str, str]
):
    code = kemenkes["verified"]
    page, requests = _call(officials, "kemenkes-lo1", q=code.lower().replace("-", ""))
    assert _ids(page) == [code] and requests == REQUESTS_PER_CALL
    page, _ = _call(officials, "kemenpu-admin", q=code)
    assert _ids(page) == []


def test_overdue_filter_and_counts(officials: Officials, kemenkes: dict[str, str]):
    import intake_app

    # Given the clock past the covid19 report's one-day verify deadline, not yet past the others'
    covid_verify = officials.pipeline.report(kemenkes["covid"]).deadlines.verify_by
    assert covid_verify
    intake_app.services().clock = harness.fixed_clock(covid_verify + timedelta(minutes=1))
    # When the liaison asks for overdue reports, in deadline and in creation order
    for params in (
        {"overdue": "true"},
        {"overdue": "true", "sort": "-created"},
        {"overdue": "true", "status": "dispatched"},
    ):
        page, requests = _call(officials, "kemenkes-lo1", **params)
        # Then only the covid19 report, flagged overdue
        assert _ids(page) == [kemenkes["covid"]], params
        assert page["items"][0]["overdue"] is True and page["counts"]["overdue"] == 1
        assert requests == REQUESTS_PER_CALL


def test_pages_follow_the_cursor(officials: Officials, kemenkes: dict[str, str]):
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page, requests = _call(officials, "kemenkes-lo1", **params)
        assert requests == REQUESTS_PER_CALL
        seen += _ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and set(seen) == set(kemenkes.values())


@pytest.mark.parametrize("cursor", ["not-base64!", "e30", "eyJwayI6eyJOIjoiMSJ9fQ"])
def test_a_cursor_it_did_not_hand_out_is_refused(officials: Officials, kemenkes: dict[str, str], cursor: str):
    status, answer = officials.inbox("kemenkes-lo1", urlencode({"cursor": cursor}))
    assert status == 422 and answer["errors"][0]["field"] == "cursor"


def test_a_cursor_of_another_inbox_is_refused(officials: Officials, kemenkes: dict[str, str]):
    page, _ = _call(officials, "kemenkes-lo1", limit="1")
    status, answer = officials.inbox(
        "kemenpu-admin", urlencode({"cursor": page["next_cursor"], "limit": "1"})
    )
    assert status == 422 and answer["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "params", [{"scope": "everything"}, {"status": "lost"}, {"sort": "title"}, {"limit": "500"}]
)
def test_bad_parameters_name_the_field(officials: Officials, params: dict):
    status, answer = officials.inbox("kemenkes-lo1", urlencode(params))
    assert status == 422 and answer["errors"][0]["field"] == next(iter(params))


def test_summary_counts_every_scope(officials: Officials, kemenkes: dict[str, str]):
    (status, summary), requests = officials.counted(
        lambda: officials.call("GET", "/inbox/summary", who="kemenkes-admin")
    )
    assert status == 200
    assert summary["agency"]["total"] == 5 and summary["mine"]["total"] == 1
    assert summary["escalated"]["total"] == 0 and summary["copies"]["total"] == 1  # KEMENKES is a cc agency
    assert requests == 2 * 4


def test_inbox_needs_a_signed_in_official(officials: Officials):
    assert officials.call("GET", "/inbox")[0] == 401
    assert officials.call("GET", "/inbox", who="kemenkes-lo3")[0] == 401  # inactive
