"""Redaction of the reporter's identity from free text: one implementation for every reader.

Reporters often repeat their number or address in the description ("hubungi saya di 0812..."), and
officials sometimes quote it in a note. Emails, SMS and the officials' view of an anonymous report
pass every free text through :func:`redactor`, so typed-in contact details never reach a reader who
may not know who the reporter is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lapor.domain.contacts import normalize_phone
from lapor.domain.models import Report

__all__ = ["phone_pattern", "redactor"]

# What people type between digit groups of a phone number.
_PHONE_SEPARATORS = r"[\s().\-/]*"


def phone_pattern(e164: str) -> re.Pattern[str]:
    """Any written form of an Indonesian mobile number: +62 812-..., 0062..., (0812) ..., 0812..., 812..."""
    sep = _PHONE_SEPARATORS
    national = e164.removeprefix("+62")
    prefix = rf"(?:(?:\+|00)?{sep}62{sep}(?:\(?0\)?{sep})?|0{sep})?"
    return re.compile(r"(?<!\d)" + prefix + sep.join(re.escape(d) for d in national) + r"(?!\d)")


def redactor(report: Report, hidden: str, *, name: bool | None = None) -> Callable[[str], str]:
    """A function that replaces the reporter's own contact details in text with ``hidden``.

    Always the email and phone number; the name too when the report is anonymous, or whenever
    ``name`` is true (open data: no reader knows the reporter) — whole-name matches only, of names of
    three letters or more: redacting a short first name everywhere would garble ordinary words.
    """
    reporter = report.reporter
    patterns: list[re.Pattern[str]] = []
    if reporter and reporter.email and reporter.email.strip():
        patterns.append(re.compile(re.escape(reporter.email.strip()), re.IGNORECASE))
    phone = normalize_phone(reporter.phone) if reporter and reporter.phone else None
    if phone:
        patterns.append(phone_pattern(phone))
    hide_name = report.anonymous if name is None else name
    full_name = (reporter.name or "").strip() if reporter and hide_name else ""
    if len(full_name) >= 3:
        words = r"\s+".join(re.escape(word) for word in full_name.split())
        patterns.append(re.compile(r"(?<!\w)" + words + r"(?!\w)", re.IGNORECASE))

    def redact(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub(hidden, text)
        return text

    return redact
