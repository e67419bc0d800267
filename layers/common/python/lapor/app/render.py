"""Notification texts: the email and SMS each queued Notification turns into when it is sent.

Everything is table-driven: every Event has its wording in Indonesian and English, and the per-event
rules (which deadline applies, who may see the reporter's name) live in one table shared by both.
Reporters read their report's language; officials read Indonesian.

Privacy rules enforced here, whatever the caller passes:
- the reporter's email and phone never appear, not even where the reporter typed them into the
  title, description or an official's note (they are redacted from free text);
- when the report is anonymous, officials never see the reporter's name (also redacted from text);
- the reporter's name is shown only to the officials who must act on the report.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from lapor.domain.directory import Directory
from lapor.domain.lifecycle import Status
from lapor.domain.messages import Event, Notification, RenderedEmail
from lapor.domain.models import Language, Report, ReportKind
from lapor.domain.redaction import reporter_redactor
from lapor.domain.workdays import WIB

__all__ = [
    "SMS_LIMIT",
    "format_wib",
    "format_wib_short",
    "gsm7",
    "is_gsm7",
    "render_email",
    "render_sms",
]

SMS_LIMIT = 160  # one GSM-7 segment: a longer text is billed (and may arrive) as several messages
OFFICIALS_LANGUAGE: Language = "id"  # officials are Indonesian civil servants
_EXCERPT_CHARS = 280


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
# Indonesian writes times with a dot (23.59), English with a colon.
_TIME_SEPARATOR = {"id": ".", "en": ":"}


def _in_wib(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware instant")
    return instant.astimezone(WIB)


def format_wib(instant: datetime, language: Literal["id", "en"]) -> str:
    """An instant as WIB wall time in words: ``Rabu, 2 Desember 2026 23.59 WIB``.

    Minutes are truncated, not rounded, so a deadline ending 23:59:59.999999 reads 23.59 of its own
    day. Built from tables rather than the process locale, which Lambda does not provide.
    Raises ValueError for a naive datetime.
    """
    t = _in_wib(instant)
    sep = _TIME_SEPARATOR[language]
    return (
        f"{_DAYS[language][t.weekday()]}, {t.day} {_MONTHS[language][t.month - 1]} {t.year} "
        f"{t.hour:02d}{sep}{t.minute:02d} WIB"
    )


def format_wib_short(instant: datetime, language: Literal["id", "en"]) -> str:
    """The compact SMS form of an instant in WIB: ``2/12 23.59 WIB`` (day/month)."""
    t = _in_wib(instant)
    return f"{t.day}/{t.month} {t.hour:02d}{_TIME_SEPARATOR[language]}{t.minute:02d} WIB"


# --------------------------------------------------------------------------------------------------
# GSM-7
# --------------------------------------------------------------------------------------------------

# The GSM 03.38 basic character set (127 characters; the 128th code is the escape to the extension
# table). Extension characters such as {}[]~\^|€ cost two septets each, so they are replaced below
# rather than counted: one character is then always one septet, and len() is the segment length.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Written with escapes: the typographic look-alikes would be indistinguishable in the source.
_GSM7_REPLACEMENTS = {
    "[": "(", "]": ")", "{": "(", "}": ")", "\\": "/", "|": "/", "~": "-", "^": "",
    "\u20ac": "EUR", "\u2026": "...", "\u2022": "*", "\u00b7": "-", "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u0131": "i", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u0153": "oe", "\u0152": "OE",
}  # fmt: skip
_WHITESPACE = re.compile(r"\s+")


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic set (so each costs exactly one septet)."""
    return all(ch in _GSM7_BASIC for ch in text)


def gsm7(text: str) -> str:
    """``text`` reduced to single-line GSM-7 basic characters.

    Typographic punctuation and extension characters get ASCII look-alikes, accented letters outside
    the set lose their accents (NFKD), and anything else (emoji, CJK, ...) is dropped: one emoji would
    otherwise switch the whole SMS to UCS-2 and cut its capacity to 70 characters.
    """
    out: list[str] = []
    for ch in _WHITESPACE.sub(" ", text):
        if ch in _GSM7_BASIC:
            out.append(ch)
        elif ch in _GSM7_REPLACEMENTS:
            out.append(_GSM7_REPLACEMENTS[ch])
        else:
            out.extend(c for c in unicodedata.normalize("NFKD", ch) if c in _GSM7_BASIC)
    return _WHITESPACE.sub(" ", "".join(out)).strip()


