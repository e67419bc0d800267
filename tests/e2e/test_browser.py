"""The web pages in a real browser (Debian's Chromium driven by Playwright) against the local stack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, Http
from tests.e2e.conftest import CHROMIUM_ARGS as ARGS

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (make test installs it when run as root)"
)
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}")


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


def test_citizen_files_and_tracks_a_report(stack: Http, page: Any, tmp_path):
    # Given the submission page
    page.goto(f"{stack.base}/index.html")
    page.wait_for_selector("#f-category option[value='kesehatan']", state="attached")
    # When a citizen fills it in and sends it
    page.fill("#f-title", "Puskesmas tutup di jam layanan")
    page.fill("#f-description", "Puskesmas kelurahan tutup pada Senin pagi, dokter tidak ada di tempat.")
    page.select_option("#f-category", "kesehatan")
    page.fill("#f-email", "pelapor@example.com")
    page.click("#submit")
    # Then the page shows the tracking code and the receipt
    result = page.wait_for_selector("#result .success", timeout=20_000)
    code = CODE.search(result.inner_text()).group(0)
    page.screenshot(path=str(tmp_path / "submitted.png"))

    # And the tracking page shows the report once it is dispatched to the agency
    stack.wait_for(lambda: stack.call("GET", f"/reports/{code}")[1]["status"] == "dispatched")
    page.goto(f"{stack.base}/track.html#{code}")
    page.wait_for_selector("#report:not([hidden])", timeout=20_000)
    text = page.inner_text("#report")
    assert "Kementerian Kesehatan" in text
    assert "WIB" in text  # deadlines shown in Jakarta time
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_refusal_from_the_server_is_marked_on_the_form(stack: Http, page: Any):
    page.goto(f"{stack.base}/index.html")
    # A title mixing look-alike letters of two alphabets ("J\u0430lan", Cyrillic a): only the server checks it
    page.fill("#f-title", "J\u0430lan rusak di depan sekolah")
    page.fill("#f-description", "Jalan rusak berat di depan sekolah dasar negeri.")
    page.click("#submit")
    # The server's 422 names `title`; the page marks that field with the server's own words
    page.wait_for_selector("#f-title[aria-invalid='true']", timeout=20_000)
    assert page.inner_text("#err-title").startswith("Judul laporan mencampur huruf dari abjad berbeda")
    assert page.errors == []  # type: ignore[attr-defined]
