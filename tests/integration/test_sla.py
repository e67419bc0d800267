"""The SLA checker end to end under moto: the real sla_check handler over the sparse due index.

Reports are either submitted through the real intake handler and routed with ``dispatch_report`` at a
chosen instant, or written straight into the table (for ladder states the workflow API does not reach
yet). Every expected instant is computed with the directory's ``WorkCalendar``; every run is given its
``now``, so nothing here depends on the wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lapor.adapters.repository import TRANSACTION_ATTEMPTS, ReportRepository, due_shard, report_pk
from lapor.adapters.schema import DUE_INDEX, UNDELIVERED_INDEX
from lapor.app import sla
from lapor.app.dispatch import dispatch_report
from lapor.domain.deadlines import pending_steps, with_next_due
from lapor.domain.directory import Directory
from lapor.domain.ids import new_report_id
from lapor.domain.lifecycle import Status
from lapor.domain.messages import REPORTER, Event
from lapor.domain.models import Deadlines, Report, Reporter, ReportKind, TimelineEvent
from lapor.domain.workdays import WIB, utc_iso
from lapor.services import Services
from lapor.settings import Settings
from tests.helpers import api_event, context, response_json

ONE_MICROSECOND = timedelta(microseconds=1)
HEALTH = {
    "title": "Puskesmas tutup di jam layanan",
    "description": "Puskesmas Kecamatan Menteng tutup pada jam layanan hari Senin pagi.",
    "region": "31.71",
    "reporter": {"name": "Andi Wijaya", "email": "andi@example.com"},
}
COVID = {
    "title": "Vaksin covid habis di puskesmas",
    "description": "Stok vaksin covid di Puskesmas Menteng habis sejak minggu lalu, warga ditolak.",
    "region": "31.71",
    "reporter": {"name": "Andi Wijaya", "email": "andi@example.com"},
}
# From tests/data/directory.test.yaml: DINKES-DKI (region 31) has one liaison and one admin.
DKI_LEVEL_1 = {"dinkes-dki-lo1", "dinkes-dki-admin"}
DKI_LEVEL_2 = {"dinkes-dki-sup", "panrb-admin"}
RESOLVE_MISSED = {"panrb-admin", "ori-admin"}


def wib(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


@dataclass
class Lapor:
    """The pipeline's pieces a test drives: intake, dispatch, the table, the SLA handler."""

    services: Services

    @property
    def reports(self) -> ReportRepository:
        return self.services.reports

    @property
    def directory(self) -> Directory:
        return self.services.directory()

    def submit(self, body: dict[str, Any], *, at: datetime) -> str:
        """File a report through the real intake handler, with the intake clock at ``at``."""
        import intake_app

        intake_app.services().clock = lambda: at
        response = intake_app.lambda_handler(api_event("POST", "/reports", body), context("lapor-intake"))
        assert response["statusCode"] == 201, response["body"]
        return str(response_json(response)["id"])

    def dispatch(self, report_id: str, *, at: datetime) -> Report:
        """Route a received report as the router would, at ``at``."""
        received = self.reports.get(report_id)
        assert received is not None
        result = dispatch_report(received, reports=self.reports, directory=self.directory, now=at)
        assert result.routed_now
        return result.report

    def put(self, report: Report, *, reports: ReportRepository | None = None) -> Report:
        """Write a report straight into the table, its due-index entry computed as the code does."""
        repository = reports or self.reports
        return repository.save(with_next_due(report, self.directory.work_calendar), expected_version=None)

    def run(self, now: datetime | str) -> dict[str, Any]:
        """One invocation of the real sla_check handler as of ``now``."""
        import sla_check_app

        value = now if isinstance(now, str) else now.isoformat()
        return sla_check_app.lambda_handler({"now": value}, context("lapor-sla-check", 60))

    def get(self, report_id: str) -> Report:
        report = self.reports.get(report_id)
        assert report is not None
        return report

    def item(self, report_id: str) -> dict[str, Any]:
        """The raw stored item, to see the due-index attributes themselves."""
        return self.reports.client.get_item(
            TableName=self.reports.table, Key={"pk": {"S": report_pk(report_id)}, "sk": {"S": "REPORT"}}
        )["Item"]

    def escalation_events(self, report_id: str) -> list[TimelineEvent]:
        found = self.reports.get_with_timeline(report_id)
        assert found is not None
        return [e for e in found[1] if e.action.startswith("escalate_") or e.action == "auto_close"]


@pytest.fixture
def lapor(aws) -> Iterator[Lapor]:
    """The aws fixture's resources, plus a fresh sla_check cold start."""
    import sla_check_app

    sla_check_app.services.cache_clear()
    yield Lapor(Services(Settings.from_env()))
    sla_check_app.services.cache_clear()


def index_entry(item: dict[str, Any]) -> tuple[str, int] | None:
    if "due_at" not in item and "due_shard" not in item:
        return None
    return item["due_at"]["S"], int(item["due_shard"]["N"])