def _truncate(text: str, limit: int, *, minimum: int = 1) -> str:
    """``text`` cut to ``limit`` characters, ending ``...``; "" if fewer than ``minimum`` would remain."""
    if len(text) <= limit:
        return text
    kept = text[: max(limit - 3, 0)].rstrip(" .,;:-")
    return kept + "..." if len(kept) >= minimum else ""


# --------------------------------------------------------------------------------------------------
# Wording tables
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """What an event's message shows, independent of language.

    ``due`` lists the deadline to show, first present wins: a ``Deadlines`` field name, ``"status"``
    (the deadline that goes with the status the message announces) or ``"stage"`` (the deadline of
    the escalated stage). ``missed`` words it as a deadline that has passed.
    """

    due: tuple[str, ...] = ()
    missed: bool = False
    # Only the officials who must act on the report see the reporter's name (data minimisation,
    # UU 27/2022); copies, escalations and hand-overs do not need it.
    show_reporter: bool = False
    show_assignee: bool = False


_RULES: dict[Event, _Rule] = {
    Event.ASSIGNED: _Rule(due=("verify_by",), show_reporter=True),
    Event.CC: _Rule(due=("verify_by",)),
    Event.TRIAGE: _Rule(due=("verify_by",), show_reporter=True),
    Event.RECEIVED: _Rule(due=("verify_by",)),
    Event.STATUS: _Rule(due=("status",)),
    # After a reopen the report is back in progress: its follow-up deadline if the lifecycle set
    # one, else the overall resolve deadline that still runs.
    Event.REOPENED: _Rule(due=("follow_up_by", "resolve_by"), show_reporter=True),
    Event.FORWARDED: _Rule(),
    Event.ESCALATION_1: _Rule(due=("stage",), missed=True, show_assignee=True),
    Event.ESCALATION_2: _Rule(due=("stage",), missed=True, show_assignee=True),
    Event.RESOLVE_MISSED: _Rule(due=("resolve_by",), missed=True, show_assignee=True),
}

_STATUS_DEADLINE = {
    Status.DISPATCHED: "verify_by",
    Status.VERIFIED: "follow_up_by",
    Status.IN_PROGRESS: "resolve_by",
    Status.COMPLETED: "close_after",
}
_STAGE_DEADLINE = {"verify": "verify_by", "follow_up": "follow_up_by", "resolve": "resolve_by"}


@dataclass(frozen=True)
class _Text:
    """One event's wording in one language; fields: code, agency, category, status, stage."""

    subject: str
    body: str
    sms: str


@dataclass(frozen=True)
class _Phrases:
    """Words shared by every event in one language."""

    greeting_official: str
    greeting_anyone: str
    greeting_reporter: str
    labels: dict[str, str]
    kinds: dict[ReportKind, str]
    statuses: dict[Status, str]
    stages: dict[str, str]
    deadline_labels: dict[str, str]
    deadline: str
    deadline_missed: str
    sms_deadline: dict[str, str]
    sms_deadline_missed: str
    sms_note: str
    note_official: str
    note: str
    completed_hint: str
    anonymous: str
    no_name: str
    hidden: str
    uncategorised: str
    some_agency: str
    link_official: str
    link_reporter: str
    footer: str


