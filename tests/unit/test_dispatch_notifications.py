"""dispatch_notifications: who hears of a dispatch, under which deterministic ids (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lapor.adapters.directory_file import load_directory_file
from lapor.app.dispatch import dispatch_notifications
from lapor.domain.directory import Directory
from lapor.domain.lifecycle import Status
from lapor.domain.messages import REPORTER, Event, Notification
from lapor.domain.models import Report, Reporter, ReportKind

DIRECTORY_FILE = Path(__file__).resolve().parent.parent / "data" / "directory.test.yaml"
REPORT_ID = "7KQ2-MX9R-TH4PW"
NOW = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)
COVID_CC_ADMINS = ["ksp-admin", "ori-admin", "bnpb-admin", "kemenkes-admin", "komdigi-admin"]


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory_file(DIRECTORY_FILE)


def routed(**changes: Any) -> Report:
    """A report as ``assign`` leaves it: dispatched to DINKES-DKI on the standard track, first routing."""
    values: dict[str, Any] = {
        "id": REPORT_ID,
        "kind": ReportKind.COMPLAINT,
        "status": Status.DISPATCHED,
        "title": "Puskesmas tutup",
        "description": "Puskesmas Menteng tutup pada jam layanan.",
        "category": "kesehatan",
        "track": "standard",
        "agency": "DINKES-DKI",
        "assignee": "dinkes-dki-lo1",
        "region": "31.71",
        "reporter": Reporter(name="Andi Wijaya", email="andi@example.com", phone="+6281234567890"),
        "receipt_hash": "x" * 64,
        "created_at": NOW,
        "updated_at": NOW,
        "dispatched_at": NOW,
        "routing_seq": 1,
    }
    return Report.model_validate(values | changes)


def ids(messages: list[Notification]) -> list[str]:
    return [m.id for m in messages]


def test_standard_dispatch_goes_to_assignee_and_reporter(directory):
    # Given a report routed for the first time on the standard track, with the reporter's contact
    # When its dispatch messages are built
    messages = dispatch_notifications(routed(), directory, triage=False)

    # Then the assignee is told to verify it and the reporter gets an acknowledgment, in that order
    assert ids(messages) == [f"{REPORT_ID}:assigned:1:dinkes-dki-lo1", f"{REPORT_ID}:received:reporter"]
    assert [(m.event, m.recipient, m.report_id) for m in messages] == [
        (Event.ASSIGNED, "dinkes-dki-lo1", REPORT_ID),
        (Event.RECEIVED, REPORTER, REPORT_ID),
    ]
    # ... and the messages name who and what only: no address, no text
    assert all(m.stage is None and m.note is None for m in messages)
    assert "andi" not in str([m.model_dump() for m in messages]).lower()


def test_covid_track_copies_every_cc_agency_admin_in_directory_order(directory):
    # Given a report on the covid19 track (cc: KSP, ORI, BNPB, KEMENKES, KOMDIGI)
    messages = dispatch_notifications(routed(track="covid19"), directory, triage=False)

    # Then after the assignee, each cc agency's active admins get a copy, then the reporter
    assert ids(messages) == [
        f"{REPORT_ID}:assigned:1:dinkes-dki-lo1",
        *(f"{REPORT_ID}:cc:1:{admin}" for admin in COVID_CC_ADMINS),
        f"{REPORT_ID}:received:reporter",
    ]
    assert {m.event for m in messages[1:-1]} == {Event.CC}


def test_assignee_who_is_a_cc_admin_gets_no_copy(directory):
    # Given a covid19 report assigned to KEMENKES's admin (no active liaison would be the reason)
    report = routed(track="covid19", agency="KEMENKES", assignee="kemenkes-admin")

    # When its dispatch messages are built
    messages = dispatch_notifications(report, directory, triage=False)

    # Then the admin is told once, as the assignee, not again as a cc
    assert [m.recipient for m in messages].count("kemenkes-admin") == 1
    assert messages[0].id == f"{REPORT_ID}:assigned:1:kemenkes-admin"
    assert f"{REPORT_ID}:cc:1:kemenkes-admin" not in ids(messages)
    assert len(messages) == 1 + 4 + 1


def test_inactive_cc_admins_and_agencies_without_admins_get_nothing(directory):
    # Given a directory where ORI's admin has left and BNPB has no admin at all
    officials = [
        o.model_copy(update={"active": False}) if o.id == "ori-admin" else o
        for o in directory.officials
        if o.id != "bnpb-admin"
    ]
    changed = Directory.model_validate(
        directory.model_dump() | {"officials": [o.model_dump() for o in officials]}
    )

    # When a covid19 dispatch is built
    messages = dispatch_notifications(routed(track="covid19"), changed, triage=False)

    # Then only the remaining active admins are copied
    assert [m.recipient for m in messages if m.event == Event.CC] == [
        "ksp-admin",
        "kemenkes-admin",
        "komdigi-admin",
    ]


def test_triage_goes_to_the_assignee_as_a_triage_request(directory):
    # Given a report no category matched, assigned to the national admin
    report = routed(category=None, agency="PANRB", assignee="panrb-admin")

    # When its dispatch messages are built for manual triage
    messages = dispatch_notifications(report, directory, triage=True)

    # Then the national admin gets a triage request, and the reporter the acknowledgment
    assert ids(messages) == [f"{REPORT_ID}:triage:1:panrb-admin", f"{REPORT_ID}:received:reporter"]
    assert messages[0].event == Event.TRIAGE


def test_without_an_assignee_the_national_admin_is_told(directory):
    messages = dispatch_notifications(routed(assignee=None), directory, triage=False)
    assert messages[0].id == f"{REPORT_ID}:assigned:1:panrb-admin"


@pytest.mark.parametrize(
    ("reporter", "acknowledged"),
    [
        pytest.param(Reporter(email="andi@example.com"), True, id="email-only"),
        pytest.param(Reporter(phone="+6281234567890"), True, id="phone-only"),
        pytest.param(Reporter(name="Andi Wijaya"), False, id="name-only"),
        pytest.param(Reporter(), False, id="empty"),
        pytest.param(None, False, id="no-reporter"),
    ],
)
def test_reporter_is_acknowledged_only_with_a_way_to_reach_them(directory, reporter, acknowledged):
    messages = dispatch_notifications(routed(reporter=reporter), directory, triage=False)
    assert (f"{REPORT_ID}:received:reporter" in ids(messages)) is acknowledged


def test_anonymous_reporter_with_contact_is_still_acknowledged(directory):
    # Anonymity hides the reporter from officials; the system itself still writes to them.
    messages = dispatch_notifications(routed(anonymous=True), directory, triage=False)
    assert ids(messages)[-1] == f"{REPORT_ID}:received:reporter"


def test_a_re_routing_has_new_ids_and_no_second_acknowledgment(directory):
    # Given a report forwarded once (its second routing) on the covid19 track
    report = routed(routing_seq=2, track="covid19", agency="KEMENKES", assignee="kemenkes-lo1")

    # When its dispatch messages are built
    messages = dispatch_notifications(report, directory, triage=False)

    # Then every id carries the routing sequence, so they differ from the first routing's, and the
    # reporter, acknowledged at the first routing, is not acknowledged again
    assert ids(messages) == [
        f"{REPORT_ID}:assigned:2:kemenkes-lo1",
        *(f"{REPORT_ID}:cc:2:{admin}" for admin in COVID_CC_ADMINS),
    ]
    first = dispatch_notifications(routed(track="covid19"), directory, triage=False)
    assert not set(ids(messages)) & set(ids(first))


def test_ids_are_deterministic_and_unique(directory):
    # Given the same routed report built twice
    one = dispatch_notifications(routed(track="covid19"), directory, triage=False)
    two = dispatch_notifications(routed(track="covid19"), directory, triage=False)

    # Then the messages are identical (a replayed record enqueues the same ids) and no id repeats
    assert one == two
    assert len(set(ids(one))) == len(one)
    # ... and each id is report:event:seq:recipient, matching Notification.for_
    for message in one:
        seq = None if message.event == Event.RECEIVED else 1
        assert message == Notification.for_(REPORT_ID, message.event, message.recipient, seq=seq)


def test_unknown_or_missing_track_copies_nobody(directory):
    for track in (None, "no-such-track"):
        messages = dispatch_notifications(routed(track=track), directory, triage=False)
        assert [m.event for m in messages] == [Event.ASSIGNED, Event.RECEIVED]
