"""Validation and normalization of the contact details reporters and officials give."""

from __future__ import annotations

import hashlib
import re

_SEPARATORS = re.compile(r"[\s().\-/]")
# Indonesian mobile numbers: 08xx..., 628xx..., +628xx...; 9-12 digits in all after the leading 8.
_ID_MOBILE = re.compile(r"\+628[1-9][0-9]{7,10}")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def normalize_phone(raw: str) -> str | None:
    """An Indonesian mobile number in E.164 (``+628…``), or None when it is not one.

    Accepts the shapes people type: ``0812-3456-789``, ``62812…``, ``+62 812 …``, ``(0812) …``,
    ``0062812…``. Landlines and foreign numbers are refused because only Indonesian mobiles get SMS.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("0"):
        compact = "+62" + compact[1:]
    elif compact.startswith("62"):
        compact = "+" + compact
    elif compact.startswith("8"):
        compact = "+62" + compact
    return compact if _ID_MOBILE.fullmatch(compact) else None


def is_valid_email(raw: str) -> bool:
    """A pragmatic check for an address SES will accept (RFC 5321 length limits, dotted domain)."""
    if len(raw) > 254 or "@" not in raw or len(raw.split("@", 1)[0]) > 64:
        return False
    return bool(_EMAIL.fullmatch(raw))


def mask_email(address: str) -> str:
    """A form of an address safe for logs and operator views (``s***@kemkes.go.id``)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """A form of a number safe for logs (``+62812****789``)."""
    return number[:6] + "****" + number[-3:] if len(number) > 9 else "****"


def contact_key(address: str) -> str:
    """A stable, non-reversible-at-a-glance key of one email address or phone number, for counters.

    Emails are compared without case, numbers in E.164, so ``0812-…`` and ``+62 812 …`` count as one.
    """
    phone = normalize_phone(address) if "@" not in address else None
    canonical = phone or address.strip().lower()
    return hashlib.sha256(canonical.encode()).hexdigest()