_PHRASES: dict[Language, _Phrases] = {
    "id": _Phrases(
        greeting_official="Yth. {name},",
        greeting_anyone="Yth. Bapak/Ibu,",
        greeting_reporter="Yth. Pelapor,",
        labels={
            "code": "Kode laporan",
            "kind": "Jenis",
            "category": "Kategori",
            "agency": "Instansi",
            "status": "Status",
            "assignee": "Petugas",
            "reporter": "Pelapor",
            "title": "Judul",
            "excerpt": "Ringkasan",
        },
        kinds={
            ReportKind.COMPLAINT: "Pengaduan",
            ReportKind.ASPIRATION: "Aspirasi",
            ReportKind.INFORMATION_REQUEST: "Permintaan informasi",
        },
        statuses={
            Status.RECEIVED: "diterima",
            Status.DISPATCHED: "diteruskan ke instansi berwenang",
            Status.VERIFIED: "terverifikasi",
            Status.IN_PROGRESS: "sedang ditindaklanjuti",
            Status.COMPLETED: "selesai ditanggapi",
            Status.CLOSED: "ditutup",
            Status.REJECTED: "ditolak",
        },
        stages={"verify": "verifikasi", "follow_up": "tindak lanjut", "resolve": "penyelesaian"},
        deadline_labels={
            "verify_by": "Batas waktu verifikasi",
            "follow_up_by": "Batas waktu tindak lanjut",
            "resolve_by": "Batas waktu penyelesaian",
            "close_after": "Batas waktu menerima atau membuka kembali jawaban",
        },
        deadline="{label}: {when}.",
        deadline_missed="{label} terlewati: {when}.",
        sms_deadline={
            "verify_by": "Verifikasi s.d. {when}.",
            "follow_up_by": "Tindak lanjut s.d. {when}.",
            "resolve_by": "Selesai s.d. {when}.",
            "close_after": "Tanggapi s.d. {when}.",
        },
        sms_deadline_missed="Batas waktu {when}.",
        sms_note="Catatan: ",
        note_official="Catatan petugas",
        note="Catatan",
        completed_hint=(
            "Silakan terima jawaban ini atau buka kembali laporan melalui tautan di bawah; "
            "tanpa tanggapan, laporan akan ditutup otomatis."
        ),
        anonymous="Anonim (identitas dirahasiakan)",
        no_name="Tidak mencantumkan nama",
        hidden="[disembunyikan]",
        uncategorised="Tanpa kategori",
        some_agency="instansi berwenang",
        link_official="Buka laporan",
        link_reporter="Pantau laporan",
        footer="Pesan ini dikirim otomatis oleh Lapor. Mohon tidak membalas email ini.",
    ),
    "en": _Phrases(
        greeting_official="Dear {name},",
        greeting_anyone="Dear Sir or Madam,",
        greeting_reporter="Dear reporter,",
        labels={
            "code": "Tracking code",
            "kind": "Kind",
            "category": "Category",
            "agency": "Agency",
            "status": "Status",
            "assignee": "Assigned official",
            "reporter": "Reporter",
            "title": "Title",
            "excerpt": "Summary",
        },
        kinds={
            ReportKind.COMPLAINT: "Complaint",
            ReportKind.ASPIRATION: "Aspiration",
            ReportKind.INFORMATION_REQUEST: "Information request",
        },
        statuses={
            Status.RECEIVED: "received",
            Status.DISPATCHED: "sent to the competent agency",
            Status.VERIFIED: "verified",
            Status.IN_PROGRESS: "being followed up",
            Status.COMPLETED: "answered",
            Status.CLOSED: "closed",
            Status.REJECTED: "rejected",
        },
        stages={"verify": "verification", "follow_up": "follow-up", "resolve": "resolution"},
        deadline_labels={
            "verify_by": "Verification deadline",
            "follow_up_by": "Follow-up deadline",
            "resolve_by": "Resolution deadline",
            "close_after": "Deadline to accept or reopen the answer",
        },
        deadline="{label}: {when}.",
        deadline_missed="{label} missed: {when}.",
        sms_deadline={
            "verify_by": "Verify by {when}.",
            "follow_up_by": "Follow up by {when}.",
            "resolve_by": "Resolve by {when}.",
            "close_after": "Reply by {when}.",
        },
        sms_deadline_missed="Deadline was {when}.",
        sms_note="Note: ",
        note_official="Note from the official",
        note="Note",
        completed_hint=(
            "Please accept this answer or reopen the report using the link below; "
            "without a reply, the report closes automatically."
        ),
        anonymous="Anonymous (identity withheld)",
        no_name="No name given",
        hidden="[hidden]",
        uncategorised="Uncategorised",
        some_agency="the competent agency",
        link_official="Open the report",
        link_reporter="Track your report",
        footer="This message was sent automatically by Lapor. Please do not reply to this email.",
    ),
}

