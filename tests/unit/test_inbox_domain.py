"""The inbox's rules without I/O: current deadlines, scope keys, memberships and counter changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lapor.domain.directory import Role
from lapor.domain.inbox import Scope, count_changes, current_deadline, entries_of, is_overdue, scope_key
from lapor.domain.lifecycle import Status
from lapor.domain.models import Deadlines, Report, Reporter, ReportKind
from lapor.domain.roles import Caller

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def report(**changes: object) -> Report:
    base = Report(
        id="7KQ2-MX9R-TH4PW",
        kind=ReportKind.COMPLAINT,
        status=Status.DISPATCHED,
        title="Puskesmas tutup",
        description="Puskesmas tutup pada jam layanan.",
        agency="KEMENKES",
        assignee="kemenkes-lo1",
        receipt_hash="x",
        created_at=NOW - timedelta(days=2),
        updated_at=NOW,
        deadlines=Deadlines(verify_by=NOW + timedelta(days=1), resolve_by=NOW + timedelta(days=58)),
    )
    return base.model_copy(update=changes)


def test_the_current_deadline_follows_the_status():
    # Given deadlines of every kind, the officials' current one is the soonest that binds them now
    deadlines = Deadlines(
        verify_by=NOW + timedelta(days=1),
        follow_up_by=NOW + timedelta(days=3),
        resolve_by=NOW + timedelta(hours=5),
        close_after=NOW - timedelta(days=1),
    )
    assert current_deadline(report(deadlines=deadlines)).stage == "resolve"
    assert (
        current_deadline(report(status=Status.VERIFIED, deadlines=Deadlines(follow_up_by=NOW))).stage
        == "follow_up"
    )
    # the reporter's close_after is not the officials' deadline; finished reports have none
    assert current_deadline(report(status=Status.COMPLETED, deadlines=deadlines)) is None
    assert not is_overdue(report(status=Status.COMPLETED, deadlines=deadlines), NOW)
    assert is_overdue(report(deadlines=Deadlines(verify_by=NOW - timedelta(seconds=1))), NOW)


def test_scope_keys_and_memberships():
    liaison = Caller("kemenkes-lo1", "Siti", "KEMENKES", Role.LIAISON, national_admin=False)
    ombudsman = Caller("ori-sup", "Hamzah", "ORI", Role.SUPERVISOR, national_admin=False)
    assert [scope_key(s, liaison) for s in Scope] == [
        "A#KEMENKES",
        "M#kemenkes-lo1",
        "E#kemenkes-lo1",
        "C#KEMENKES",
    ]
    # an oversight body reads its escalations as one inbox, whichever of its officials asks
    assert scope_key(Scope.ESCALATED, ombudsman) == "EA#ORI"
    listed = report(escalated_to=["kemenkes-sup"], escalated_agencies=["ORI"], copied_to=["KSP"])
    assert set(entries_of(listed)) == {"A#KEMENKES", "M#kemenkes-lo1", "E#kemenkes-sup", "EA#ORI", "C#KSP"}


def test_counters_move_with_the_status_and_the_scopes():
    before = report()
    after = report(status=Status.VERIFIED, assignee="kemenkes-lo2")
    changes = count_changes(before, after)
    assert changes == {
        ("A#KEMENKES", "dispatched"): -1,
        ("A#KEMENKES", "verified"): 1,
        ("M#kemenkes-lo1", "dispatched"): -1,
        ("M#kemenkes-lo2", "verified"): 1,
    }
    assert count_changes(before, before) == {}


def test_an_anonymous_reporters_identity_never_reaches_an_entry():
    anonymous = report(
        anonymous=True,
        title="Andi Wijaya melapor: puskesmas tutup",
        reporter=Reporter(name="Andi Wijaya", email="andi@example.com"),
    )
    (entry, *_) = entries_of(anonymous).values()
    assert "Andi" not in entry.title and "andi" not in entry.search
