"""LAPOR_LOCAL_STATE: the local stack keeps its reports across a restart."""

from __future__ import annotations

from tests.e2e.conftest import start_stack, stop_stack


def test_reports_survive_a_restart(tmp_path):
    state = tmp_path / "lapor.state.json"
    # Given a stack that keeps its state in a file, with one dispatched report
    process, http = start_stack({"LAPOR_LOCAL_STATE": str(state)})
    try:
        status, created = http.call(
            "POST",
            "/reports",
            {
                "title": "Jalan rusak di depan sekolah",
                "description": "Jalan berlubang besar dan membahayakan murid.",
            },
        )
        assert status == 201
        report_id = created["id"]
        before = http.wait_for(
            lambda: (v := http.call("GET", f"/reports/{report_id}")[1])["status"] == "dispatched" and v
        )
    finally:
        # When it stops cleanly (SIGTERM, as Ctrl-C) and starts again with the same file
        assert stop_stack(process) == 0
    assert state.exists()
    process, http = start_stack({"LAPOR_LOCAL_STATE": str(state)})
    try:
        # Then the report is there as it was, and is not routed a second time
        status, after = http.call("GET", f"/reports/{report_id}")
        assert status == 200
        assert after["status"] == "dispatched" and after["timeline"] == before["timeline"]
        assert after["agency"] == before["agency"]
    finally:
        stop_stack(process)
