"""Receipts people can keep: short, unambiguous, grouped, at least 80 bits, forgiving when typed back."""

from __future__ import annotations

import math
import re
import secrets

from lapor.domain.ids import (
    RECEIPT_ALPHABET,
    RECEIPT_LENGTH,
    RECEIPT_PATTERN,
    hash_receipt,
    new_receipt,
    normalize_receipt,
    receipt_matches,
)


def test_a_receipt_is_four_groups_of_four_with_at_least_80_bits():
    receipts = {new_receipt() for _ in range(200)}
    assert len(receipts) == 200
    assert all(re.fullmatch(RECEIPT_PATTERN, r) and len(r) == 19 for r in receipts)
    assert RECEIPT_LENGTH * math.log2(len(RECEIPT_ALPHABET)) >= 80


def test_the_alphabet_has_no_letters_people_confuse():
    assert not set("ILOU") & set(RECEIPT_ALPHABET) and len(RECEIPT_ALPHABET) == 32


def test_a_receipt_typed_back_loosely_still_matches():
    # Given a stored receipt hash
    receipt = "7KQ2-MX9R-TH4P-W3AB"
    stored = hash_receipt(receipt)
    # When the reporter types it in lower case, without dashes, or reads O for 0 and I/L for 1
    for typed in ("7kq2mx9rth4pw3ab", " 7KQ2 MX9R TH4P W3AB ", "7KQ2-MX9R-TH4P-W3AB"):
        assert receipt_matches(typed, stored)
    assert normalize_receipt("AB0C-1D1E-FGHJ-KMNP") == normalize_receipt("abOc-iDlE-fghj-kmnp")
    # ... but a different receipt does not
    assert not receipt_matches("7KQ2-MX9R-TH4P-W3AC", stored)


def test_receipts_issued_before_the_new_format_still_match():
    old = secrets.token_urlsafe(24)
    assert receipt_matches(old, hash_receipt(old))
    assert normalize_receipt(old) == old