def due_at_of(item: dict[str, Any]) -> str | None:
    return item["due_at"]["S"] if "due_at" in item else None


def nothing_done(summary: dict[str, Any]) -> bool:
    return summary["escalated"] == {"level_1": 0, "level_2": 0, "resolve": 0} and summary["closed"] == 0


def manual_report(directory: Directory, status: Status, *, at: datetime, **fields: Any) -> Report:
    """A standard-track health report at DINKES-DKI in ``status``, last changed at ``at``."""
    values: dict[str, Any] = {
        "id": new_report_id(),
        "kind": ReportKind.COMPLAINT,
        "status": status,
        "title": HEALTH["title"],
        "description": HEALTH["description"],
        "category": "kesehatan",
        "track": "standard",
        "agency": "DINKES-DKI",
        "assignee": "dinkes-dki-lo1",
        "region": "31.71",
        "reporter": Reporter(name="Andi Wijaya", email="andi@example.com"),
        "receipt_hash": "0" * 64,
        "created_at": at,
        "updated_at": at,
        "routing_seq": 1,
    }
    return Report(**(values | fields))


def dispatched_at(directory: Directory, at: datetime) -> Report:
    calendar, track = directory.work_calendar, directory.tracks["standard"]
    deadlines = Deadlines(
        verify_by=calendar.add_working_days(at, track.verify_days),
        resolve_by=calendar.add_calendar_days(at, track.resolve_days),
    )
    return manual_report(directory, Status.DISPATCHED, at=at, dispatched_at=at, deadlines=deadlines)


def completed_at(directory: Directory, at: datetime) -> Report:
    calendar = directory.work_calendar
    close_after = calendar.add_working_days(at, 10)
    return manual_report(
        directory,
        Status.COMPLETED,
        at=at,
        dispatched_at=at - timedelta(days=7),
        verified_at=at - timedelta(days=6),
        completed_at=at,
        deadlines=Deadlines(close_after=close_after),
    )


# ---- 1. the full ladder ------------------------------------------------------------------------


