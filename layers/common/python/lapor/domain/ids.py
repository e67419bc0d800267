"""Tracking codes and reporter receipts."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O, 1/I/L: codes are read aloud over the phone and copied from SMS.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 13  # 31**13 ≈ 2**64.4: unguessable, so the public tracking view needs no login.
_GROUPS = (4, 4, 5)
REPORT_ID_PATTERN = r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}$"
_REPORT_ID_RE = re.compile(REPORT_ID_PATTERN)


def new_report_id() -> str:
    """A fresh random tracking code such as ``7KQ2-MX9R-TH4PW`` (64 random bits, never sequential)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(_CODE_LENGTH))
    parts, start = [], 0
    for size in _GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def normalize_report_id(text: str) -> str | None:
    """The canonical form of a typed tracking code (case, spaces and missing dashes forgiven), or None."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if len(compact) != _CODE_LENGTH:
        return None
    candidate = f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"
    return candidate if _REPORT_ID_RE.match(candidate) else None


# Receipts: Crockford's base32 (no I, L, O, U), 16 characters = 80 random bits, written in four
# groups of four. Typed back, case, spaces and dashes do not matter, and the letters people confuse
# with digits read as those digits (O -> 0, I and L -> 1), so a receipt read aloud or copied by hand
# still matches.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16
RECEIPT_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"
_RECEIPT_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECEIPT_CHARS = frozenset(RECEIPT_ALPHABET)


def new_receipt() -> str:
    """A secret the reporter keeps to give feedback, e.g. ``7KQ2-MX9R-TH4P-W3AB`` (80 random bits).

    Only its hash is stored.
    """
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalize_receipt(text: str) -> str:
    """The canonical form of a typed receipt; text that is not one (an older receipt) is kept as is."""
    compact = re.sub(r"[\s-]", "", text).upper().translate(_RECEIPT_READS_AS)
    if len(compact) != RECEIPT_LENGTH or not set(compact) <= _RECEIPT_CHARS:
        return text.strip()
    return "-".join(compact[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def hash_receipt(receipt: str) -> str:
    """The stored form of a receipt (of its canonical form, so any way of typing it matches)."""
    return hashlib.sha256(normalize_receipt(receipt).encode()).hexdigest()


def receipt_matches(receipt: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented receipt with the stored hash."""
    return hmac.compare_digest(hash_receipt(receipt), stored_hash)


def derived_receipt(secret: bytes, idempotency_key: str, report_id: str) -> str:
    """The receipt of a report filed with an Idempotency-Key: HMAC-SHA256 of the raw key and the report's
    id under the deployment's secret, as 16 receipt characters (80 bits).

    A retry with the same key gets the same receipt back although nothing stores it: the key's record
    holds only the hash of the key, and the secret lives outside the tables (see docs/decisions.md).
    """
    message = f"receipt\n{idempotency_key}\n{report_id}".encode()
    number = int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:10], "big")
    raw = "".join(RECEIPT_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(RECEIPT_LENGTH)))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
