"""Accountability on the local stack: live statistics, the statistics page in a browser (axe, phone
layout, sorting, invalid periods, both languages), and the monthly jobs through /_local/jobs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Http
from tests.e2e.test_browser import ARGS, CHROMIUM
from tests.e2e.test_lifecycle import dispatched, submit

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def _month_of(created_at: str) -> str:
    return created_at[:7]  # created_at is WIB (+07:00) in the API's answers


def _counted(stack: Http, period: str, report_ids: set[str], minimum: int) -> dict[str, Any]:
    return stack.wait_for(
        lambda: (
            (view := stack.call("GET", f"/stats?period={period}")[1])["totals"]["total"] >= minimum and view
        ),
        timeout=30,
    )


def test_stats_are_live_and_the_monthly_jobs_write_to_s3_and_email_attachments(stack: Http):
    # Given two reports filed and dispatched now
    before = stack.call("GET", "/stats")[1]["totals"]["total"]
    created = [submit(stack), submit(stack)]
    for report in created:
        dispatched(stack, report["id"])
    period = created[0]["created_at"][:7]
    # Then GET /stats counts them within seconds, in the month and in the year, grouped by kind
    view = _counted(stack, period, {r["id"] for r in created}, before + 2)
    year = stack.call("GET", f"/stats?period={period[:4]}")[1]
    assert year["totals"]["total"] >= view["totals"]["total"]
    health = next(row for row in view["agencies"] if row["agency"]["code"] == "KEMENKES")
    assert health["kind"] == "kementerian" and health["unverified"] >= 2
    assert {group["kind"] for group in view["by_kind"]} == {"kementerian", "lembaga", "pemda", "bumn"}
    # And a bad period is named
    status, error = stack.call("GET", "/stats?period=2026-13")
    assert status == 422 and error["errors"][0]["field"] == "period"

    # When the evaluation of this month runs on demand
    status, result = stack.call("POST", "/_local/jobs/evaluation", {"period": period})
    assert status == 200, result
    assert f"evaluations/{period}/KEMENKES.csv" in result["keys"] and result["bucket"]
    # Then the agency's admin has the evaluation with a PNG chart and a CSV attached
    mail = stack.wait_for(
        lambda: [m for m in stack.outbox() if "admin@kemkes.go.id" in m["to"] and m.get("attachments")]
    )[-1]
    kinds = {a["content_type"] for a in mail["attachments"]}
    assert kinds == {"image/png", "text/csv"} and all(a["size"] > 0 for a in mail["attachments"])
    assert all(m["attachments"] == [] for m in stack.outbox() if m["channel"] == "sms")

    # When the open-data export of this month runs
    status, result = stack.call("POST", "/_local/jobs/export", {"period": period})
    assert status == 200, result
    (key,) = result["keys"]
    assert key == f"open-data/reports/year={period[:4]}/month={period[5:]}/reports.parquet"
    status, error = stack.call("POST", "/_local/jobs/export", {"period": "next month"})
    assert status == 422 and error["errors"][0]["field"] == "period"


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(
        locale="id-ID", timezone_id="Asia/Jakarta", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@needs_chromium
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 740)], ids=["desktop", "phone"])
def test_statistics_page_is_accessible_sortable_and_fits_a_phone(
    stack: Http, browser: Any, width, height, tmp_path
):
    # Given reports this month
    created = submit(stack)
    dispatched(stack, created["id"])
    _counted(stack, created["created_at"][:7], {created["id"]}, 1)
    page = _page(browser, width, height)
    # When the statistics page opens
    page.goto(f"{stack.base}/stats.html")
    page.wait_for_selector("#agencies:not([hidden]) table.stats tbody tr", timeout=20_000)
    page.screenshot(path=str(tmp_path / f"stats-{width}.png"), full_page=True)
    # Then the national totals, the chart per kind (with its text equivalent) and the trend come first
    text = page.inner_text("#summary")
    assert "Seluruh Indonesia" in text and "Kementerian" in page.text_content("#kind-table")
    assert page.locator("#kind-chart [role='img'][aria-labelledby='kind-caption']").count() == 1
    assert page.locator("#trend-table tbody tr").count() == 12
    assert page.locator(".legend-list li").count() == 4
    # And nothing scrolls sideways, and axe finds nothing
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _axe_violations(page) == []
    # When a column heading is pressed, the rows are sorted by it, and again in reverse
    button = page.locator("thead th button.sort", has_text="Jumlah")
    button.click()
    assert page.locator("thead th[aria-sort]").inner_text().startswith("Jumlah")
    first = page.get_attribute("thead th[aria-sort]", "aria-sort")
    page.locator("thead th button.sort", has_text="Jumlah").click()
    assert page.get_attribute("thead th[aria-sort]", "aria-sort") != first
    # When the year view is chosen, the month control goes and the hint says what is left
    page.check("input[name='scope'][value='year']")
    assert page.locator("#s-month-field").is_hidden()
    assert page.inner_text("#s-year-hint") == "Pilih tahun dari daftar."
    page.click("#stats-form button[type='submit']")
    page.wait_for_url("**/stats.html?period=*")
    page.wait_for_selector("#summary:not([hidden])")
    assert "?period=20" in page.url and len(page.url.rsplit("=", 1)[1]) == 4
    # And in English the same page reads in English
    page.click("#lang-toggle")
    assert "All of Indonesia" in page.inner_text("#summary-heading")
    assert _axe_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


@needs_chromium
def test_statistics_page_names_an_invalid_period(stack: Http, browser: Any):
    page = _page(browser, 1280, 900)
    page.goto(f"{stack.base}/stats.html?period=2026-13")
    alert = page.wait_for_selector("#status [role='alert']", timeout=20_000)
    assert "Periode tidak valid" in alert.inner_text() and "2026-13" in alert.inner_text()
    assert page.get_attribute("#s-year", "aria-invalid") == "true"
    assert _axe_violations(page) == []
    page.context.close()