def test_full_ladder_each_step_once_to_the_right_people(lapor: Lapor):
    # Given a health report filed Monday 30 November 2026 09:00 WIB and dispatched at 10:00
    report_id = lapor.submit(HEALTH, at=wib(2026, 11, 30, 9))
    routed = lapor.dispatch(report_id, at=wib(2026, 11, 30, 10))
    calendar = lapor.directory.work_calendar
    verify_by, resolve_by = routed.deadlines.verify_by, routed.deadlines.resolve_by
    assert verify_by == calendar.add_working_days(wib(2026, 11, 30, 10), 3)
    assert resolve_by == calendar.add_calendar_days(wib(2026, 11, 30, 9), 60)
    level_2 = calendar.add_working_days(verify_by, 2)
    assert routed.agency == "DINKES-DKI" and routed.assignee == "dinkes-dki-lo1"
    shard = due_shard(report_id, lapor.services.settings.due_shards)
    assert index_entry(lapor.item(report_id)) == (utc_iso(verify_by), shard)
    assert lapor.item(report_id)["due_stage"]["S"] == "verify:1"

    # When the checker runs one microsecond before verify_by
    early = lapor.run(verify_by - ONE_MICROSECOND)
    # Then nothing is due, read or changed
    assert nothing_done(early) and early["checked"] == 0
    assert lapor.get(report_id).version == routed.version

    # When it runs at verify_by (given in UTC: the same instant)
    first = lapor.run(verify_by.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    # Then level 1 goes to the assignee and the agency's admins, recorded once, and the index moves on
    after_1 = lapor.get(report_id)
    assert first["escalated"] == {"level_1": 1, "level_2": 0, "resolve": 0}
    assert {m.recipient for m in after_1.outbox} == DKI_LEVEL_1
    assert {(m.event, m.stage) for m in after_1.outbox} == {(Event.ESCALATION_1, "verify")}
    assert after_1.escalations == [f"verify:1@{utc_iso(verify_by)}"]
    assert index_entry(lapor.item(report_id)) == (utc_iso(level_2), shard)
    assert lapor.item(report_id)["due_stage"]["S"] == "verify:2"
    assert after_1.status == Status.DISPATCHED

    # When it runs again at the same now
    again = lapor.run(verify_by)
    # Then nothing new: no write, no message, no event
    assert nothing_done(again) and again["conflicts"] == 0
    assert lapor.get(report_id).version == after_1.version

    # When it runs just before and at level-2 time
    assert nothing_done(lapor.run(level_2 - ONE_MICROSECOND))
    second = lapor.run(level_2)
    # Then level 2 goes to the agency's supervisor and the national admin; the index waits on resolve_by
    after_2 = lapor.get(report_id)
    assert second["escalated"] == {"level_1": 0, "level_2": 1, "resolve": 0}
    assert {m.recipient for m in after_2.outbox} == DKI_LEVEL_2
    assert {m.event for m in after_2.outbox} == {Event.ESCALATION_2}
    assert index_entry(lapor.item(report_id)) == (utc_iso(resolve_by), shard)
    assert lapor.item(report_id)["due_stage"]["S"] == "resolve:1"

    # When it runs at resolve_by (given in WIB)
    assert nothing_done(lapor.run(resolve_by - ONE_MICROSECOND))
    third = lapor.run(resolve_by.isoformat())
    # Then the national admin and the Ombudsman's admins hear of it, and the report leaves the index
    after_3 = lapor.get(report_id)
    assert third["escalated"] == {"level_1": 0, "level_2": 0, "resolve": 1}
    assert {m.recipient for m in after_3.outbox} == RESOLVE_MISSED
    assert {m.event for m in after_3.outbox} == {Event.RESOLVE_MISSED}
    assert index_entry(lapor.item(report_id)) is None and "due_stage" not in lapor.item(report_id)
    assert after_3.due_at is None

    # ... each step is one non-public timeline event, and every message id was used once
    events = lapor.escalation_events(report_id)
    assert [e.action for e in events] == ["escalate_verify_1", "escalate_verify_2", "escalate_resolve_1"]
    assert [e.at for e in events] == [verify_by, level_2, resolve_by]
    assert not any(e.public for e in events)
    ids = [m.id for r in (after_1, after_2, after_3) for m in r.outbox]
    assert len(ids) == len(set(ids)) == 6
    assert after_3.escalations == [
        f"verify:1@{utc_iso(verify_by)}",
        f"verify:2@{utc_iso(verify_by)}",
        f"resolve:1@{utc_iso(resolve_by)}",
    ]

    # When it runs long after everything
    # Then the report is never read again
    late = lapor.run(resolve_by + timedelta(days=30))
    assert late["checked"] == 0 and lapor.get(report_id).version == after_3.version


def test_escalations_show_publicly_without_names(lapor: Lapor):
    import intake_app

    # Given a report whose verification deadline was missed and escalated
    report_id = lapor.submit(HEALTH, at=wib(2026, 11, 30, 9))
    routed = lapor.dispatch(report_id, at=wib(2026, 11, 30, 10))
    lapor.run(routed.deadlines.verify_by)
    # When anyone tracks it
    view = response_json(intake_app.lambda_handler(api_event("GET", f"/reports/{report_id}"), context()))
    # Then the timeline says a deadline was missed and taken higher: stage and level, no note, no names
    [entry] = [e for e in view["timeline"] if e["event"] == "escalate"]
    assert (entry["stage"], entry["level"], entry["note"]) == ("verify", 1, None)
    assert entry["status"] == "dispatched"
    text = str(view).lower()
    for name in ("dinkes-dki-lo1", "dinkes-dki-admin", "dewi"):
        assert name not in text


def test_overdue_steps_missed_by_an_outage_are_taken_together_once(lapor: Lapor):
    # Given a dispatched report and no SLA run until after both verify levels were due
    report_id = lapor.submit(HEALTH, at=wib(2026, 11, 30, 9))
    routed = lapor.dispatch(report_id, at=wib(2026, 11, 30, 10))
    verify_by = routed.deadlines.verify_by
    assert verify_by is not None
    level_2 = lapor.directory.work_calendar.add_working_days(verify_by, 2)

    # When the first run after the outage happens at level-2 time, and again later
    summary = lapor.run(level_2 + timedelta(hours=1))
    repeat = lapor.run(level_2 + timedelta(hours=2))

    # Then both levels were taken in that one run, each once, with both sets of recipients
    stored = lapor.get(report_id)
    assert summary["escalated"] == {"level_1": 1, "level_2": 1, "resolve": 0}
    assert nothing_done(repeat)
    assert {(m.event, m.recipient) for m in stored.outbox} == {
        *((Event.ESCALATION_1, r) for r in DKI_LEVEL_1),
        *((Event.ESCALATION_2, r) for r in DKI_LEVEL_2),
    }
    assert len({m.id for m in stored.outbox}) == len(stored.outbox) == 4
    # (both events carry the run's now; same-instant events have no defined order in the timeline)
    assert sorted(e.action for e in lapor.escalation_events(report_id)) == [
        "escalate_verify_1",
        "escalate_verify_2",
    ]


def test_forward_after_level_1_is_a_new_cycle_with_new_recipients_and_message_ids(lapor: Lapor):
    # Given a report escalated at level 1 at DINKES-DKI, then forwarded to KEMENKES the next day
    calendar = lapor.directory.work_calendar
    report_id = lapor.submit(HEALTH, at=wib(2026, 11, 30, 9))
    routed = lapor.dispatch(report_id, at=wib(2026, 11, 30, 10))
    verify_by = routed.deadlines.verify_by
    assert verify_by is not None
    lapor.run(verify_by)
    first = lapor.get(report_id)
    forwarded_at = wib(2026, 12, 4, 9)
    new_verify_by = calendar.add_working_days(forwarded_at, 3)
    forwarded = first.model_copy(
        update={
            "agency": "KEMENKES",
            "assignee": "kemenkes-lo1",
            "dispatched_at": forwarded_at,
            "updated_at": forwarded_at,
            "routing_seq": first.routing_seq + 1,
            "deadlines": Deadlines(verify_by=new_verify_by, resolve_by=first.deadlines.resolve_by),
        }
    )
    lapor.reports.save(with_next_due(forwarded, calendar), expected_version=first.version, previous=first)
    assert due_at_of(lapor.item(report_id)) == utc_iso(new_verify_by)

    # When the checker runs at the old level-2 time, then at the new verify_by and its level-2 time
    old_level_2 = lapor.run(calendar.add_working_days(verify_by, 2))
    new_level_1 = lapor.run(new_verify_by)
    second = lapor.get(report_id)
    new_level_2 = lapor.run(calendar.add_working_days(new_verify_by, 2))
    third = lapor.get(report_id)

    # Then the old cycle's level 2 never fires; the new cycle escalates within KEMENKES, under new ids
    assert nothing_done(old_level_2)
    assert new_level_1["escalated"]["level_1"] == 1 and new_level_2["escalated"]["level_2"] == 1
    assert {m.recipient for m in second.outbox} == {"kemenkes-lo1", "kemenkes-admin"}
    assert {m.recipient for m in third.outbox} == {"kemenkes-sup", "panrb-admin"}
    assert not {m.id for m in first.outbox} & {m.id for m in second.outbox}
    assert third.escalations == [
        f"verify:1@{utc_iso(verify_by)}",
        f"verify:1@{utc_iso(new_verify_by)}",
        f"verify:2@{utc_iso(new_verify_by)}",
    ]


def test_triage_report_escalates_to_the_national_admin_once_per_message(lapor: Lapor):
    # Given a report no category matches, routed to the national admin for manual triage
    body = {
        "title": "Pengurusan KTP lambat sekali",
        "description": "Pengurusan KTP elektronik di kelurahan memakan waktu berbulan-bulan tanpa kabar.",
    }
    report_id = lapor.submit(body, at=wib(2026, 11, 30, 9))
    routed = lapor.dispatch(report_id, at=wib(2026, 11, 30, 10))
    assert routed.assignee == lapor.directory.national_admin == "panrb-admin"
    verify_by = routed.deadlines.verify_by
    assert verify_by is not None

    # When verify levels 1 and 2 come due
    lapor.run(verify_by)
    level_1 = lapor.get(report_id).outbox
    lapor.run(lapor.directory.work_calendar.add_working_days(verify_by, 2))
    level_2 = lapor.get(report_id).outbox

    # Then the national admin, assignee and agency admin at once, gets one level-1 message, not two
    assert [(m.event, m.recipient) for m in level_1] == [(Event.ESCALATION_1, "panrb-admin")]
    assert {(m.event, m.recipient) for m in level_2} == {
        (Event.ESCALATION_2, "panrb-sup"),
        (Event.ESCALATION_2, "panrb-admin"),
    }


# ---- 2. a report that moved on ---------------------------------------------------------------------


def test_report_verified_before_its_deadline_is_not_escalated(lapor: Lapor):
    # Given two reports dispatched at the same instant and verified the next day, one saved with its
    # due index updated and one whose index entry was (wrongly) left at the old verify_by
    calendar = lapor.directory.work_calendar
    ids = [lapor.submit(HEALTH, at=wib(2026, 11, 30, 9)) for _ in range(2)]
    routed = [lapor.dispatch(report_id, at=wib(2026, 11, 30, 10)) for report_id in ids]
    verified_at = wib(2026, 12, 1, 8)
    follow_up_by = calendar.add_working_days(verified_at, 5)
    for n, report in enumerate(routed):
        verified = report.model_copy(
            update={
                "status": Status.VERIFIED,
                "verified_at": verified_at,
                "updated_at": verified_at,
                "deadlines": Deadlines(follow_up_by=follow_up_by, resolve_by=report.deadlines.resolve_by),
            }
        )
        if n == 0:
            verified = with_next_due(verified, calendar)
        lapor.reports.save(verified, expected_version=report.version, previous=report)
    verify_by = routed[0].deadlines.verify_by
    assert verify_by is not None and verify_by < follow_up_by
    assert due_at_of(lapor.item(ids[1])) == utc_iso(verify_by)  # the stale entry

    # When the checker runs at the old verify_by and at its level-2 time
    at_verify = lapor.run(verify_by)
    at_level_2 = lapor.run(calendar.add_working_days(verify_by, 2))

    # Then nothing is escalated; the stale entry is moved to the follow-up deadline
    assert nothing_done(at_verify) and nothing_done(at_level_2)
    for report_id in ids:
        stored = lapor.get(report_id)
        assert stored.escalations == [] and stored.outbox == []
        assert lapor.escalation_events(report_id) == []
        assert due_at_of(lapor.item(report_id)) == utc_iso(follow_up_by)

    # When the checker runs at follow_up_by and two working days later
    follow_up = lapor.run(follow_up_by)
    level_1 = {report_id: lapor.get(report_id).outbox for report_id in ids}
    follow_up_2 = lapor.run(calendar.add_working_days(follow_up_by, 2))
    # Then both reports escalate the follow-up stage, level 1 then level 2, once each
    assert follow_up["escalated"] == {"level_1": 2, "level_2": 0, "resolve": 0}
    assert follow_up_2["escalated"] == {"level_1": 0, "level_2": 2, "resolve": 0}
    for report_id in ids:
        assert {(m.event, m.stage, m.recipient) for m in level_1[report_id]} == {
            (Event.ESCALATION_1, "follow_up", r) for r in DKI_LEVEL_1
        }
        assert {(m.event, m.stage, m.recipient) for m in lapor.get(report_id).outbox} == {
            (Event.ESCALATION_2, "follow_up", r) for r in DKI_LEVEL_2
        }


# ---- 3. exactly once across overlapping runs -------------------------------------------------------


def _serialize_dynamodb(monkeypatch: pytest.MonkeyPatch) -> threading.Lock:
    """Make moto's item operations atomic, as DynamoDB's are (moto takes no lock per operation)."""
    lock = threading.Lock()
    for name in ("get", "save", "due_keys"):
        real = getattr(ReportRepository, name)

        def locked(*args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            with lock:
                return _real(*args, **kwargs)

        monkeypatch.setattr(ReportRepository, name, locked)
    return lock


def _overlap_fixture(lapor: Lapor, now: datetime, n: int) -> tuple[list[str], int]:
    """3n due reports: n with verify level 1 due, n with levels 1 and 2 due, n past close_after."""
    directory, calendar = lapor.directory, lapor.directory.work_calendar
    reports = (
        [dispatched_at(directory, wib(2026, 12, 4)) for _ in range(n)]
        + [dispatched_at(directory, wib(2026, 11, 30)) for _ in range(n)]
        + [completed_at(directory, wib(2026, 11, 23)) for _ in range(n)]
    )
    stored = [lapor.put(r) for r in reports]
    due_steps = sum(len([s for s in pending_steps(r, calendar) if s.due <= now]) for r in stored)
    assert due_steps == n * 1 + n * 2 + n * 1  # the dates above give each group what it says
    return [r.id for r in stored], due_steps


def _assert_each_step_once(lapor: Lapor, ids: list[str], now: datetime) -> None:
    calendar = lapor.directory.work_calendar
    for report_id in ids:
        stored = lapor.get(report_id)
        assert len(stored.escalations) == len(set(stored.escalations))
        assert [s for s in pending_steps(stored, calendar) if s.due <= now] == []
        events = [e.action for e in lapor.escalation_events(report_id)]
        assert len(events) == len(set(events))
        assert len(events) == len(stored.escalations) + (stored.status == Status.CLOSED)
        assert len({m.id for m in stored.outbox}) == len(stored.outbox) > 0


def test_three_overlapping_runs_take_each_step_exactly_once(lapor: Lapor, monkeypatch: pytest.MonkeyPatch):
    # Given 24 due reports, and three runs that each read every report before any of them writes it
    # (every get waits for the other two runs' get of the same report), on the same now
    import sla_check_app

    now, n = wib(2026, 12, 10, 12), 8
    ids, due_steps = _overlap_fixture(lapor, now, n)
    assert nothing_done(lapor.run(wib(2026, 11, 23, 0)))  # warm start: clients built before threads
    _serialize_dynamodb(monkeypatch)
    barrier = threading.Barrier(3, timeout=30)
    armed = threading.Event()
    read = ReportRepository.get

    def read_then_wait(self: ReportRepository, report_id: str, **kwargs: Any) -> Report | None:
        report = read(self, report_id, **kwargs)
        if armed.is_set():
            barrier.wait()
        return report

    monkeypatch.setattr(ReportRepository, "get", read_then_wait)

    # When the three handlers run concurrently
    armed.set()
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [
            pool.submit(
                sla_check_app.lambda_handler, {"now": now.isoformat()}, context("lapor-sla-check", 60)
            )
            for _ in range(3)
        ]
        summaries = [f.result() for f in futures]
    armed.clear()

    # Then every due step was taken by exactly one run, and the other two counted a conflict
    escalated = sum(sum(s["escalated"].values()) + s["closed"] for s in summaries)
    assert escalated == due_steps
    assert sum(s["closed"] for s in summaries) == n
    assert sum(s["escalated"]["level_2"] for s in summaries) == n
    assert sum(s["conflicts"] for s in summaries) == 2 * len(ids)
    assert all(s["checked"] == len(ids) for s in summaries)
    _assert_each_step_once(lapor, ids, now)
    # ... and the messages of different steps never share an id
    all_ids = [m.id for report_id in ids for m in lapor.get(report_id).outbox]
    assert len(all_ids) == len(set(all_ids))


def test_free_running_overlapping_runs_still_take_each_step_once(
    lapor: Lapor, monkeypatch: pytest.MonkeyPatch
):
    # Given 9 due reports (moto copies the table on every transaction, so fewer than above) and three
    # runs left to interleave however the scheduler likes
    import sla_check_app

    now = wib(2026, 12, 10, 12)
    ids, due_steps = _overlap_fixture(lapor, now, 3)
    assert nothing_done(lapor.run(wib(2026, 11, 23, 0)))
    _serialize_dynamodb(monkeypatch)

    # When they run concurrently
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [
            pool.submit(
                sla_check_app.lambda_handler, {"now": now.isoformat()}, context("lapor-sla-check", 60)
            )
            for _ in range(3)
        ]
        summaries = [f.result() for f in futures]

    # Then the total is exactly the due steps, whatever the interleaving
    assert sum(sum(s["escalated"].values()) + s["closed"] for s in summaries) == due_steps
    _assert_each_step_once(lapor, ids, now)


def test_a_passing_transaction_conflict_is_retried(lapor: Lapor):
    # Given a due report whose first write meets another transaction on a shared item (a counter)
    directory = lapor.directory
    report_id = lapor.put(dispatched_at(directory, wib(2026, 11, 30))).id
    now = directory.work_calendar.add_working_days(wib(2026, 11, 30), 3) + timedelta(hours=1)
    detach = _cancel_first_transaction_as_conflicting(lapor.reports.client, times=1)
    try:
        # When the checker runs
        summary = sla.run_sla_check(
            reports=lapor.reports, directory=directory, now=now, shards=8, time_left_ms=lambda: 60_000
        )
    finally:
        detach()
    # Then the write was simply tried again, and the step taken
    assert (summary.conflicts, summary.escalated["level_1"]) == (0, 1)
    assert len(lapor.get(report_id).escalations) == 1


def _cancel_first_transaction_as_conflicting(client: Any, *, times: int) -> Callable[[], None]:
    """The first ``times`` TransactWriteItems on ``client`` are cancelled as DynamoDB cancels a write that
    meets another transaction in flight on the same item (reason ``TransactionConflict``); moto never does."""
    from botocore.awsrequest import AWSResponse

    calls = {"n": 0}

    def cancel(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls["n"] += 1
        if calls["n"] > times:
            return None
        message = "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]"
        return AWSResponse("https://dynamodb.ap-southeast-3.amazonaws.com/", 400, {}, None), {
            "Error": {"Code": "TransactionCanceledException", "Message": message},
            "CancellationReasons": [
                {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
                {"Code": "None"},
            ],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", cancel)
    return lambda: client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", cancel)


def test_transaction_conflict_with_an_overlapping_run_is_a_conflict_not_a_crash(lapor: Lapor):
    # Regression: this cancellation used to escape as TransactionCanceledException and abort the run.
    # Given three reports whose verify level 1 is due, and a first write that DynamoDB cancels, on
    # every retry, because another run's transaction on the same report is in flight
    directory = lapor.directory
    ids = [lapor.put(dispatched_at(directory, wib(2026, 11, 30))).id for _ in range(3)]
    now = directory.work_calendar.add_working_days(wib(2026, 11, 30), 3) + timedelta(hours=1)
    detach = _cancel_first_transaction_as_conflicting(lapor.reports.client, times=TRANSACTION_ATTEMPTS)

    def run() -> sla.SlaSummary:
        return sla.run_sla_check(
            reports=lapor.reports, directory=directory, now=now, shards=8, time_left_ms=lambda: 60_000
        )

    try:
        # When the checker runs, and runs again
        first = run()
        second = run()
    finally:
        detach()

    # Then the first run counts one conflict and escalates the other two; the next run takes the third
    assert (first.conflicts, first.escalated["level_1"]) == (1, 2)
    assert (second.conflicts, second.escalated["level_1"]) == (0, 1)
    assert all(len(lapor.get(i).escalations) == 1 for i in ids)


# ---- 4. auto-close -------------------------------------------------------------------------------------


def test_completed_report_auto_closes_after_ten_working_days(lapor: Lapor):
    # Given a report completed on Wednesday 9 December 2026 14:00 WIB, the reporter silent since
    calendar = lapor.directory.work_calendar
    done_at = wib(2026, 12, 9, 14)
    report = lapor.put(completed_at(lapor.directory, done_at))
    close_after = report.deadlines.close_after
    assert close_after == calendar.add_working_days(done_at, 10)
    assert due_at_of(lapor.item(report.id)) == utc_iso(close_after)

    # When the checker runs just before close_after, then the morning after it
    before = lapor.run(close_after - ONE_MICROSECOND)
    now = close_after + timedelta(hours=8)
    summary = lapor.run(now)

    # Then it is closed only by the second run: closed_at set, reporter told, out of the due index
    assert nothing_done(before)
    assert summary["closed"] == 1 and summary["escalated"] == {"level_1": 0, "level_2": 0, "resolve": 0}
    stored = lapor.get(report.id)
    assert stored.status == Status.CLOSED
    assert stored.closed_at == now
    assert [(m.event, m.recipient, m.stage) for m in stored.outbox] == [(Event.STATUS, REPORTER, "closed")]
    assert index_entry(lapor.item(report.id)) is None
    [event] = lapor.escalation_events(report.id)
    assert (event.action, event.status, event.at) == ("auto_close", Status.CLOSED, now)
    # ... and a later run leaves it alone
    assert nothing_done(lapor.run(now + timedelta(days=1)))


# ---- 5. covid19 track ------------------------------------------------------------------------------


def test_covid19_report_escalates_before_a_standard_one_dispatched_at_the_same_time(lapor: Lapor):
    # Given a standard and a covid19 report filed and dispatched at the same instants
    calendar = lapor.directory.work_calendar
    standard_id = lapor.submit(HEALTH, at=wib(2026, 11, 30, 9))
    covid_id = lapor.submit(COVID, at=wib(2026, 11, 30, 9))
    standard = lapor.dispatch(standard_id, at=wib(2026, 11, 30, 10))
    covid = lapor.dispatch(covid_id, at=wib(2026, 11, 30, 10))
    assert (standard.track, covid.track) == ("standard", "covid19")
    covid_verify = covid.deadlines.verify_by
    standard_verify = standard.deadlines.verify_by
    assert covid_verify == calendar.add_working_days(wib(2026, 11, 30, 10), 1)
    assert standard_verify == calendar.add_working_days(wib(2026, 11, 30, 10), 3)

    # When the checker runs at the covid19 report's verify deadline
    first = lapor.run(covid_verify)
    # Then only the covid19 report escalates
    assert first["escalated"] == {"level_1": 1, "level_2": 0, "resolve": 0}
    assert lapor.get(covid_id).escalations == [f"verify:1@{utc_iso(covid_verify)}"]
    assert lapor.get(standard_id).escalations == []

    # When it runs at the covid19 report's level-2 time
    covid_level_2 = calendar.add_working_days(covid_verify, 2)
    second = lapor.run(covid_level_2)
    # Then the covid19 report is at level 2 no later than the standard one reaches level 1
    assert covid_level_2 <= standard_verify
    assert second["escalated"]["level_2"] == 1
    assert {m.recipient for m in lapor.get(covid_id).outbox} == DKI_LEVEL_2
    expected_standard = [f"verify:1@{utc_iso(standard_verify)}"] if covid_level_2 == standard_verify else []
    assert lapor.get(standard_id).escalations == expected_standard


# ---- 6. bounded runs, no Scan --------------------------------------------------------------------


@dataclass
class CallCounter:
    """Counts DynamoDB reads of the reports table on one client, and fails the test on any Scan."""

    table: str
    queries: int = 0
    gets: int = 0
    scans: int = 0
    by_index: dict[str, int] = field(default_factory=dict)

    def attach(self, client: Any) -> Callable[[], None]:
        def on_query(params: dict[str, Any], **_: Any) -> None:
            self.queries += params["TableName"] == self.table
            index = params.get("IndexName", "")
            self.by_index[index] = self.by_index.get(index, 0) + 1

        def on_get(params: dict[str, Any], **_: Any) -> None:
            self.gets += params["TableName"] == self.table

        def on_scan(**_: Any) -> None:
            self.scans += 1
            raise AssertionError("the SLA check must never Scan the reports table")

        # before-parameter-build sees the call's own parameters (TableName); Scan fails before it is sent.
        events = {
            "before-parameter-build.dynamodb.Query": on_query,
            "before-parameter-build.dynamodb.GetItem": on_get,
            "before-call.dynamodb.Scan": on_scan,
        }
        for event, handler in events.items():
            client.meta.events.register(event, handler)

        def detach() -> None:
            for event, handler in events.items():
                client.meta.events.unregister(event, handler)

        return detach


def budget(reports: int, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """A fake ``time_left_ms`` with time for ``reports`` report checks, then none at all."""
    checked = {"count": 0}
    original = sla._check

    def counting_check(*args: Any, **kwargs: Any) -> None:
        checked["count"] += 1
        original(*args, **kwargs)

    monkeypatch.setattr(sla, "_check", counting_check)
    return lambda: 60_000 if checked["count"] < reports else 0


def id_in_shard(shard: int, shards: int) -> str:
    """A fresh report id whose due-index shard is ``shard``."""
    while True:
        report_id = new_report_id()
        if due_shard(report_id, shards) == shard:
            return report_id


def _bounded_fixture(lapor: Lapor, reports: ReportRepository | None = None) -> tuple[list[str], datetime]:
    """12 reports with verify level 1 due (round-robin over the 8 shards: 2 each in shards 0-3, 1 each
    in shards 4-7), plus 4 not yet due and 2 closed ones (not in the index)."""
    directory = lapor.directory
    due = []
    for n in range(12):
        report = dispatched_at(directory, wib(2026, 11, 30)).model_copy(update={"id": id_in_shard(n % 8, 8)})
        due.append(lapor.put(report, reports=reports).id)
    for _ in range(4):
        lapor.put(dispatched_at(directory, wib(2026, 12, 7)), reports=reports)
    for _ in range(2):
        closed = manual_report(directory, Status.CLOSED, at=wib(2026, 11, 2), closed_at=wib(2026, 11, 20))
        lapor.put(closed, reports=reports)
    now = directory.work_calendar.add_working_days(wib(2026, 11, 30), 3) + timedelta(hours=9)
    return due, now


def test_run_out_of_time_leaves_the_rest_for_the_next_run(lapor: Lapor, monkeypatch: pytest.MonkeyPatch):
    # Given 12 due reports spread over 8 shards, and a run with time for the first 3 shards' reports
    ids, now = _bounded_fixture(lapor)
    shards = lapor.services.settings.due_shards
    in_first_shards = [i for i in ids if due_shard(i, shards) < 3]
    assert shards == 8 and len(in_first_shards) == 6

    # When it runs with the clock running out, and then the next run with time to spare
    first = sla.run_sla_check(
        reports=lapor.reports,
        directory=lapor.directory,
        now=now,
        shards=shards,
        time_left_ms=budget(len(in_first_shards), monkeypatch),
    )
    second = sla.run_sla_check(
        reports=lapor.reports,
        directory=lapor.directory,
        now=now,
        shards=shards,
        time_left_ms=lambda: 60_000,
    )

    # Then the first stopped after its third shard and said so; the second finished the rest
    assert first.left_for_later is True
    assert first.escalated["level_1"] == first.checked == len(in_first_shards)
    assert second.left_for_later is False
    assert second.escalated["level_1"] == len(ids) - len(in_first_shards)
    assert all(lapor.get(i).escalations for i in ids)
    assert first.conflicts == second.conflicts == 0


def test_run_out_of_time_between_pages_of_one_shard(lapor: Lapor, monkeypatch: pytest.MonkeyPatch):
    # Given 12 due reports in a single shard, pages of 5, and time for two pages' reports only
    settings = lapor.services.settings
    one_shard = ReportRepository(settings.reports_table, settings.directory_table, due_shards=1)
    ids, now = _bounded_fixture(lapor, one_shard)
    monkeypatch.setattr(sla, "PAGE_SIZE", 5)

    def run(time_left_ms: Callable[[], int]) -> sla.SlaSummary:
        return sla.run_sla_check(
            reports=one_shard, directory=lapor.directory, now=now, shards=1, time_left_ms=time_left_ms
        )

    # When runs with that budget follow each other until one finishes
    summaries = [run(budget(10, monkeypatch))]
    while summaries[-1].left_for_later and len(summaries) < 10:
        summaries.append(run(budget(10, monkeypatch)))

    # Then each bounded run did at most two pages, and together they took every step exactly once
    assert [s.left_for_later for s in summaries[:-1]] == [True] * (len(summaries) - 1)
    assert summaries[-1].left_for_later is False
    assert [s.checked for s in summaries] == [10, 2]
    assert sum(s.escalated["level_1"] for s in summaries) == len(ids)
    assert all(len(lapor.get(i).escalations) == 1 for i in ids)


def test_sla_run_queries_the_due_index_and_never_scans(lapor: Lapor):
    # Given 12 due reports among 18, and a counter on the client the handler uses
    import sla_check_app

    ids, now = _bounded_fixture(lapor)
    svc = sla_check_app.services()
    shards = svc.settings.due_shards
    counter = CallCounter(svc.settings.reports_table)
    detach = counter.attach(svc.reports.client)
    try:
        # When the handler runs
        summary = lapor.run(now)
    finally:
        detach()

    # Then it Queried each shard of the due index once and read only the due reports, never Scanning,
    # and the re-drive Queried each shard of the undelivered index once (nothing there is old enough)
    assert counter.scans == 0
    assert summary["checked"] == len(ids) and summary["escalated"]["level_1"] == len(ids)
    assert counter.by_index == {DUE_INDEX: shards, UNDELIVERED_INDEX: shards}
    assert counter.gets == len(ids)


# ---- 7. the operator's now --------------------------------------------------------------------------


@pytest.mark.parametrize("now", ["2026-12-03T23:59:59.999999", "2026-12-03"])
def test_now_without_offset_is_refused(lapor: Lapor, now: str):
    import sla_check_app

    # Given a now that names no instant; When the handler runs; Then it refuses with ValueError
    with pytest.raises(ValueError, match="offset"):
        sla_check_app.lambda_handler({"now": now}, context("lapor-sla-check", 60))
