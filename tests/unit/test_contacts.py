"""Contact details reporters and officials type (lapor.domain.contacts)."""

from __future__ import annotations

import pytest

from lapor.domain.contacts import is_valid_email, mask_email, mask_phone, normalize_phone

E164 = "+6281234567890"


@pytest.mark.parametrize(
    "typed",
    [
        "0812-3456-7890",
        "081234567890",
        "6281234567890",
        "+6281234567890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "(0812) 3456-7890",
        "006281234567890",
        "812-3456-7890",
        "0812.3456.7890",
        "0812/3456/7890",
        "  0812 3456 7890  ",
        "62 812 3456 7890",
    ],
)
def test_normalize_phone_accepts_the_shapes_people_type(typed: str) -> None:
    # Given a mobile number as an Indonesian would write it, When normalized, Then it is E.164
    assert normalize_phone(typed) == E164


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0812345678", "+62812345678"),  # shortest: 10 digits nationally
        ("0812345678901", "+62812345678901"),  # longest: 13 digits nationally
        ("0857-1234-5678", "+6285712345678"),
        ("0896 1234 5678", "+6289612345678"),
    ],
)
def test_normalize_phone_length_bounds_and_other_operators(typed: str, expected: str) -> None:
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "021-5550123",  # Jakarta landline
        "+62 21 5550123",  # the same landline, international form
        "+6591234567",  # Singapore mobile
        "+1 812 345 6789",  # North America
        "0812-345",  # too short
        "081234567",  # one digit short of the shortest mobile
        "08123456789012",  # too long
        "0800-1234-5678",  # toll-free, not a mobile
        "0812-3456-abcd",  # letters
        "0812 3456 7890 ext 1",
        "",
        "   ",
        "+",
    ],
)
def test_normalize_phone_refuses_what_cannot_get_an_sms(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_normalize_phone_refuses_non_ascii_digits() -> None:
    # Full-width digits come from some Asian input methods; SNS would refuse the "normalized" result.
    result = normalize_phone("+6281\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10")
    assert result is None or result.isascii()


def test_normalized_phones_are_ascii_e164() -> None:
    for typed in ("0812-3456-7890", "+62 812 3456 7890", "006281234567890"):
        result = normalize_phone(typed)
        assert result is not None
        assert result.isascii() and result.startswith("+628") and result[1:].isdigit()


@pytest.mark.parametrize(
    "address",
    [
        "siti@kemkes.go.id",
        "a.b+tag@sub.example.co.id",
        "USER@EXAMPLE.COM",
        "o'brien@example.org",
        "x@a-b.example",
        "a" * 64 + "@example.com",  # the longest local part RFC 5321 allows
    ],
)
def test_is_valid_email_accepts(address: str) -> None:
    assert is_valid_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "a@b",  # no dotted domain
        "a@-b.com",
        "a@b-.com",
        "a b@c.com",
        "a@b..com",
        "a@b.c_m",
        "@example.com",
        "a@",
        "a@@example.com",
        "a" * 65 + "@example.com",  # local part over 64
        "a@" + "b" * 250 + ".com",  # over 254 in total
        "a@example.com>",
    ],
)
def test_is_valid_email_refuses(address: str) -> None:
    assert not is_valid_email(address)


def test_is_valid_email_refuses_trailing_newline() -> None:
    assert not is_valid_email("siti@kemkes.go.id\n")


def test_masks_keep_contact_details_out_of_logs() -> None:
    assert mask_email("siti@kemkes.go.id") == "s***@kemkes.go.id"
    assert mask_email("not-an-address") == "***"
    assert mask_phone(E164) == "+62812****890"
    assert "3456" not in mask_phone(E164)
    assert mask_phone("12345") == "****"
