"""Notification rendering: the email and SMS each queued Notification turns into when it is sent.

The wording is in ``notification_texts`` (every Event in Indonesian and English); the per-event rules
(which deadline applies, who may see the reporter's name) live here in one table shared by both;
emails are laid out by the Jinja2 templates in ``templates/`` (HTML autoescaped, responsive, with a
plain-text twin). Reporters read their report's language; officials read Indonesian.

Privacy rules enforced here, whatever the caller passes:
- no relay: a message to the reporter's contact never repeats text the reporter typed (the title, the
  description, the name, comments), only the tracking code, status, agency, deadlines, the officials'
  notes and links, so Lapor cannot be used to send someone else's words to a number or address;
- the reporter's email and phone never appear, not even where the reporter typed them into the
  title, description or an official's note (they are redacted from free text);
- when the report is anonymous, officials never see the reporter's name (also redacted from text);
- the reporter's name is shown only to the officials who must act on the report.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from msgspec import Struct

from lapor.app.notification_texts import PHRASES, TEXTS, Phrases, Text
from lapor.domain.directory import Directory
from lapor.domain.lifecycle import Status
from lapor.domain.messages import Event, Notification, RenderedEmail
from lapor.domain.models import Language, Report
from lapor.domain.redaction import redactor
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


class _Rule(Struct, frozen=True):
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
    # A first assignment waits on verification; a report handed over later on its current deadline.
    Event.ASSIGNED: _Rule(due=("verify_by", "follow_up_by", "resolve_by"), show_reporter=True),
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


# --------------------------------------------------------------------------------------------------
# Context: every value a message may show, already redacted
# --------------------------------------------------------------------------------------------------


class _Context(Struct, frozen=True):
    language: Language
    to_reporter: bool
    text: Text
    rule: _Rule
    phrases: Phrases
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
    phrases = PHRASES[lang]
    rule = _RULES[notification.event]
    # The reporter's contact may not be the reporter's (relay): their name is hidden from it too.
    redact = redactor(report, phrases.hidden, name=True if to_reporter else None)

    category = directory.categories_by_code.get(report.category or "")
    agency = directory.agency_name(report.agency) or report.agency

    if to_reporter:
        # Not by name: whoever filed the report typed the name, and the contact may be someone else's.
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
        text=TEXTS[lang][notification.event],
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


TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _templates() -> Any:
    """The Jinja2 environment, built on the first email (notify only; jinja2 stays off other cold paths)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # Titles, descriptions and notes are attacker-controlled: the HTML escapes every value.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,  # a misspelt variable fails the test, not the citizen
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class _Button(Struct, frozen=True):
    label: str
    url: str
    primary: bool


def render_email(
    notification: Notification,
    report: Report,
    directory: Directory,
    *,
    to_reporter: bool,
    public_url: str,
    language: Language | None = None,
    feedback_token: str | None = None,
) -> RenderedEmail:
    """The email for one notification.

    ``to_reporter`` selects the reporter's wording rules (their language, the public tracking link)
    over the officials' (Indonesian, the officials' console link, report details). ``language``
    overrides the language choice, for previews and tests. ``feedback_token`` (a completion email to
    the reporter) adds the accept and reopen buttons, which open the feedback form with it filled in.
    Every interpolated value is HTML-escaped in the HTML body; titles, descriptions and notes are
    attacker-controlled.
    """
    ctx = _context(notification, report, directory, to_reporter=to_reporter, language=language)
    p = ctx.phrases
    fields = ctx.fields()
    headline = ctx.text.subject.format(**fields)

    subject_parts = [f"[LAPOR! {ctx.code}] {headline}", ctx.category]
    if ctx.agency:
        subject_parts.append(ctx.agency)
    subject = _single_line(" | ".join(subject_parts))

    base = public_url.rstrip("/")
    code = quote(ctx.code, safe="-")
    paragraphs = [ctx.text.body.format(**fields)]
    buttons: list[_Button] = []
    completed = notification.event == Event.STATUS and ctx.status == Status.COMPLETED
    if to_reporter and completed and feedback_token:
        token = quote(feedback_token, safe="-")
        for action, label in (("accept", p.button_accept), ("reopen", p.button_reopen)):
            url = f"{base}/track.html#{code}?action={action}&receipt={token}"
            buttons.append(_Button(label, url, primary=action == "accept"))
        paragraphs.append(p.completed_hint.format(accept=p.button_accept, reopen=p.button_reopen))
    if notification.event == Event.RECEIVED and to_reporter:
        paragraphs.append(p.receipt_hint)
    if ctx.deadline:
        field, when = ctx.deadline
        sentence = p.deadline_missed if ctx.rule.missed else p.deadline
        paragraphs.append(
            sentence.format(label=p.deadline_labels[field], when=format_wib(when, ctx.language))
        )
    if to_reporter:
        buttons.append(_Button(p.button_track, f"{base}/track.html#{code}", primary=not buttons))
        paragraphs.append(p.track_hint.format(button=p.button_track))
    else:
        buttons.append(_Button(p.button_open, f"{base}/officials.html#/reports/{code}", primary=True))
        paragraphs.append(p.open_hint.format(button=p.button_open))

    details: list[tuple[str, str]] = [(p.labels["code"], ctx.code)]
    if not to_reporter:
        details.append((p.labels["kind"], ctx.kind))
        details.append((p.labels["category"], ctx.category))
    details.append((p.labels["agency"], ctx.agency or p.some_agency))
    details.append((p.labels["status"], p.statuses[ctx.status]))
    if ctx.assignee:
        details.append((p.labels["assignee"], ctx.assignee))
    if not to_reporter:
        details.append((p.labels["title"], ctx.title))
        details.append((p.labels["excerpt"], ctx.excerpt))
    if ctx.reporter:
        details.append((p.labels["reporter"], ctx.reporter))

    values = {
        "language": ctx.language,
        "subject": subject,
        "greeting": ctx.greeting,
        "paragraphs": paragraphs,
        "details": details,
        "note_label": {Event.STATUS: p.note_official, Event.REOPENED: p.note_reason}.get(
            notification.event, p.note
        ),
        "note": ctx.note,
        "buttons": buttons,
        "footer": p.footer,
    }
    env = _templates()
    return RenderedEmail(
        subject=subject,
        text=env.get_template("email.txt.j2").render(values),
        html=env.get_template("email.html.j2").render(values),
    )


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

    The tracking code and the relevant deadline always fit; long agency names, the note and (for
    officials) the title are shortened, in that order of priority, to fit what is left. A reporter's
    SMS never carries the title (no relay of reporter-typed text).
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
        label = p.sms_reason if notification.event == Event.REOPENED else p.sms_note
        room = SMS_LIMIT - len(text) - 1 - len(label)
        note = _truncate(gsm7(ctx.note), room, minimum=8)
        if note:
            text = f"{text} {label}{note}"
    # Inner double quotes become single ones so the title's own quotes do not close ours.
    title = "" if to_reporter else gsm7(ctx.title).replace('"', "'")
    if title:
        room = SMS_LIMIT - len(text) - 3  # a space and two quotes
        title = _truncate(title, room, minimum=8)
        if title:
            text = f'{text} "{title}"'
    return text
