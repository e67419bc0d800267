"""Notification texts (lapor.app.render): languages, deadlines, privacy, HTML escaping and SMS limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from lapor.app import render
from lapor.app.notification_texts import PHRASES, TEXTS
from lapor.app.render import (
    SMS_LIMIT,
    format_wib,
    format_wib_short,
    gsm7,
    is_gsm7,
    render_email,
    render_sms,
)
from lapor.domain.directory import Directory, parse_directory
from lapor.domain.lifecycle import Status
from lapor.domain.messages import REPORTER, Event, Notification, RenderedEmail
from lapor.domain.models import Deadlines, Language, Report, Reporter, ReportKind
from lapor.domain.workdays import WIB

CODE = "7KQ2-MX9R-TH4PW"
PUBLIC_URL = "https://lapor.example.go.id/"
REPORTER_NAME = "Budi Santoso"
REPORTER_EMAIL = "budi.santoso@example.com"
REPORTER_PHONE = "+6281234567890"
# The same number as people write it into free text.
PHONE_SHAPES = ("0812-3456-7890", "+62 812 3456 7890", "081234567890", "(0812) 3456 7890", "6281234567890")

VERIFY_BY = datetime(2026, 12, 2, 23, 59, 59, 999999, tzinfo=WIB)  # a Wednesday
FOLLOW_UP_BY = datetime(2026, 12, 9, 23, 59, 59, 999999, tzinfo=WIB)
RESOLVE_BY = datetime(2027, 1, 29, 23, 59, 59, 999999, tzinfo=WIB)
CLOSE_AFTER = datetime(2026, 12, 16, 23, 59, 59, 999999, tzinfo=WIB)

REPORTER_EVENTS = frozenset({Event.RECEIVED, Event.STATUS})
OFFICIAL_EVENTS = frozenset(Event) - REPORTER_EVENTS
LONG_AGENCY = "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"


def directory() -> Directory:
    return parse_directory(
        {
            "national_admin": "panrb-admin",
            "tracks": {
                "standard": {"verify_days": 3, "follow_up_days": 5, "resolve_days": 60},
                "covid19": {
                    "verify_days": 1,
                    "follow_up_days": 2,
                    "resolve_days": 60,
                    "keywords": ["covid"],
                    "cc": ["ORI"],
                },
            },
            "agencies": [
                {"code": "PANRB", "name": LONG_AGENCY, "kind": "kementerian"},
                {
                    "code": "KEMENKES",
                    "name": "Kementerian Kesehatan",
                    "kind": "kementerian",
                    "supervisor": "kemenkes-sup",
                },
                {"code": "ORI", "name": "Ombudsman Republik Indonesia", "kind": "lembaga"},
            ],
            "officials": [
                {
                    "id": "panrb-admin",
                    "name": "Rina",
                    "email": "rina@panrb.go.id",
                    "agency": "PANRB",
                    "role": "admin",
                },
                {
                    "id": "kemenkes-lo1",
                    "name": "Siti Aminah",
                    "email": "siti@kemkes.go.id",
                    "phone": "+6281100000001",
                    "agency": "KEMENKES",
                    "role": "liaison",
                },
                {
                    "id": "kemenkes-adm",
                    "name": "Agus",
                    "email": "agus@kemkes.go.id",
                    "agency": "KEMENKES",
                    "role": "admin",
                },
                {
                    "id": "kemenkes-sup",
                    "name": "Dewi",
                    "email": "dewi@kemkes.go.id",
                    "agency": "KEMENKES",
                    "role": "supervisor",
                },
                {
                    "id": "ori-adm",
                    "name": "Joko",
                    "email": "joko@ombudsman.go.id",
                    "agency": "ORI",
                    "role": "admin",
                },
            ],
            "categories": [
                {"code": "kesehatan", "name": "Kesehatan", "agency": "KEMENKES", "keywords": ["puskesmas"]},
                {"code": "lainnya", "name": "Lainnya", "generic": True},
            ],
        }
    )


DIRECTORY = directory()


def report(**overrides: Any) -> Report:
    t = datetime(2026, 11, 30, 9, 15, tzinfo=WIB)
    values: dict[str, Any] = {
        "id": CODE,
        "kind": ReportKind.COMPLAINT,
        "status": Status.DISPATCHED,
        "title": "Puskesmas Cempaka tutup saat jam pelayanan",
        "description": (
            "Sudah tiga hari puskesmas di kelurahan kami tutup pada jam pelayanan tanpa pemberitahuan."
        ),
        "category": "kesehatan",
        "track": "standard",
        "agency": "KEMENKES",
        "assignee": "kemenkes-lo1",
        "region": "31.71",
        "reporter": Reporter(name=REPORTER_NAME, email=REPORTER_EMAIL, phone=REPORTER_PHONE),
        "receipt_hash": "0" * 64,
        "created_at": t,
        "updated_at": t,
        "dispatched_at": t,
        "deadlines": Deadlines(verify_by=VERIFY_BY, resolve_by=RESOLVE_BY),
    }
    values.update(overrides)
    return Report(**values)


def notification(event: Event, recipient: str | None = None, **kwargs: Any) -> Notification:
    if recipient is None:
        recipient = REPORTER if event in REPORTER_EVENTS else "kemenkes-lo1"
    if event in (Event.ESCALATION_1, Event.ESCALATION_2):
        kwargs.setdefault("stage", "verify")
    if event == Event.RESOLVE_MISSED:
        kwargs.setdefault("stage", "resolve")
    return Notification.for_(CODE, event, recipient, **kwargs)


def render_all(
    n: Notification, r: Report, *, to_reporter: bool, language: Any = None
) -> tuple[RenderedEmail, str]:
    email = render_email(n, r, DIRECTORY, to_reporter=to_reporter, public_url=PUBLIC_URL, language=language)
    sms = render_sms(n, r, DIRECTORY, to_reporter=to_reporter, language=language)
    return email, sms


def everything(email: RenderedEmail, sms: str) -> str:
    return "\n".join((email.subject, email.text, email.html, sms))


# ---------------------------------------------------------------------------------------------- dates


def test_format_wib_in_both_languages() -> None:
    assert format_wib(VERIFY_BY, "id") == "Rabu, 2 Desember 2026 23.59 WIB"
    assert format_wib(VERIFY_BY, "en") == "Wednesday, 2 December 2026 23:59 WIB"


def test_format_wib_converts_other_zones_and_crosses_the_date() -> None:
    # Given 17:30 UTC on New Year's Eve, When formatted, Then it is 00.30 on 1 January in Jakarta
    instant = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert format_wib(instant, "id") == "Jumat, 1 Januari 2027 00.30 WIB"
    assert format_wib(instant, "en") == "Friday, 1 January 2027 00:30 WIB"


def test_format_wib_short_form_for_sms() -> None:
    assert format_wib_short(VERIFY_BY, "id") == "2/12 23.59 WIB"
    assert format_wib_short(VERIFY_BY, "en") == "2/12 23:59 WIB"


def test_format_wib_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_wib(datetime(2026, 12, 2, 23, 59), "id")


# ------------------------------------------------------------------------------ coverage of the tables


def test_every_event_has_wording_in_both_languages() -> None:
    for language in ("id", "en"):
        assert set(TEXTS[language]) == set(Event)
    assert set(render._RULES) == set(Event)
    for phrases in PHRASES.values():
        assert set(phrases.statuses) == set(Status)
        assert set(phrases.kinds) == set(ReportKind)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("event", list(Event))
@pytest.mark.parametrize("to_reporter", [False, True])
def test_every_event_renders_in_both_languages(event: Event, language: Language, to_reporter: bool) -> None:
    # Given a routed report, When any event is rendered for anyone in either language
    email, sms = render_all(notification(event), report(), to_reporter=to_reporter, language=language)

    # Then the subject names the code, the category and the agency, and the SMS fits one segment
    assert CODE in email.subject
    assert "Kesehatan" in email.subject
    assert "Kementerian Kesehatan" in email.subject
    assert "\n" not in email.subject
    assert CODE in email.text and CODE in email.html
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'lang="{language}"' in email.html
    assert len(sms) <= SMS_LIMIT and is_gsm7(sms) and CODE in sms
    for text in (email.text, email.html, sms):
        # no unfilled wording fields, and no template syntax left over
        assert not re.search(r"\{\w*\}|\{\{|\{%", text), text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in email.html


def test_language_follows_the_audience() -> None:
    english = report(language="en")
    # The reporter reads their own language...
    email, _ = render_all(notification(Event.RECEIVED), english, to_reporter=True)
    assert email.subject.startswith(f"[LAPOR! {CODE}] Your report has been received")
    assert "Verification deadline: Wednesday, 2 December 2026 23:59 WIB." in email.text
    # ...officials always read Indonesian.
    email, sms = render_all(notification(Event.ASSIGNED), english, to_reporter=False)
    assert "Laporan baru untuk diverifikasi" in email.subject
    assert "Batas waktu verifikasi: Rabu, 2 Desember 2026 23.59 WIB." in email.text
    assert "2/12 23.59 WIB" in sms


def test_reporter_default_language_is_indonesian() -> None:
    email, sms = render_all(notification(Event.RECEIVED), report(), to_reporter=True)
    assert "Laporan Anda telah diterima" in email.subject
    assert "Kementerian Kesehatan" in email.text
    assert "Verifikasi s.d. 2/12 23.59 WIB." in sms


# --------------------------------------------------------------------------------------------- content


def test_assigned_email_to_the_liaison() -> None:
    email, sms = render_all(notification(Event.ASSIGNED), report(), to_reporter=False)
    assert email.subject == (
        f"[LAPOR! {CODE}] Laporan baru untuk diverifikasi | Kesehatan | Kementerian Kesehatan"
    )
    assert email.text.startswith("Yth. Siti Aminah,\n")
    assert "Batas waktu verifikasi: Rabu, 2 Desember 2026 23.59 WIB." in email.text
    assert "Judul: Puskesmas Cempaka tutup saat jam pelayanan" in email.text
    assert "Ringkasan: Sudah tiga hari puskesmas" in email.text
    assert f"Pelapor: {REPORTER_NAME}" in email.text
    assert f"https://lapor.example.go.id/officials.html#/reports/{CODE}" in email.text
    assert f'href="https://lapor.example.go.id/officials.html#/reports/{CODE}"' in email.html
    assert sms.startswith(f"LAPOR! {CODE}: ")
    assert "2/12 23.59 WIB" in sms


def test_received_email_links_the_public_tracking_page() -> None:
    email, _ = render_all(notification(Event.RECEIVED), report(), to_reporter=True)
    assert f"{PUBLIC_URL}track.html#{CODE}" in email.text
    assert "officials.html" not in email.text
    # ... and tells the reporter to keep the receipt
    assert "Simpan tanda terima" in email.text


@pytest.mark.parametrize(
    ("name", "language", "greeting"),
    [
        # Never by name: the name is reporter-typed text and the contact may be someone else's (relay).
        (REPORTER_NAME, "id", "Yth. Pelapor,"),
        (REPORTER_NAME, "en", "Dear reporter,"),
        (None, "id", "Yth. Pelapor,"),
        ("Menangkan hadiah di evil.example/klaim", "id", "Yth. Pelapor,"),
        ("warga@example.com", "en", "Dear reporter,"),
    ],
)
def test_the_reporter_is_greeted_without_the_typed_name(name, language, greeting) -> None:
    r = report(reporter=Reporter(name=name, email=REPORTER_EMAIL), language=language)
    email, _ = render_all(notification(Event.RECEIVED), r, to_reporter=True)
    assert email.text.startswith(greeting + "\n")
    assert f'<p style="margin:0 0 16px 0;">{greeting}</p>' in email.html


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_completion_email_has_one_click_accept_and_reopen_that_fill_in_the_receipt(language) -> None:
    # Given a completed report and a feedback token made for this email
    r = report(status=Status.COMPLETED, deadlines=Deadlines(close_after=CLOSE_AFTER), language=language)
    n = notification(Event.STATUS, stage="completed", note="Sudah diperbaiki.", seq=3)
    email = render_email(
        n, r, DIRECTORY, to_reporter=True, public_url=PUBLIC_URL, feedback_token="AB12-CD34-EF56-GH78"
    )
    phrases = PHRASES[language]
    # Then the buttons open the feedback form with the receipt filled in and the choice made
    links = dict(re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', email.html))
    accept = f"{PUBLIC_URL}track.html#{CODE}?action=accept&amp;receipt=AB12-CD34-EF56-GH78"
    reopen = f"{PUBLIC_URL}track.html#{CODE}?action=reopen&amp;receipt=AB12-CD34-EF56-GH78"
    assert links == {accept: phrases.button_accept, reopen: phrases.button_reopen,
                     f"{PUBLIC_URL}track.html#{CODE}": phrases.button_track}  # fmt: skip
    # ... the text names exactly those buttons, and says the receipt is already filled in
    for label in (phrases.button_accept, phrases.button_reopen, phrases.button_track):
        assert f"“{label}”" in email.text and f"{label}: {PUBLIC_URL}" in email.text
    assert (
        "tanda terima Anda sudah terisi" if language == "id" else "receipt already filled in"
    ) in email.text


def test_every_button_is_named_by_the_text_above_it() -> None:
    for event in Event:
        for to_reporter in (False, True):
            email, _ = render_all(notification(event), report(), to_reporter=to_reporter)
            labels = re.findall(r'<a class="button"[^>]*>([^<]+)</a>', email.html)
            assert labels, event
            for label in labels:
                assert f"“{label}”" in email.text, (event, label)


def test_unknown_recipient_gets_a_neutral_greeting() -> None:
    email, _ = render_all(notification(Event.ASSIGNED, "someone-else"), report(), to_reporter=False)
    assert email.text.startswith("Yth. Bapak/Ibu,\n")


def test_missing_deadline_omits_the_sentence() -> None:
    # Given a report whose deadlines do not apply (e.g. already closed)
    r = report(deadlines=Deadlines())
    for event in Event:
        email, sms = render_all(notification(event), r, to_reporter=event in REPORTER_EVENTS)
        # Then no deadline sentence and no dangling label appears
        assert "WIB" not in email.text and "WIB" not in email.html
        assert "WIB" not in sms and "s.d." not in sms


@pytest.mark.parametrize(
    ("status", "expected", "expected_sms"),
    [
        (
            "verified",
            "Batas waktu tindak lanjut: Rabu, 9 Desember 2026 23.59 WIB.",
            "Tindak lanjut s.d. 9/12",
        ),
        ("in_progress", "Batas waktu penyelesaian: Jumat, 29 Januari 2027 23.59 WIB.", "Selesai s.d. 29/1"),
        (
            "completed",
            "Batas waktu menerima atau membuka kembali jawaban: Rabu, 16 Desember 2026 23.59 WIB.",
            "Tanggapi s.d. 16/12",
        ),
    ],
)
def test_status_update_shows_the_deadline_of_the_new_status(
    status: str, expected: str, expected_sms: str
) -> None:
    r = report(
        status=Status(status),
        deadlines=Deadlines(follow_up_by=FOLLOW_UP_BY, resolve_by=RESOLVE_BY, close_after=CLOSE_AFTER),
    )
    n = notification(Event.STATUS, stage=status, note="Petugas sudah meninjau lokasi.", seq=2)
    email, sms = render_all(n, r, to_reporter=True)
    assert expected in email.text
    assert "Catatan petugas:\nPetugas sudah meninjau lokasi." in email.text
    assert expected_sms in sms
    if status == "completed":
        # Without a feedback token (an SMS-only reporter, or a preview) no accept/reopen buttons are named
        assert "Buka kembali" not in email.text


def test_status_update_names_the_status_in_words() -> None:
    n = notification(Event.STATUS, stage="rejected", note="Bukan kewenangan instansi kami.", seq=3)
    email, _ = render_all(n, report(status=Status.REJECTED, deadlines=Deadlines()), to_reporter=True)
    assert "Status laporan Anda kini: ditolak." in email.text
    email, _ = render_all(n, report(status=Status.REJECTED, language="en"), to_reporter=True)
    assert "Your report is now: rejected." in email.text
    assert "Note from the official:\nBukan kewenangan instansi kami." in email.text


def test_escalation_names_the_missed_stage_and_deadline() -> None:
    r = report(status=Status.VERIFIED, deadlines=Deadlines(follow_up_by=FOLLOW_UP_BY, resolve_by=RESOLVE_BY))
    n = notification(Event.ESCALATION_1, "kemenkes-adm", stage="follow_up")
    email, sms = render_all(n, r, to_reporter=False)
    assert "Eskalasi: batas waktu tindak lanjut terlewati" in email.subject
    assert "Batas waktu tindak lanjut terlewati: Rabu, 9 Desember 2026 23.59 WIB." in email.text
    assert "Petugas: Siti Aminah (kemenkes-lo1)" in email.text
    assert "9/12 23.59 WIB" in sms and "ESKALASI" in sms

    email, _ = render_all(
        notification(Event.ESCALATION_2, "kemenkes-sup", stage="follow_up"), r, to_reporter=False
    )
    assert "Eskalasi tingkat 2" in email.subject


def test_resolve_missed_shows_the_resolve_deadline() -> None:
    email, _ = render_all(notification(Event.RESOLVE_MISSED, "ori-adm"), report(), to_reporter=False)
    assert "Batas waktu penyelesaian terlewati: Jumat, 29 Januari 2027 23.59 WIB." in email.text
    assert "Ombudsman" in email.text


def test_forwarded_names_the_new_agency() -> None:
    email, sms = render_all(notification(Event.FORWARDED), report(agency="ORI"), to_reporter=False)
    assert "diteruskan kepada Ombudsman Republik Indonesia" in email.text
    assert "Ombudsman Republik Indonesia" in email.subject
    assert "Ombudsman" in sms


def test_uncategorised_and_unrouted_reports_fall_back() -> None:
    r = report(category=None, agency=None, assignee=None, status=Status.RECEIVED)
    email, _ = render_all(notification(Event.TRIAGE, "panrb-admin"), r, to_reporter=False)
    assert email.subject == f"[LAPOR! {CODE}] Laporan perlu triase manual | Tanpa kategori"
    email, _ = render_all(
        notification(Event.RECEIVED), r.model_copy(update={"language": "en"}), to_reporter=True
    )
    assert email.subject.endswith("| Uncategorised")
    assert "sent it to the competent agency" in email.text


# -------------------------------------------------------------------------------------------- privacy


def _official_outputs(r: Report) -> list[str]:
    outputs = []
    for event in OFFICIAL_EVENTS:
        email, sms = render_all(notification(event), r, to_reporter=False)
        outputs.append(everything(email, sms))
    return outputs


def test_anonymous_reporter_name_never_reaches_officials() -> None:
    # Given an anonymous report whose reporter also signed the description with their name
    r = report(
        anonymous=True,
        description="Puskesmas tutup terus. Hormat saya, Budi\n  Santoso, warga RT 03.",
        title="Puskesmas tutup - laporan budi santoso",
    )
    # When every officials' message is rendered, Then the name appears nowhere
    for output in _official_outputs(r):
        assert REPORTER_NAME.lower() not in output.lower()
    email, _ = render_all(notification(Event.ASSIGNED), r, to_reporter=False)
    assert "Pelapor: Anonim (identitas dirahasiakan)" in email.text


def test_reporter_name_shown_only_to_the_officials_who_act() -> None:
    r = report()
    assign, _ = render_all(notification(Event.ASSIGNED), r, to_reporter=False)
    copy, _ = render_all(notification(Event.CC, "ori-adm"), r, to_reporter=False)
    escalation, _ = render_all(notification(Event.ESCALATION_2, "kemenkes-sup"), r, to_reporter=False)
    assert REPORTER_NAME in assign.text
    assert REPORTER_NAME not in copy.text and REPORTER_NAME not in escalation.text


def test_excerpt_cut_never_leaves_part_of_the_reporters_number() -> None:
    # Given the number straddling the excerpt limit
    for pad in range(240, 290, 3):
        r = report(description="x" * pad + " 0812-3456-7890 " + "y " * 200)
        email, _ = render_all(notification(Event.ASSIGNED), r, to_reporter=False)
        assert "0812" not in email.text and "3456" not in email.text


def test_a_name_that_is_really_a_contact_is_not_shown() -> None:
    r = report(reporter=Reporter(name="0812 3456 7890", email=REPORTER_EMAIL))
    email, _ = render_all(notification(Event.ASSIGNED), r, to_reporter=False)
    assert "Pelapor: Tidak mencantumkan nama" in email.text


def _digits(text: str) -> str:
    return re.sub(r"[\s().\-/+]", "", text)


def test_reporter_contact_details_never_appear_in_any_message() -> None:
    # Given a reporter who repeated their email and number in the title and description,
    # and an official who quoted them in a note
    free_text = f"Hubungi saya: {REPORTER_EMAIL.upper()} / " + " atau ".join(PHONE_SHAPES)
    r = report(title=f"Jalan rusak, hubungi {PHONE_SHAPES[0]}", description=free_text)
    for anonymous in (False, True):
        for language in ("id", "en"):
            for event in Event:
                for to_reporter in (False, True):
                    n = notification(
                        event, note=f"Sudah kami telepon ke {PHONE_SHAPES[1]} dan {REPORTER_EMAIL}"
                    )
                    subject = r.model_copy(update={"anonymous": anonymous, "language": language})
                    # When rendered for anyone
                    output = everything(*render_all(n, subject, to_reporter=to_reporter))
                    # Then neither the address nor the number (in any shape) is there
                    assert REPORTER_EMAIL not in output.lower()
                    assert "81234567890" not in _digits(output)
    email, _ = render_all(notification(Event.ASSIGNED), r, to_reporter=False)
    assert "[disembunyikan]" in email.text


def test_official_contact_details_are_not_in_messages_either() -> None:
    email, sms = render_all(notification(Event.ESCALATION_1, "kemenkes-sup"), report(), to_reporter=False)
    assert "siti@kemkes.go.id" not in everything(email, sms)
    assert "81100000001" not in _digits(everything(email, sms))


# ------------------------------------------------------------------------------------------------ HTML


def test_html_escapes_attacker_controlled_values() -> None:
    title = "<script>alert('x')</script> & \"quoted\""
    r = report(title=title, description="<img src=x onerror=alert(1)> deskripsi panjang sekali")
    n = notification(Event.STATUS, stage="in_progress", note="<b>bold</b>\nbaris kedua", seq=1)
    for event, to_reporter in ((Event.ASSIGNED, False), (Event.STATUS, True)):
        email = render_email(
            n if event == Event.STATUS else notification(event),
            r,
            DIRECTORY,
            to_reporter=to_reporter,
            public_url=PUBLIC_URL,
        )
        assert "<script>" not in email.html
        assert "<img" not in email.html and "<b>" not in email.html
        if not to_reporter:  # the reporter's own messages never repeat the title (no relay)
            assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;" in email.html
            # Plain text is not interpreted, so it keeps the title as typed
            assert title in email.text
    assert "&lt;b&gt;bold&lt;/b&gt;<br>baris kedua" in email.html


def test_html_has_no_external_resources() -> None:
    email, _ = render_all(notification(Event.ASSIGNED), report(), to_reporter=False)
    html = email.html.lower()
    for forbidden in ("<img", "<link", "<script", "src=", "@import", "url("):
        assert forbidden not in html
    assert re.findall(r'href="([^"]+)"', email.html) == [f"{PUBLIC_URL}officials.html#/reports/{CODE}"]


# ------------------------------------------------------------------------------------------------- SMS


LONG_TITLE = (
    "Jalan berlubang 🚧🚧 di depan SD Negeri — sangat berbahaya!! “Tolong” perbaiki… "
    "Café Ñandú, señor Müller, naïve façade, Łódź, œuvre 😡😡 {kurung} [siku] ~tilde~ ^caret^ |pipa| €5 \\ "
) * 4


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("event", list(Event))
def test_sms_fits_one_gsm7_segment_with_long_accented_emoji_titles(event: Event, language: Language) -> None:
    r = report(title=LONG_TITLE[:200], description=LONG_TITLE, agency="PANRB")
    n = notification(event, note=LONG_TITLE if event == Event.STATUS else None)
    sms = render_sms(n, r, DIRECTORY, to_reporter=event in REPORTER_EVENTS, language=language)
    assert len(sms) <= SMS_LIMIT
    assert is_gsm7(sms)
    assert not set(sms) & set("{}[]~^|€\\")  # extension characters would count double
    assert CODE in sms
    if event not in (Event.FORWARDED,):
        assert "2/12" in sms or "29/1" in sms  # the relevant deadline survives truncation


def test_sms_truncates_the_title_visibly() -> None:
    sms = render_sms(notification(Event.ASSIGNED), report(title="Jalan " * 40), DIRECTORY, to_reporter=False)
    assert len(sms) <= SMS_LIMIT
    assert sms.endswith('..."')
    assert "Verifikasi s.d. 2/12 23.59 WIB." in sms


def test_sms_shortens_very_long_agency_names_before_dropping_the_deadline() -> None:
    sms = render_sms(notification(Event.RECEIVED), report(agency="PANRB"), DIRECTORY, to_reporter=True)
    assert len(sms) <= SMS_LIMIT
    assert "Verifikasi s.d. 2/12 23.59 WIB." in sms
    assert "Kementerian Pendayagunaan" in sms


def test_reporter_sms_omits_the_title_of_a_confidential_report() -> None:
    r = report(confidential=True)
    assert "Puskesmas Cempaka" not in render_sms(notification(Event.RECEIVED), r, DIRECTORY, to_reporter=True)
    # Officials are the competent agency: they still see it
    assert "Puskesmas Cempaka" in render_sms(notification(Event.ASSIGNED), r, DIRECTORY, to_reporter=False)


def test_gsm7_transliterates_and_strips() -> None:
    # En dash, curly quotes, ellipsis, an emoji, accents inside and outside the GSM-7 set
    assert gsm7("Café \u2013 \u201cquoted\u201d \u2026 \U0001f600 Ñandú ç") == 'Café - "quoted" ... Ñandu c'
    assert gsm7("{a} [b] ~c ^d |e \\f €1") == "(a) (b) -c d /e /f EUR1"
    assert gsm7("baris\nbaru\tdan   spasi") == "baris baru dan spasi"
    assert gsm7("漢字🙂") == ""
    assert is_gsm7(gsm7(LONG_TITLE))


def test_gsm7_basic_charset_is_complete() -> None:
    # 128 code points minus the escape to the extension table
    assert len(render._GSM7_BASIC) == 127
    assert is_gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà")
    for extension in "{}[]~^|€\\":
        assert not is_gsm7(extension)


@pytest.mark.parametrize("event", [Event.RECEIVED, Event.STATUS])
@pytest.mark.parametrize("language", ["id", "en"])
def test_messages_to_the_reporter_never_relay_reporter_typed_text(event: Event, language: str) -> None:
    # Given a report whose title, description and name are an attacker's text, filed with someone
    # else's contact
    bait = "Menangkan hadiah di evil.example/klaim"
    r = report(
        title=bait,
        description=f"{bait} sekarang juga, hadiah terbatas",
        reporter=Reporter(name=bait, email=REPORTER_EMAIL, phone="+6281234567890"),
        language=language,
    )
    n = notification(event, stage="in_progress", note="Petugas sedang meninjau", seq=1)
    # When the reporter's email and SMS are rendered
    email, sms = render_all(n, r, to_reporter=True)
    # Then none of the typed text reaches the contact; the official's note and the code do
    for text in (email.subject, email.text, email.html, sms):
        assert "evil.example" not in text and "hadiah" not in text.lower()
    assert CODE in email.text and CODE in sms
    if event == Event.STATUS:
        assert "Petugas sedang meninjau" in email.text