_TEXTS: dict[Language, dict[Event, _Text]] = {
    "id": {
        Event.ASSIGNED: _Text(
            subject="Laporan baru untuk diverifikasi",
            body=(
                "Laporan baru telah didisposisikan kepada Anda di {agency}. Mohon verifikasi laporan "
                "ini dan tetapkan tindak lanjutnya."
            ),
            sms="LAPOR! {code}: laporan baru ({category}) utk Anda verifikasi.",
        ),
        Event.CC: _Text(
            subject="Tembusan laporan untuk koordinasi",
            body=(
                "Laporan ini telah didisposisikan kepada {agency} sebagai instansi berwenang. Tembusan "
                "ini dikirim kepada instansi Anda untuk koordinasi; tidak ada tindakan yang diwajibkan "
                "kecuali diperlukan koordinasi."
            ),
            sms="LAPOR! {code}: tembusan laporan ({category}) yg didisposisikan ke {agency}.",
        ),
        Event.TRIAGE: _Text(
            subject="Laporan perlu triase manual",
            body=(
                "Laporan ini tidak cocok dengan kategori mana pun sehingga belum dapat diteruskan "
                "secara otomatis. Mohon tentukan kategori dan instansi berwenang, lalu teruskan laporan."
            ),
            sms="LAPOR! {code}: laporan tanpa kategori, perlu triase manual.",
        ),
        Event.RECEIVED: _Text(
            subject="Laporan Anda telah diterima",
            body=(
                "Terima kasih. Laporan Anda telah kami terima dan diteruskan kepada {agency}. Simpan "
                "kode pelacakan {code} untuk memantau perkembangannya."
            ),
            sms="LAPOR! {code}: laporan Anda diterima & diteruskan ke {agency}.",
        ),
        Event.STATUS: _Text(
            subject="Status laporan: {status}",
            body="Status laporan Anda kini: {status}.",
            sms="LAPOR! {code}: status laporan Anda kini {status}.",
        ),
        Event.REOPENED: _Text(
            subject="Laporan dibuka kembali oleh pelapor",
            body=(
                "Pelapor belum puas dengan jawaban atas laporan ini dan membukanya kembali. Mohon "
                "tindak lanjuti kembali."
            ),
            sms="LAPOR! {code}: laporan dibuka kembali oleh pelapor, mohon ditindaklanjuti.",
        ),
        Event.FORWARDED: _Text(
            subject="Laporan dialihkan ke instansi lain",
            body=(
                "Laporan ini telah diteruskan kepada {agency} dan tidak lagi ditangani oleh Anda. Tidak "
                "ada tindakan lebih lanjut yang diperlukan."
            ),
            sms="LAPOR! {code}: laporan diteruskan ke {agency}, tidak lagi ditangani Anda.",
        ),
        Event.ESCALATION_1: _Text(
            subject="Eskalasi: batas waktu {stage} terlewati",
            body=(
                "Batas waktu {stage} laporan ini telah terlewati. Mohon segera ditindaklanjuti; bila "
                "masih terlambat dua hari kerja lagi, laporan dieskalasi kepada pimpinan instansi dan "
                "admin nasional."
            ),
            sms="LAPOR! {code}: ESKALASI - batas {stage} terlewati.",
        ),
        Event.ESCALATION_2: _Text(
            subject="Eskalasi tingkat 2: {stage} terlambat",
            body=(
                "Tahap {stage} laporan ini masih terlambat dua hari kerja setelah batas waktunya. "
                "Mohon pastikan laporan segera ditangani."
            ),
            sms="LAPOR! {code}: ESKALASI 2 - {stage} terlambat 2 hari kerja.",
        ),
        Event.RESOLVE_MISSED: _Text(
            subject="Batas waktu penyelesaian terlewati",
            body=(
                "Laporan ini belum selesai dalam batas waktu penyelesaian. Pemberitahuan ini dikirim "
                "kepada admin nasional dan Ombudsman Republik Indonesia untuk pengawasan."
            ),
            sms="LAPOR! {code}: batas penyelesaian terlewati.",
        ),
    },
    "en": {
        Event.ASSIGNED: _Text(
            subject="New report to verify",
            body=(
                "A new report has been assigned to you at {agency}. Please verify it and decide how it "
                "will be followed up."
            ),
            sms="LAPOR! {code}: new report ({category}) for you to verify.",
        ),
        Event.CC: _Text(
            subject="Copy of a report for coordination",
            body=(
                "This report has been assigned to {agency}, the competent agency. This copy is sent to "
                "your agency for coordination; no action is required unless coordination is needed."
            ),
            sms="LAPOR! {code}: copy of a report ({category}) assigned to {agency}.",
        ),
        Event.TRIAGE: _Text(
            subject="Report needs manual triage",
            body=(
                "This report matched no category, so it could not be routed automatically. Please "
                "choose its category and the competent agency, then forward it."
            ),
            sms="LAPOR! {code}: uncategorised report needs manual triage.",
        ),
        Event.RECEIVED: _Text(
            subject="Your report has been received",
            body=(
                "Thank you. We have received your report and sent it to {agency}. Keep the tracking "
                "code {code} to follow its progress."
            ),
            sms="LAPOR! {code}: your report was received and sent to {agency}.",
        ),
        Event.STATUS: _Text(
            subject="Report status: {status}",
            body="Your report is now: {status}.",
            sms="LAPOR! {code}: your report is now {status}.",
        ),
        Event.REOPENED: _Text(
            subject="Report reopened by the reporter",
            body=(
                "The reporter was not satisfied with the answer and reopened this report. Please follow "
                "it up again."
            ),
            sms="LAPOR! {code}: the reporter reopened this report; please follow it up.",
        ),
        Event.FORWARDED: _Text(
            subject="Report moved to another agency",
            body=(
                "This report has been forwarded to {agency} and is no longer assigned to you. No further "
                "action is needed."
            ),
            sms="LAPOR! {code}: report forwarded to {agency}; no longer assigned to you.",
        ),
        Event.ESCALATION_1: _Text(
            subject="Escalation: {stage} deadline missed",
            body=(
                "The {stage} deadline of this report has passed. Please act on it now; if it is still "
                "overdue two working days from now, it is escalated to the agency's supervisor and the "
                "national admin."
            ),
            sms="LAPOR! {code}: ESCALATION - {stage} deadline missed.",
        ),
        Event.ESCALATION_2: _Text(
            subject="Level 2 escalation: {stage} overdue",
            body=(
                "The {stage} of this report is still overdue two working days after its deadline. "
                "Please make sure it is handled now."
            ),
            sms="LAPOR! {code}: ESCALATION 2 - {stage} overdue by 2 working days.",
        ),
        Event.RESOLVE_MISSED: _Text(
            subject="Resolution deadline missed",
            body=(
                "This report was not resolved within its resolution deadline. This notice goes to the "
                "national admin and the Ombudsman of the Republic of Indonesia for oversight."
            ),
            sms="LAPOR! {code}: resolution deadline missed.",
        ),
    },
}


