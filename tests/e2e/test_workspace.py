"""The officials' workspace in a real browser (Debian's Chromium driven by Playwright) on a local stack.

Officials sign in with their id and the local stack's password through Cognito's own API (moto's),
exactly as the page does when deployed. The stack is this module's own, so its deadline checker can be
run far in the future without touching other tests' reports. Every page state is checked with axe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Http, start_stack, stop_stack
from tests.e2e.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (make test installs it when run as root)"
)
PASSWORD = "Lapor-Local-2026!"
# A JWT (three base64url parts, the first two JSON objects): never on the page, in any form.
JWT = re.compile(r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}")
CONFIDENTIAL = {
    "title": "Pungutan liar di puskesmas kecamatan",
    "description": "Petugas loket puskesmas meminta uang tambahan untuk kartu berobat setiap Senin pagi.",
    "confidential": True,
    "reporter": {"name": "Rahmat Hidayat", "email": "rahmat.rahasia@example.com"},
}


@pytest.fixture(scope="module")
def workspace_stack() -> Iterator[Http]:
    """A local stack of this module's own, with the test directory."""
    process, http = start_stack()
    try:
        yield http
    finally:
        stop_stack(process)


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        size = getattr(request, "param", {"width": 1280, "height": 900})
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", viewport=size)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


def file_report(stack: Http, body: dict[str, Any]) -> str:
    status, created = stack.call("POST", "/reports", body)
    assert status == 201, created
    report_id = created["id"]
    stack.wait_for(lambda: stack.call("GET", f"/reports/{report_id}")[1]["status"] == "dispatched")
    return str(report_id)


def official_view(stack: Http, report_id: str, who: str) -> dict[str, Any]:
    return stack.call("GET", f"/reports/{report_id}", headers=stack.token(who))[1]


def no_token_anywhere(page: Any) -> None:
    """No token text in the page's DOM, its storage-free text, or any input."""
    html = page.content()
    assert not JWT.search(html), "a token is on the page"
    values = page.eval_on_selector_all("input, textarea", "els => els.map(e => e.value).join(' ')")
    assert not JWT.search(values)


