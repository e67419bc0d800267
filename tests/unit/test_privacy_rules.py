"""The privacy rules without AWS: the free-text policy, redaction, timeline pages, token checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from lapor.adapters.identity import TokenVerifier, UserPool
from lapor.domain.errors import InvalidInput
from lapor.domain.freetext import TextRefused, clean_text
from lapor.domain.models import ActionRequest, FeedbackRequest, Report, Reporter, SubmitReportRequest
from lapor.domain.redaction import for_officials, for_public
from lapor.domain.timeline import decode_cursor, encode_cursor, latest_page
from local.gateway import match_route

# ---- one free-text policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("J\uff41lan rusak", "lookalike_chars"),  # fullwidth a
        ("J\U0001d41alan rusak", "lookalike_chars"),  # mathematical bold a
        ("hubungi \uff10\uff18\uff11\uff12", "lookalike_chars"),  # fullwidth digits
        ("hubungi \u0660\u0668\u0661\u0662", "lookalike_chars"),  # Arabic-Indic digits
        ("\u24b6bc jalan", "lookalike_chars"),  # circled A
        ("J\u0430lan rusak", "mixed_scripts"),  # Cyrillic a in a Latin word
        ("jalan \u202erusak", "control_chars"),  # right-to-left override
        ("jalan\u200brusak", "control_chars"),  # zero-width space
        ("jalan\x07rusak", "control_chars"),
    ],
)
def test_policy_refuses_what_deceives_a_reader(text: str, rule: str) -> None:
    with pytest.raises(TextRefused) as refused:
        clean_text(text, multiline=True)
    assert refused.value.message_id == rule


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("  Caf\u0065\u0301 buka  ", "Caf\u00e9 buka"),  # NFC, trimmed
        ("baris satu\r\nbaris dua", "baris satu\nbaris dua"),
        ("luas 100 m\u00b2, harga Rp10.000", "luas 100 m\u00b2, harga Rp10.000"),
        (
            "Jalan \u0391\u0392\u0393 dan \u0416\u0418\u0412",
            "Jalan \u0391\u0392\u0393 dan \u0416\u0418\u0412",
        ),
    ],
)
def test_policy_keeps_honest_text(text: str, cleaned: str) -> None:
    assert clean_text(text, multiline=True) == cleaned


def test_every_free_text_field_follows_the_policy() -> None:
    # Given the same look-alike word in each free-text field of each request
    word = "J\uff41lan"
    base = {"title": "Jalan rusak parah", "description": "Jalan rusak parah sekali di sini"}
    cases: list[tuple[type[Any], dict[str, Any], str]] = [
        (SubmitReportRequest, base | {"title": f"{word} rusak parah"}, "title"),
        (SubmitReportRequest, base | {"description": f"{word} rusak parah sekali"}, "description"),
        (SubmitReportRequest, base | {"reporter": {"name": word}}, "reporter.name"),
        (ActionRequest, {"action": "respond", "note": word}, "note"),
        (FeedbackRequest, {"receipt": "x", "action": "reopen", "comment": word}, "comment"),
    ]
    for model, body, field in cases:
        # Then each is refused naming the field, with the catalogue's message id
        with pytest.raises(ValidationError) as refused:
            model.model_validate(body)
        [error] = refused.value.errors()
        assert ".".join(map(str, error["loc"])) == field and error["type"] == "lookalike_chars"


# ---- one redaction ----------------------------------------------------------------------------------


def _report(**changes: Any) -> Report:
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": "7KQ2-MX9R-TH4PW",
        "kind": "complaint",
        "status": "received",
        "title": "t",
        "description": "d",
        "receipt_hash": "h",
        "created_at": now,
        "updated_at": now,
        "reporter": Reporter(name="Ratna Kanariwati", email="ratna@example.com", phone="+6281234567890"),
    }
    return Report.model_validate(values | changes)


@pytest.mark.parametrize(
    "typed",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "081234567890",
        "(0812) 3456-7890",
        "RATNA@example.com",
    ],
)
def test_contact_is_redacted_in_every_shape(typed: str) -> None:
    assert for_public(_report())(f"hubungi {typed} ya") == "hubungi […] ya"
    assert for_officials(_report())(f"hubungi {typed} ya") == "hubungi […] ya"


def test_public_readers_never_see_the_name_officials_only_of_anonymous_reports() -> None:
    text = "Saya Ratna Kanariwati; tanya Kanariwati saja"
    assert for_public(_report())(text) == "Saya […]; tanya […] saja"
    assert for_officials(_report())(text) == text
    assert for_officials(_report(anonymous=True))(text) == "Saya […]; tanya […] saja"


# ---- the public timeline's pages --------------------------------------------------------------------


def test_latest_page_keeps_within_entries_and_bytes_and_pages_back() -> None:
    entries = list(range(250))
    page = latest_page(entries, cursor=None, size_of=lambda _: 10, budget=10_000)
    assert page.entries == list(range(150, 250)) and page.total == 250
    page = latest_page(entries, cursor=None, size_of=lambda _: 100, budget=1_000)
    assert page.entries == list(range(240, 250))
    back = latest_page(entries, cursor=page.next_cursor, size_of=lambda _: 100, budget=1_000)
    assert back.entries == list(range(230, 240))
    first = latest_page(entries, cursor=encode_cursor(5), size_of=lambda _: 1, budget=1_000)
    assert first.entries == list(range(5)) and first.next_cursor is None


@pytest.mark.parametrize(
    "cursor", ["", "abc", encode_cursor(0), encode_cursor(11), "eyJiZWZvcmUiOnRydWV9", "%%%"]
)
def test_cursors_not_handed_out_are_refused_naming_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, 10)
    assert refused.value.field == "cursor"


# ---- tokens and paths -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing() -> tuple[Any, dict[str, Any]]:
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    return key, {"keys": [key.as_dict(private=False)]}


POOL = UserPool(pool_id="ap-southeast-3_test", client_id="officials-client", region="ap-southeast-3")
NOW = 1_800_000_000


def _token(key: Any, **claims: Any) -> str:
    from joserfc import jwt

    values = {
        "iss": POOL.issuer,
        "aud": POOL.client_id,
        "token_use": "id",
        "exp": NOW + 600,
        "custom:official_id": "kemenkes-lo1",
    }
    return "Bearer " + jwt.encode({"alg": "RS256", "kid": "k1"}, values | claims, key)


@pytest.mark.parametrize(
    ("claims", "valid"),
    [
        ({}, True),
        ({"nbf": NOW - 5}, True),
        ({"nbf": NOW + 300}, False),  # not valid yet
        ({"aud": "another-app-client"}, False),
        ({"token_use": "access"}, False),
        ({"exp": NOW - 1}, False),
    ],
)
def test_local_authorizer_checks_audience_expiry_and_not_before(
    signing, claims: dict[str, Any], valid: bool
) -> None:
    key, jwks = signing
    verifier = TokenVerifier(POOL, clock=lambda: NOW, fetch=lambda url: jwks)
    assert (verifier.verify(_token(key, **claims)) is not None) is valid


def test_local_gateway_decodes_path_parameters_as_api_gateway_does() -> None:
    assert match_route("/reports/7KQ2%2DMX9R%2DTH4PW/timeline") == (
        "/reports/{id}/timeline",
        {"id": "7KQ2-MX9R-TH4PW"},
    )
