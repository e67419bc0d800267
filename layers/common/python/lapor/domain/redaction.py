"""Redaction of the reporter's identity from free text: one implementation for every reader.

Reporters often repeat their number or address in the description ("hubungi saya di 0812..."), and
officials sometimes quote it in a note. Every text that a reader who may not know who the reporter is
can see passes through one of the functions below:

- :func:`for_public` — the public tracking view and its timeline, Open311 and the open-data export:
  the reporter's email, phone (in every shape people type it) and name are replaced by ``[…]``;
- :func:`for_officials` — what officials read (their view, their inbox, their emails): the email and
  phone always, and the name too when the report is anonymous;
- :func:`redactor` — the building block, for texts with their own placeholder (emails and SMS say
  "[disembunyikan]").

Use them on every free text of a report (title, description, timeline notes, feedback comments)
before it leaves for such a reader; ``public_texts`` does it for the usual trio at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lapor.domain.contacts import normalize_phone
from lapor.domain.models import Report

__all__ = ["HIDDEN", "for_officials", "for_public", "phone_pattern", "public_texts", "redactor"]

HIDDEN = "[…]"
# What people type between digit groups of a phone number.
_PHONE_SEPARATORS = r"[\s().\-/]*"
# Name words shorter than this are not redacted on their own (only as part of the whole name):
# redacting "Sri" or "Ani" everywhere would garble ordinary words.
_NAME_PART_MIN = 4


def phone_pattern(e164: str) -> re.Pattern[str]:
    """Any written form of an Indonesian mobile number: +62 812-..., 0062..., 62812..., (0812) ..., 0812..., 812..."""
    sep = _PHONE_SEPARATORS
    national = e164.removeprefix("+62")
    prefix = rf"(?:(?:(?:\+|00){sep})?62{sep}(?:\(?0\)?{sep})?|0{sep})?"
    return re.compile(r"(?<!\d)\(?" + prefix + sep.join(re.escape(d) for d in national) + r"(?!\d)")


def _name_patterns(name: str) -> list[re.Pattern[str]]:
    words = name.split()
    if not words:
        return []
    patterns = []
    if len(name) >= 3:
        whole = r"\s+".join(re.escape(word) for word in words)
        patterns.append(re.compile(r"(?<!\w)" + whole + r"(?!\w)", re.IGNORECASE))
    patterns += [
        re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
        for word in dict.fromkeys(words)
        if len(word) >= _NAME_PART_MIN and len(words) > 1
    ]
    return patterns


def redactor(report: Report, hidden: str = HIDDEN, *, name: bool | None = None) -> Callable[[str], str]:
    """A function that replaces the reporter's own contact details in text with ``hidden``.

    Always the email and phone number; the name when ``name`` (default: when the report is
    anonymous): the whole name, and each of its words of four letters or more.
    """
    reporter = report.reporter
    patterns: list[re.Pattern[str]] = []
    if reporter and reporter.email and reporter.email.strip():
        patterns.append(re.compile(re.escape(reporter.email.strip()), re.IGNORECASE))
    phone = normalize_phone(reporter.phone) if reporter and reporter.phone else None
    if phone:
        patterns.append(phone_pattern(phone))
    hide_name = report.anonymous if name is None else name
    if reporter and reporter.name and hide_name:
        patterns += _name_patterns(reporter.name.strip())

    def redact(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub(hidden, text)
        return text

    return redact


def for_public(report: Report) -> Callable[[str], str]:
    """Redaction for readers who do not know the reporter: the public view, Open311, open data."""
    return redactor(report, HIDDEN, name=True)


def for_officials(report: Report) -> Callable[[str], str]:
    """Redaction for officials: contact details always, the name when the report is anonymous."""
    return redactor(report, HIDDEN)


def public_texts(report: Report) -> tuple[str, str]:
    """The report's title and description as a public reader may see them (before the confidential rule)."""
    redact = for_public(report)
    return redact(report.title), redact(report.description)