def axe_clean(page: Any) -> None:
    """axe-core (the copy axe-playwright-python ships) finds no violation in the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()


def sign_in(page: Any, stack: Http, official: str, path: str = "/officials.html") -> None:
    page.goto(stack.base + path)
    page.wait_for_selector("#password-form:not([hidden]) #s-id")
    page.fill("#s-id", official)
    page.fill("#s-password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#workspace:not([hidden])", timeout=15_000)
    page.wait_for_selector("#tab-agency .tab-count", timeout=15_000)


def sign_out(page: Any) -> None:
    page.click("#signout")
    page.wait_for_selector("#password-form:not([hidden])")


def act(page: Any, action: str, note: str = "", **fields: str) -> None:
    page.check(f"#action-options input[value='{action}']")
    for selector, value in fields.items():
        if selector == "to_official":
            page.wait_for_selector(f"#a-official option[value='{value}']", state="attached")
            page.select_option("#a-official", value)
        else:
            page.fill(f"#a-{selector.removeprefix('to_')}", value)
    if note:
        page.fill("#a-note", note)
    page.click("#act-submit")
    page.wait_for_selector("#action-result .alert-success", timeout=15_000)


def backdated_overdue_report(stack: Http, *, days: int = 10) -> str:
    """A report filed ``days`` ago and never verified: written as the stack's own code would have.

    The API cannot file a report in the past; the repository on the stack's moto can, and it writes
    the same report, inbox entries and counters the pipeline writes.
    """
    import boto3

    from lapor.adapters.repository import ReportRepository
    from lapor.domain.deadlines import with_next_due
    from lapor.domain.directory import load_directory
    from lapor.domain.ids import hash_receipt, new_receipt, new_report_id
    from lapor.domain.lifecycle import Status
    from lapor.domain.models import Deadlines, Report, ReportKind, TimelineEvent
    from tests.e2e.conftest import TEST_DIRECTORY

    assert stack.aws, "the stack's moto endpoint is needed"
    directory = load_directory(TEST_DIRECTORY.read_text())
    calendar = directory.work_calendar
    filed = datetime.now(UTC) - timedelta(days=days)
    report = Report(
        id=new_report_id(),
        kind=ReportKind.COMPLAINT,
        status=Status.DISPATCHED,
        title="Obat habis di puskesmas sejak dua pekan",
        description="Puskesmas kelurahan tidak punya obat hipertensi sejak dua pekan lalu.",
        category="kesehatan",
        track="standard",
        agency="KEMENKES",
        assignee="kemenkes-lo2",
        receipt_hash=hash_receipt(new_receipt()),
        created_at=filed,
        updated_at=filed,
        dispatched_at=filed,
        routing_seq=1,
        deadlines=Deadlines(
            verify_by=calendar.add_working_days(filed, 3), resolve_by=calendar.add_calendar_days(filed, 60)
        ),
    )
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws,
        region_name="ap-southeast-3",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    repository = ReportRepository("lapor-local-reports", "lapor-local-directory", due_shards=8, client=client)
    repository.save(
        with_next_due(report, calendar),
        expected_version=None,
        events=[
            TimelineEvent(at=filed, status=Status.RECEIVED, action="submit", actor="reporter"),
            TimelineEvent(
                at=filed,
                status=Status.DISPATCHED,
                action="route",
                actor="system",
                recipients=["kemenkes-lo2"],
            ),
        ],
    )
    return report.id


def test_liaison_works_a_confidential_report_and_an_admin_assigns_it(
    workspace_stack: Http, browser_page: Any
):
    stack, page = workspace_stack, browser_page
    # Given a confidential report at KEMENKES, and an overdue one filed ten days ago
    report_id = file_report(stack, CONFIDENTIAL)
    overdue_id = backdated_overdue_report(stack)
    liaison = official_view(stack, report_id, "kemenkes-admin")["assignee"]["id"]
    colleague = "kemenkes-lo2" if liaison == "kemenkes-lo1" else "kemenkes-lo1"

    # When its liaison signs in with id and password
    sign_in(page, stack, liaison)
    no_token_anywhere(page)
    axe_clean(page)
    # Then the report is in the inbox; opened, its text and the reporter's email are readable
    page.click(f"#inbox-list a[href='#/reports/{report_id}']")
    page.wait_for_selector("#panel-body .report")
    panel = page.inner_text("#panel")
    assert CONFIDENTIAL["title"] in panel and CONFIDENTIAL["description"] in panel
    assert "rahmat.rahasia@example.com" in panel
    axe_clean(page)
    # And the liaison is offered only the moves of the role: verify, not reject/forward/assign
    offered = page.eval_on_selector_all("#action-options input", "els => els.map(e => e.value)")
    assert offered == ["verify"]
    # When they verify it
    act(page, "verify")
    page.wait_for_selector("#panel-body .badge-verified")
    assert stack.call("GET", f"/reports/{report_id}")[1]["status"] == "verified"
    # And find the overdue report under the overdue filter
    page.click("#back")
    page.check("#f-overdue")
    page.wait_for_function("document.querySelectorAll('#inbox-list li').length === 1", timeout=15_000)
    ids = page.eval_on_selector_all("#inbox-list a", "els => els.map(a => a.hash.split('/').pop())")
    assert ids == [overdue_id]
    assert "Terlambat" in page.inner_text("#inbox-list")
    no_token_anywhere(page)
    sign_out(page)

    # When the agency admin signs in and assigns the verified report to a colleague
    sign_in(page, stack, "kemenkes-admin")
    page.click(f"#inbox-list a[href='#/reports/{report_id}']")
    page.wait_for_selector("#action-options input[value='assign']")
    act(page, "assign", "Mohon ditangani hari ini.", to_official=colleague)
    # Then the report is the colleague's, and they were emailed a link to it in the workspace
    assert official_view(stack, report_id, "kemenkes-admin")["assignee"]["id"] == colleague
    mail = stack.wait_for(
        lambda: [
            m
            for m in stack.outbox()
            if m["channel"] == "email"
            and report_id in (m.get("subject") or "")
            and "Mohon ditangani hari ini." in m["body"]
        ]
    )
    assert f"/officials.html#/reports/{report_id}" in mail[-1]["body"]
    no_token_anywhere(page)
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_email_link_asks_for_sign_in_then_opens_the_report(workspace_stack: Http, browser_page: Any):
    stack, page = workspace_stack, browser_page
    report_id = file_report(stack, CONFIDENTIAL | {"title": "Antrean loket puskesmas tidak tertib"})
    assignee = official_view(stack, report_id, "kemenkes-admin")["assignee"]["id"]
    page.goto(f"{stack.base}/officials.html#/reports/{report_id}")
    page.wait_for_selector("#password-form:not([hidden])")
    assert report_id in page.inner_text("#signin")
    page.fill("#s-id", assignee)
    page.fill("#s-password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#panel-body .report", timeout=15_000)
    assert "Antrean loket puskesmas tidak tertib" in page.inner_text("#panel")
    assert page.errors == []  # type: ignore[attr-defined]


def test_wrong_password_is_said_in_the_pages_language(workspace_stack: Http, browser_page: Any):
    stack, page = workspace_stack, browser_page
    page.goto(f"{stack.base}/officials.html")
    page.wait_for_selector("#s-id")
    page.click("#lang-toggle")
    page.fill("#s-id", "kemenkes-lo1")
    page.fill("#s-password", "not the password")
    page.click("#password-form button[type=submit]")
    alert = page.wait_for_selector("#signin-errors .alert")
    assert alert.inner_text() == "Wrong official id or password, or the account is disabled."
    axe_clean(page)
    page.click("#lang-toggle")
    assert page.inner_text("#signin-heading") == "Masuk petugas"


def test_first_sign_in_with_a_temporary_password_asks_for_a_new_one(workspace_stack: Http, browser_page: Any):
    import boto3

    stack, page = workspace_stack, browser_page
    # Given an official whose account was just created with a temporary password (as an invitation)
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack.aws,
        region_name="ap-southeast-3",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pool = next(
        p["Id"]
        for p in cognito.list_user_pools(MaxResults=10)["UserPools"]
        if p["Name"] == "lapor-local-officials"
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="kemenpu-lo1", Password="Sementara-2026!", Permanent=False
    )
    # When they sign in with it
    page.goto(f"{stack.base}/officials.html")
    page.wait_for_selector("#s-id")
    page.fill("#s-id", "kemenpu-lo1")
    page.fill("#s-password", "Sementara-2026!")
    page.click("#password-form button[type=submit]")
    # Then the page asks for a new password, and signs them in with it
    page.wait_for_selector("#newpass-form:not([hidden])")
    axe_clean(page)
    page.fill("#s-new", "Kata-Sandi-Baru-2026!")
    page.fill("#s-confirm", "Kata-Sandi-Baru-2026!")
    page.click("#newpass-form button[type=submit]")
    page.wait_for_selector("#workspace:not([hidden])", timeout=15_000)
    assert "Agus Pratama" in page.inner_text("#whoami")
    no_token_anywhere(page)
    # ... and signing out really signs out: a reload shows the sign-in form
    sign_out(page)
    page.reload()
    page.wait_for_selector("#password-form:not([hidden])")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="kemenpu-lo1", Password=PASSWORD, Permanent=True
    )


def test_national_admin_sees_an_escalated_report_under_escalated(workspace_stack: Http, browser_page: Any):
    stack, page = workspace_stack, browser_page
    # Given a KEMENPU report nobody verified, and the deadline checker run past its level-2 step
    report_id = file_report(
        stack,
        {
            "title": "Jembatan penghubung desa ambruk",
            "description": "Jembatan di desa kami ambruk sejak pekan lalu dan belum ada perbaikan.",
            "category": "infrastruktur",
        },
    )
    verify_by = datetime.fromisoformat(
        stack.call("GET", f"/reports/{report_id}")[1]["deadlines"]["verify_by"]
    )
    status, summary = stack.call(
        "POST", "/_local/sla-check", {"now": (verify_by + timedelta(days=7)).isoformat()}
    )
    assert status == 200 and summary["escalated"]["level_2"] >= 1, summary
    # When the national admin signs in and opens the "escalated" tab
    sign_in(page, stack, "panrb-admin")
    page.click("#tab-escalated")
    page.wait_for_selector(f"#inbox-list a[href='#/reports/{report_id}']", timeout=15_000)
    axe_clean(page)
    # Then the report is there, and its panel shows the escalation and who it went to
    page.click(f"#inbox-list a[href='#/reports/{report_id}']")
    page.wait_for_selector("#panel-body .report")
    panel = page.inner_text("#panel")
    assert "Eskalasi verifikasi tingkat 2" in panel and "Admin Nasional" in panel
    no_token_anywhere(page)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("browser_page", [{"width": 390, "height": 844}], indirect=True)
def test_on_a_phone_the_report_replaces_the_list(workspace_stack: Http, browser_page: Any):
    stack, page = workspace_stack, browser_page
    report_id = file_report(stack, CONFIDENTIAL | {"title": "Loket puskesmas tutup lebih awal"})
    assignee = official_view(stack, report_id, "kemenkes-admin")["assignee"]["id"]
    sign_in(page, stack, assignee)
    axe_clean(page)
    page.click(f"#inbox-list a[href='#/reports/{report_id}']")
    page.wait_for_selector("#panel-body .report")
    # The panel starts at the top of the page: nothing to scroll past to reach it
    assert not page.is_visible("#inbox")
    top = page.eval_on_selector("#panel", "el => el.getBoundingClientRect().top + window.scrollY")
    assert top < 844
    axe_clean(page)
    page.click("#back")
    page.wait_for_selector("#inbox:visible")


@pytest.fixture(scope="module")
def mfa_stack() -> Iterator[Http]:
    """A local stack deployed as production is: admins, supervisors and the national admin need TOTP."""
    process, http = start_stack({"LAPOR_MFA": "required"})
    try:
        yield http
    finally:
        stop_stack(process)


def test_an_admin_enrols_an_authenticator_then_signs_in_with_its_code(mfa_stack: Http, browser_page: Any):
    stack, page = mfa_stack, browser_page
    # Given an admin without an authenticator, where the deployment requires one of admins
    page.goto(f"{stack.base}/officials.html")
    page.wait_for_selector("#s-id")
    page.fill("#s-id", "kemenkes-admin")
    page.fill("#s-password", PASSWORD)
    page.click("#password-form button[type=submit]")
    # Then the page asks them to enrol before anything else, showing the setup key
    page.wait_for_selector("#enrol-form:not([hidden])", timeout=15_000)
    assert page.is_hidden("#workspace")
    key = page.inner_text("#enrol-key").replace(" ", "")
    assert key and page.get_attribute("#enrol-link", "href").startswith("otpauth://totp/")
    axe_clean(page)
    # When they enter the code their app shows (the local stack's moto accepts any six digits)
    page.fill("#s-enrol-code", "123 456")
    page.click("#enrol-form button[type=submit]")
    page.wait_for_selector("#workspace:not([hidden])", timeout=15_000)
    no_token_anywhere(page)
    sign_out(page)
    # Then the next sign-in asks for the code after the password
    page.fill("#s-id", "kemenkes-admin")
    page.fill("#s-password", PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#totp-form:not([hidden])", timeout=15_000)
    page.fill("#s-code", "123")
    page.click("#totp-form button[type=submit]")
    assert page.wait_for_selector("#signin-errors .alert").inner_text() == "Masukkan 6 digit angka."
    page.fill("#s-code", "654321")
    page.click("#totp-form button[type=submit]")
    page.wait_for_selector("#workspace:not([hidden])", timeout=15_000)
    # ... while a liaison signs in with the password alone
    sign_out(page)
    sign_in(page, stack, "kemenkes-lo1")
    assert page.errors == []  # type: ignore[attr-defined]