# --------------------------------------------------------------------------------------------------
# Context: every value a message may show, already redacted
# --------------------------------------------------------------------------------------------------

# What people type between digit groups of a phone number.


@dataclass(frozen=True)
class _Context:
    language: Language
    to_reporter: bool
    text: _Text
    rule: _Rule
    phrases: _Phrases
    code: str
    title: str
    excerpt: str
    category: str
    agency: str | None  # None: not routed yet
    kind: str
    status: Status
    stage: str
    note: str | None
    greeting: str
    reporter: str | None  # the "Pelapor" line, None when this message must not show it
    assignee: str | None
    deadline: tuple[str, datetime] | None  # (Deadlines field, instant)

    def fields(self, *, agency: str | None = None, category: str | None = None) -> dict[str, str]:
        return {
            "code": self.code,
            "agency": agency if agency is not None else (self.agency or self.phrases.some_agency),
            "category": category if category is not None else self.category,
            "status": self.phrases.statuses[self.status],
            "stage": self.phrases.stages[self.stage],
        }


def _single_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = _single_line(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + " …"


def _looks_like_contact(name: str) -> bool:
    # Some people type their email or number in the name box; showing it would leak contact details.
    return "@" in name or bool(re.search(r"\d{6,}", re.sub(r"[\s().\-+/]", "", name)))


def _status_of(notification: Notification, report: Report) -> Status:
    # The queue carries the status a STATUS message announces in ``stage``; the report may have
    # moved on by the time the message is sent, and the message must still say what happened.
    if notification.event == Event.STATUS and notification.stage:
        try:
            return Status(notification.stage)
        except ValueError:
            pass
    return report.status


def _stage_of(notification: Notification, report: Report) -> str:
    if notification.stage in _STAGE_DEADLINE:
        return notification.stage
    if notification.event == Event.RESOLVE_MISSED:
        return "resolve"
    return "follow_up" if report.status in (Status.VERIFIED, Status.IN_PROGRESS) else "verify"


def _deadline_of(rule: _Rule, status: Status, stage: str, report: Report) -> tuple[str, datetime] | None:
    for due in rule.due:
        field = {"status": _STATUS_DEADLINE.get(status), "stage": _STAGE_DEADLINE[stage]}.get(due, due)
        when: datetime | None = getattr(report.deadlines, field) if field else None
        if field and when is not None:
            return field, when
    return None


def _context(
    notification: Notification,
    report: Report,
    directory: Directory,
    *,
    to_reporter: bool,
    language: Language | None,
) -> _Context:
    lang: Language = language or (report.language if to_reporter else OFFICIALS_LANGUAGE)
    phrases = _PHRASES[lang]
    rule = _RULES[notification.event]
    redact = reporter_redactor(report, phrases.hidden)

    category = directory.categories_by_code.get(report.category or "")
    agency = directory.agency_name(report.agency) or report.agency

    if to_reporter:
        greeting = phrases.greeting_reporter
    else:
        official = directory.officials_by_id.get(notification.recipient)
        greeting = (
            phrases.greeting_official.format(name=_single_line(official.name))
            if official
            else phrases.greeting_anyone
        )

    reporter_line: str | None = None
    if rule.show_reporter and not to_reporter:
        name = _single_line(report.reporter.name or "") if report.reporter else ""
        if report.anonymous:
            reporter_line = phrases.anonymous
        elif name and not _looks_like_contact(name):
            reporter_line = redact(name)
        else:
            reporter_line = phrases.no_name

    assignee: str | None = None
    if rule.show_assignee and not to_reporter and report.assignee:
        official = directory.officials_by_id.get(report.assignee)
        assignee = f"{_single_line(official.name)} ({official.id})" if official else report.assignee

    status = _status_of(notification, report)
    stage = _stage_of(notification, report)
    return _Context(
        language=lang,
        to_reporter=to_reporter,
        text=_TEXTS[lang][notification.event],
        rule=rule,
        phrases=phrases,
        code=report.id,
        title=redact(_single_line(report.title)),
        # Redact before cutting: a cut through a number would leave a fragment no pattern matches.
        excerpt=_excerpt(redact(report.description)),
        category=_single_line(category.name) if category else phrases.uncategorised,
        agency=_single_line(agency) if agency else None,
        kind=phrases.kinds[report.kind],
        status=status,
        stage=stage,
        note=redact(notification.note.strip()) if notification.note and notification.note.strip() else None,
        greeting=greeting,
        reporter=reporter_line,
        assignee=assignee,
        deadline=_deadline_of(rule, status, stage, report),
    )


# --------------------------------------------------------------------------------------------------
# Email
# --------------------------------------------------------------------------------------------------


def render_email(
    notification: Notification,
    report: Report,
    directory: Directory,
    *,
    to_reporter: bool,
    public_url: str,
    language: Language | None = None,
) -> RenderedEmail:
    """The email for one notification.

    ``to_reporter`` selects the reporter's wording rules (their language, the public tracking link)
    over the officials' (Indonesian, the officials' console link, report details). ``language``
    overrides the language choice, for previews and tests. Every interpolated value is
    HTML-escaped in the HTML body; titles, descriptions and notes are attacker-controlled.
    """
    ctx = _context(notification, report, directory, to_reporter=to_reporter, language=language)
    p = ctx.phrases
    fields = ctx.fields()
    headline = ctx.text.subject.format(**fields)

    subject_parts = [f"[LAPOR! {ctx.code}] {headline}", ctx.category]
    if ctx.agency:
        subject_parts.append(ctx.agency)
    subject = _single_line(" | ".join(subject_parts))

    paragraphs = [ctx.text.body.format(**fields)]
    if notification.event == Event.STATUS and ctx.status == Status.COMPLETED:
        paragraphs.append(p.completed_hint)
    if ctx.deadline:
        field, when = ctx.deadline
        sentence = p.deadline_missed if ctx.rule.missed else p.deadline
        paragraphs.append(
            sentence.format(label=p.deadline_labels[field], when=format_wib(when, ctx.language))
        )

    details: list[tuple[str, str]] = [(p.labels["code"], ctx.code)]
    if not to_reporter:
        details.append((p.labels["kind"], ctx.kind))
        details.append((p.labels["category"], ctx.category))
    details.append((p.labels["agency"], ctx.agency or p.some_agency))
    details.append((p.labels["status"], p.statuses[ctx.status]))
    if ctx.assignee:
        details.append((p.labels["assignee"], ctx.assignee))
    details.append((p.labels["title"], ctx.title))
    if not to_reporter:
        details.append((p.labels["excerpt"], ctx.excerpt))
    if ctx.reporter:
        details.append((p.labels["reporter"], ctx.reporter))

    note_label = p.note_official if notification.event == Event.STATUS else p.note
    base = public_url.rstrip("/")
    code = quote(ctx.code, safe="-")
    if to_reporter:
        link_text, link = p.link_reporter, f"{base}/track.html#{code}"
    else:
        link_text, link = p.link_official, f"{base}/officials.html#/reports/{code}"

    text_lines = [ctx.greeting, "", *_join_paragraphs(paragraphs), ""]
    text_lines += [f"{label}: {value}" for label, value in details]
    if ctx.note:
        text_lines += ["", f"{note_label}:", ctx.note]
    text_lines += ["", f"{link_text}: {link}", "", "-- ", p.footer]

    e = html.escape
    rows = "".join(
        f'<tr><th align="left" valign="top">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in details
    )
    html_parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(ctx.language)}"><head><meta charset="utf-8">',
        f"<title>{e(subject)}</title></head><body>",
        f"<p>{e(ctx.greeting)}</p>",
        *(f"<p>{e(paragraph)}</p>" for paragraph in paragraphs),
        f'<table cellpadding="4" cellspacing="0">{rows}</table>',
    ]
    if ctx.note:
        note_html = e(ctx.note).replace("\n", "<br>")
        html_parts.append(f"<p><strong>{e(note_label)}:</strong><br>{note_html}</p>")
    html_parts += [
        f'<p><a href="{e(link)}">{e(link_text)}</a></p>',
        f'<p style="color:#666666;font-size:small">{e(p.footer)}</p>',
        "</body></html>",
    ]
    return RenderedEmail(
        subject=subject, text="\n".join(text_lines) + "\n", html="\n".join(html_parts) + "\n"
    )


