"""Citizens' pages in Chromium, in Indonesian and English, at desktop and phone sizes, with axe.

A citizen who knows only the name of their town files a report with a photo, reads every message in
their language, and accepts the answer from the completion email's link; an official downloads the
photo without its GPS. axe-core (the copy shipped with axe-playwright-python) must find nothing on
any page or state visited.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, Http
from tests.e2e.conftest import CHROMIUM_ARGS as ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}")
RECEIPT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")
# Phrases browsers and libraries use that must never appear on our pages.
FOREIGN = re.compile(
    r"please fill|fill out this field|value must be|please enter|please match|please select|"
    r"value error|field required|input should|string should|invalid input",
    re.IGNORECASE,
)
# The long flows alternate language and size; the quick checks run every combination.
CASES = [pytest.param("id", DESKTOP, id="id-desktop"), pytest.param("en", PHONE, id="en-phone")]
EVERY = [
    pytest.param(language, viewport, id=f"{language}-{name}")
    for language in ("id", "en")
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE))
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Any, stack: Http) -> Iterator[Any]:
    """A page factory: a fresh context in the given language and viewport, errors collected."""
    contexts: list[Any] = []

    def make(language: str, viewport: dict[str, int]) -> Any:
        context = browser.new_context(
            locale="id-ID" if language == "id" else "en-GB",
            timezone_id="Asia/Jakarta",
            viewport=viewport,
            is_mobile=viewport is PHONE,
            has_touch=viewport is PHONE,
            accept_downloads=True,
        )
        contexts.append(context)
        # The page's language is the reader's choice, remembered like the language switch does.
        context.add_init_script(f"localStorage.setItem('lapor.lang', '{language}')")
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("dialog", lambda dialog: page.errors.append(f"dialog: {dialog.message}"))
        return page

    yield make
    for context in contexts:
        context.close()


def axe_clean(page: Any, state: str) -> None:
    """axe finds no violation in the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{state}:\n{results.generate_snapshot()}"


def filed(page: Any, stack: Http) -> Any:
    """The success card after sending the form; fails with the page's own error and the stack's log."""
    found = page.wait_for_selector("#result .success, #errors [role=alert]", timeout=60_000)
    assert "success" in (found.get_attribute("class") or ""), (
        f"{found.inner_text()}\n--- the stack's last lines ---\n{stack.recent_output()}"
    )
    return found


