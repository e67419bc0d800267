"""``python -m ops erase-reporter`` as an operator runs it against the local stack."""

from __future__ import annotations

import subprocess
import sys
import uuid

from tests.e2e.conftest import ROOT, Http

OFFICIAL = "kemenkes-admin"


def erase(stack: Http, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, in a process of its own, pointed at the stack's moto."""
    assert stack.aws, "the local stack did not print its moto endpoint"
    argv = [sys.executable, "-m", "ops", "erase-reporter", "--local", "--endpoint-url", stack.aws, *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_operator_erases_a_reporter_found_by_email(stack: Http):
    marker = uuid.uuid4().hex[:8]
    email, name, phone = f"hapus.{marker}@example.com", f"Sutarmi Hapusdata{marker}", "0812-7731-4409"
    # Given a reporter who typed their own identity into the description of a dispatched report
    status, created = stack.call(
        "POST",
        "/reports",
        {
            "title": "Antrean obat di puskesmas terlalu lama",
            "description": f"Saya {name}, hubungi {email} atau {phone}. Antrean obat lebih dari empat jam.",
            "region": "32.73",
            "reporter": {"name": name, "email": email, "phone": phone},
        },
    )
    assert status == 201, created
    code = created["id"]
    stack.wait_for(lambda: stack.call("GET", f"/reports/{code}")[1]["status"] == "dispatched")
    token = stack.token(OFFICIAL)
    assert stack.call("GET", f"/reports/{code}", headers=token)[1]["reporter"]["email"] == email

    # When the operator looks for a reporter who filed nothing, then erases this one by email
    nobody = erase(stack, "--email", f"tidak.ada.{marker}@example.com", "--yes")
    done = erase(stack, "--email", email.upper(), "--yes")

    # Then the first finds nothing and changes nothing; the second names the report it erased
    assert nobody.returncode == 0, nobody.stderr
    assert "nothing to erase" in nobody.stdout
    assert done.returncode == 0, done.stderr
    assert code in done.stdout and "erased: 1 report(s)" in done.stdout
    # ... the officials' view keeps the report without the reporter, and no text names them
    status, view = stack.call("GET", f"/reports/{code}", headers=token)
    assert status == 200 and view["reporter"] is None
    assert "erased" in [entry["action"] for entry in view["timeline"]]
    for text in (stack.call("GET", f"/reports/{code}")[1], view):
        rendered = str(text)
        assert email not in rendered and f"Hapusdata{marker}" not in rendered and "7731" not in rendered
    # ... and the official can still work the report
    verify = {"action": "verify", "note": "Diverifikasi setelah penghapusan data pelapor."}
    assert stack.call("POST", f"/reports/{code}/actions", verify, headers=token)[0] == 200


def test_the_erase_command_refuses_what_it_cannot_use(stack: Http):
    # When the operator names no reporter, a malformed code, or a number that is no mobile number
    results = [
        erase(stack, "--yes"),
        erase(stack, "--report", "bukan-kode", "--yes"),
        erase(stack, "--phone", "12", "--yes"),
    ]
    # Then each stops with usage status 2 and says what was wrong, in words
    assert [r.returncode for r in results] == [2, 2, 2]
    assert "name the reporter" in results[0].stderr
    assert "is not a tracking code" in results[1].stderr
    assert "is not an Indonesian mobile number" in results[2].stderr