def _join_paragraphs(paragraphs: list[str]) -> list[str]:
    lines: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append("")
        lines.append(paragraph)
    return lines


# --------------------------------------------------------------------------------------------------
# SMS
# --------------------------------------------------------------------------------------------------


def render_sms(
    notification: Notification,
    report: Report,
    directory: Directory,
    *,
    to_reporter: bool,
    language: Language | None = None,
) -> str:
    """The SMS for one notification: one GSM-7 segment (at most 160 basic characters).

    The tracking code and the relevant deadline always fit; long agency names, the note and the
    title are shortened, in that order of priority, to fit what is left. A reporter's SMS omits
    the title of a confidential report, since SMS previews show on lock screens.
    """
    ctx = _context(notification, report, directory, to_reporter=to_reporter, language=language)
    p = ctx.phrases
    agency = gsm7(ctx.agency or p.some_agency)
    category = gsm7(ctx.category)

    deadline = ""
    if ctx.deadline:
        field, when = ctx.deadline
        pattern = p.sms_deadline_missed if ctx.rule.missed else p.sms_deadline[field]
        deadline = gsm7(pattern.format(when=format_wib_short(when, ctx.language)))

    def core(agency: str, category: str) -> str:
        head = gsm7(ctx.text.sms.format(**ctx.fields(agency=agency, category=category)))
        return f"{head} {deadline}" if deadline else head

    # Directory names can be long ("Kementerian Pendayagunaan Aparatur Negara dan Reformasi
    # Birokrasi"); they give way before the code and the deadline do.
    text = core(agency, category)
    if len(text) > SMS_LIMIT:
        agency = _truncate(agency, max(len(agency) - (len(text) - SMS_LIMIT), 0))
        text = core(agency, category)
    if len(text) > SMS_LIMIT:
        category = _truncate(category, max(len(category) - (len(text) - SMS_LIMIT), 0))
        text = core(agency, category)
    text = text[:SMS_LIMIT]  # a safety net only: no template comes close

    if ctx.note:
        room = SMS_LIMIT - len(text) - 1 - len(p.sms_note)
        note = _truncate(gsm7(ctx.note), room, minimum=8)
        if note:
            text = f"{text} {p.sms_note}{note}"
    # Inner double quotes become single ones so the title's own quotes do not close ours.
    title = "" if to_reporter and report.confidential else gsm7(ctx.title).replace('"', "'")
    if title:
        room = SMS_LIMIT - len(text) - 3  # a space and two quotes
        title = _truncate(title, room, minimum=8)
        if title:
            text = f'{text} "{title}"'
    return text