def gps_photo(path: Path) -> Path:
    """A JPEG as a phone takes it: EXIF with the camera and a GPS position."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "S", 2: (7.0, 15.0, 30.0), 3: "E", 4: (112.0, 44.0, 10.0)}
    Image.new("RGB", (120, 90), (30, 120, 60)).save(path, "JPEG", exif=exif.tobytes())
    return path


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_a_citizen_files_a_report_by_town_name_with_a_photo(
    stack: Http, open_page: Any, tmp_path: Path, language: str, viewport: dict[str, int]
) -> None:
    page = open_page(language, viewport)
    # Given the submission page
    page.goto(f"{stack.base}/index.html")
    page.wait_for_selector("#f-province option[value='35']", state="attached")
    axe_clean(page, "empty form")
    # When the citizen types the name of their town and picks it from the results
    page.fill("#f-region", "Surabaya")
    option = page.locator("#region-results button", has_text="Kota Surabaya").first
    option.wait_for()
    axe_clean(page, "region search results")
    option.click()
    # Then the province and the city are chosen for them
    page.wait_for_function("document.querySelector('#f-regency').value === '35.78'")
    assert page.input_value("#f-province") == "35"
    # When they describe the problem, attach a photo with GPS and send
    page.fill("#f-title", "Jalan rusak di depan sekolah")
    page.fill("#f-description", "Jalan berlubang besar di depan SD negeri, membahayakan murid yang lewat.")
    page.set_input_files("#f-files", str(gps_photo(tmp_path / "jalan rusak.jpg")))
    page.wait_for_selector("#file-list li")
    page.fill("#f-email", "warga.surabaya@example.com")
    page.click("#submit")
    # Then the receipt is shown grouped, with ways to keep it, the agency and where updates go
    card = filed(page, stack)
    text = card.inner_text()
    code = CODE.search(text).group(0)
    assert RECEIPT.search(page.inner_text("#ok-receipt"))
    assert "warga.surabaya@example.com" in text
    page.wait_for_function(
        "document.querySelector('#ok-agency').textContent.includes('Kementerian Pekerjaan Umum')",
        timeout=20_000,
    )
    assert ("paling lambat" if language == "id" else " by ") in page.inner_text("#ok-agency")
    for label in (("Simpan ke berkas", "Cetak", "Kirim ke email saya") if language == "id"
                  else ("Save to a file", "Print", "Email it to me")):  # fmt: skip
        assert (
            page.get_by_role("button", name=label).count() + page.get_by_role("link", name=label).count() == 1
        )
    with page.expect_download() as saved:
        page.get_by_role("button", name="Simpan ke berkas" if language == "id" else "Save to a file").click()
    assert code in Path(saved.value.path()).read_text()
    if viewport is PHONE:  # the receipt fits the phone's width on one line
        box = page.locator("#ok-receipt").bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"] and box["height"] < 40
    axe_clean(page, "report filed")
    # ... and the public tracking page names the town and counts the photo, no more
    page.goto(f"{stack.base}/track.html#{code}")
    page.wait_for_selector("#report:not([hidden])")
    report = page.inner_text("#report")
    assert "Kota Surabaya, Jawa Timur" in report
    assert ("1 berkas" if language == "id" else "1 file") in report
    assert page.locator(".stepper [aria-current='step']").count() == 1
    axe_clean(page, "tracking view")
    assert page.errors == []


def test_the_official_downloads_the_photo_without_its_gps(
    stack: Http, open_page: Any, tmp_path: Path
) -> None:
    from PIL import Image

    page = open_page("id", DESKTOP)
    # Given a report filed from the page with a GPS-tagged photo, routed to the roads ministry
    page.goto(f"{stack.base}/index.html")
    page.wait_for_selector("#f-province option[value='35']", state="attached")
    page.fill("#f-title", "Jembatan rusak dekat pasar")
    page.fill("#f-description", "Jembatan rusak dekat pasar, papan lantai jembatan sudah hilang sebagian.")
    page.set_input_files("#f-files", str(gps_photo(tmp_path / "jembatan.jpg")))
    page.click("#submit")
    code = CODE.search(filed(page, stack).inner_text()).group(0)
    stack.wait_for(lambda: stack.call("GET", f"/reports/{code}")[1].get("agency"), timeout=20)
    # When the agency's liaison signs in on the officials' page and opens the report
    page.goto(f"{stack.base}/officials.html#/reports/{code}")
    page.wait_for_selector("#password-form:not([hidden]) #s-id")
    page.fill("#s-id", "kemenpu-lo1")
    page.fill("#s-password", "Lapor-Local-2026!")
    page.click("#password-form button[type=submit]")
    link = page.locator("#attachments-list a").first
    stack.wait_for(
        lambda: page.goto(f"{stack.base}/officials.html#/reports/{code}") or link.count(), timeout=20
    )
    axe_clean(page, "official's report with attachments")
    with page.expect_download() as downloaded:
        link.click()
    # Then the photo they get has no EXIF: no GPS position, no camera
    data = Path(downloaded.value.path()).read_bytes()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and dict(image.getexif()) == {} and b"GPS" not in data
    assert page.errors == []


@pytest.mark.parametrize(("language", "viewport"), EVERY)
def test_an_empty_field_is_named_in_the_readers_language_next_to_it(
    stack: Http, open_page: Any, language: str, viewport: dict[str, int]
) -> None:
    page = open_page(language, viewport)
    page.goto(f"{stack.base}/index.html")
    page.wait_for_selector("#f-category option[value='kesehatan']", state="attached")
    # When the citizen sends the form with the description left empty and a half-typed email
    page.fill("#f-title", "Puskesmas tutup")
    page.fill("#f-email", "warga@")
    page.click("#submit")
    # Then the page's own message, in their language, sits next to each field; no browser bubble
    page.wait_for_selector("#f-description[aria-invalid='true']")
    description = page.inner_text("#err-description")
    email = page.inner_text("#err-reporter_email")
    if language == "id":
        assert description == "Isi laporan wajib diisi."
        assert email == "Email harus berupa alamat email lengkap, misalnya nama@contoh.id."
    else:
        assert description == "Description is required."
        assert email == "Email must be a complete email address, for example name@example.id."
    assert page.evaluate("document.querySelector('#f-description').validationMessage") != description
    assert not FOREIGN.search(page.inner_text("main"))
    assert "(opsional)" not in page.inner_text("#errors") and "(optional)" not in page.inner_text("#errors")
    axe_clean(page, "form with errors")
    # When they switch the page's language, the language for updates follows
    page.click("#lang-toggle")
    other = "en" if language == "id" else "id"
    assert page.input_value("#f-language") == other
    assert page.errors == []


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_the_completion_emails_link_accepts_the_answer(
    stack: Http, open_page: Any, language: str, viewport: dict[str, int]
) -> None:
    # Given a report the agency answered, and the completion email the reporter got
    email = f"pelapor-{language}@example.com"
    status, created = stack.call("POST", "/reports", {
        "title": "Puskesmas tutup di jam layanan", "language": language,
        "description": "Puskesmas kecamatan tutup pada jam layanan hari Senin pagi.",
        "region": "3171", "reporter": {"name": "Sari Dewi", "email": email},
    })  # fmt: skip
    assert status == 201
    code = created["id"]
    report = stack.wait_for(
        lambda: (r := stack.call("GET", f"/reports/{code}")[1]).get("agency") and r, timeout=20
    )
    official = {"DINKES-DKI": "dinkes-dki-lo1"}.get(report["agency"]["code"], "kemenkes-lo1")
    headers = stack.token(official)
    for action, note in (("verify", ""), ("complete", "Puskesmas sudah buka kembali sesuai jadwal.")):
        status, body = stack.call(
            "POST", f"/reports/{code}/actions", {"action": action, "note": note}, headers
        )
        assert status == 200, body
    message = stack.wait_for(
        lambda: next((m for m in stack.outbox() if email in m["to"] and "?action=accept" in m["body"]), None),
        timeout=20,
    )
    # ... which names its buttons and says the receipt is filled in
    # (never greeting them by the typed name: no relay)
    assert "Sari Dewi" not in message["body"] and 'name="viewport"' in message["body"]
    link = re.search(r'href="([^"]*\?action=accept[^"]*)"', message["body"]).group(1).replace("&amp;", "&")
    # When they follow the link
    page = open_page(language, viewport)
    page.goto(link)
    # Then the feedback form opens with the receipt filled in and "accept" chosen, its end date shown
    page.wait_for_selector("#feedback:not([hidden])")
    assert RECEIPT.fullmatch(page.input_value("#fb-receipt"))
    assert page.is_checked("input[name=action][value=accept]")
    assert "WIB" in page.inner_text("#fb-window")
    assert ("riwayat publik" if language == "id" else "public history") in page.inner_text("#fb-comment-hint")
    axe_clean(page, "feedback form from the email")
    page.click("#fb-form button[type=submit]")
    # ... and one click closes the report
    page.wait_for_selector("#status .alert-success")
    assert stack.call("GET", f"/reports/{code}")[1]["status"] == "closed"
    axe_clean(page, "closed report")
    assert page.errors == []


def test_a_wrong_receipt_is_one_clear_message(stack: Http, open_page: Any) -> None:
    # Given a completed report
    status, created = stack.call("POST", "/reports", {
        "title": "Obat habis di puskesmas", "description": "Obat untuk pasien diabetes habis sejak minggu lalu.",
        "region": "31.71", "reporter": {"email": "warga-obat@example.com"},
    })  # fmt: skip
    assert status == 201
    code = created["id"]
    report = stack.wait_for(
        lambda: (r := stack.call("GET", f"/reports/{code}")[1]).get("agency") and r, timeout=20
    )
    headers = stack.token({"DINKES-DKI": "dinkes-dki-lo1"}.get(report["agency"]["code"], "kemenkes-lo1"))
    for action, note in (("verify", ""), ("complete", "Obat sudah tersedia kembali.")):
        assert (
            stack.call("POST", f"/reports/{code}/actions", {"action": action, "note": note}, headers)[0]
            == 200
        )
    page = open_page("id", PHONE)
    page.goto(f"{stack.base}/track.html#{code}")
    page.wait_for_selector("#feedback:not([hidden])")
    # When the reporter types a wrong receipt
    page.fill("#fb-receipt", "AAAA-BBBB-CCCC-DDDD")
    page.check("input[name=action][value=accept]")
    page.click("#fb-form button[type=submit]")
    # Then one message, in Indonesian, says so (above the form and next to the field, the same words)
    alert = page.wait_for_selector("#fb-result [role=alert]")
    message = "Tanda terima tidak cocok dengan laporan ini."
    assert alert.inner_text().count(message) == 1 and page.inner_text("#err-receipt").startswith(message)
    assert alert.query_selector("ul") is None
    axe_clean(page, "wrong receipt")


@pytest.mark.parametrize(("language", "viewport"), EVERY)
def test_every_page_passes_axe(stack: Http, open_page: Any, language: str, viewport: dict[str, int]) -> None:
    page = open_page(language, viewport)
    for name, ready in (
        ("index.html", "#f-province option[value='11']"),
        ("track.html", "#track-form"),
        ("stats.html", "#stats-form"),
        ("officials.html", "#inbox-heading"),
    ):
        page.goto(f"{stack.base}/{name}")
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        axe_clean(page, f"{name} ({language})")
    # ... and the tracking page's "not found" answer, in the reader's language
    page.goto(f"{stack.base}/track.html#2222-2222-22222")
    alert = page.wait_for_selector("#status [role=alert]")
    assert ("Tidak ada laporan" if language == "id" else "There is no report") in alert.inner_text()
    axe_clean(page, "unknown tracking code")
    assert page.errors == []


def test_a_long_history_shows_its_earlier_entries_on_request(stack: Http, open_page: Any) -> None:
    # Given a report whose official answered forty times at length: more than the view carries
    status, created = stack.call("POST", "/reports", {
        "title": "Puskesmas kelurahan sering tutup siang hari",
        "description": "Puskesmas kelurahan tutup pukul sebelas siang walau jadwal layanan sampai sore.",
        "region": "31.71",
    })  # fmt: skip
    assert status == 201
    code = created["id"]
    report = stack.wait_for(
        lambda: (r := stack.call("GET", f"/reports/{code}")[1]).get("agency") and r, timeout=20
    )
    headers = stack.token({"DINKES-DKI": "dinkes-dki-lo1"}.get(report["agency"]["code"], "kemenkes-lo1"))
    assert stack.call("POST", f"/reports/{code}/actions", {"action": "verify"}, headers)[0] == 200
    for n in range(1, 41):
        note = f"Tindak lanjut ke-{n}: petugas memeriksa jadwal layanan. " + "Pemeriksaan berlanjut. " * 80
        body = {"action": "respond", "note": note}
        assert stack.call("POST", f"/reports/{code}/actions", body, headers)[0] == 200
    view = stack.call("GET", f"/reports/{code}")[1]
    assert view["timeline_cursor"] and len(view["timeline"]) < view["timeline_total"]

    # When a citizen opens it (in English, on a phone)
    page = open_page("en", PHONE)
    page.goto(f"{stack.base}/track.html#{code}")
    page.wait_for_selector("#report:not([hidden]) ol.timeline")
    # Then the page says how much of the history it shows, and offers the rest
    shown, total = len(view["timeline"]), view["timeline_total"]
    assert f"Showing the latest {shown} of {total} entries." in page.inner_text("#report-body")
    assert page.locator("#report-body ol.timeline li").count() == shown
    axe_clean(page, "long history, latest entries")
    # When they ask for the earlier entries until there are none
    while page.locator(".timeline-start button").count():
        before = page.locator("#report-body ol.timeline li").count()
        page.click(".timeline-start button")
        page.wait_for_function(f"document.querySelectorAll('#report-body ol.timeline li').length > {before}")
    # Then the whole history is on the page, oldest first, with the report's first entry at the top
    items = page.locator("#report-body ol.timeline li")
    assert items.count() == total
    assert "Tindak lanjut ke-1:" in items.nth(total - 40).inner_text()
    assert "Tindak lanjut ke-40:" in items.nth(total - 1).inner_text()
    assert page.locator(".timeline-start").count() == 0
    axe_clean(page, "long history, all entries")
    assert page.errors == []
