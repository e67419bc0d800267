"""The message catalogue: both languages for everything, and every error raised in the package uses it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lapor.domain.catalogue import FIELDS, MESSAGES, STATUSES, choose_language, field_name, render

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "python" / "lapor"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ERRORS = {"NotFound", "Unauthorized", "Forbidden", "Conflict", "LaporError"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "id"),
        ("", "id"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en-US;q=0.8", "id"),
        ("fr-FR,fr;q=0.9,en;q=0.8,id;q=0.7", "en"),
        ("en;q=0.2,id;q=0.8", "id"),
        ("en;q=0", "id"),
        ("EN-gb", "en"),
        ("de, ja", "id"),
        ("en;q=abc, id", "id"),
    ],
)
def test_accept_language_picks_the_preferred_supported_language(header, expected):
    assert choose_language(header) == expected


@pytest.mark.parametrize("table", [MESSAGES, FIELDS, STATUSES], ids=["messages", "fields", "statuses"])
def test_every_entry_has_both_languages_with_the_same_placeholders(table):
    for key, entry in table.items():
        assert set(entry) == {"id", "en"}, key
        assert entry["id"] and entry["en"], key
        assert set(PLACEHOLDER.findall(entry["id"])) == set(PLACEHOLDER.findall(entry["en"])), key


def test_field_messages_name_their_field():
    for key, entry in MESSAGES.items():
        if "{field}" in entry["id"]:
            assert render(key, "id", field="title").count("Judul laporan") == 1


def test_list_items_and_unknown_fields_are_named():
    assert field_name("attachments.1", "id") == "Lampiran ke-2"
    assert field_name("attachments.0", "en") == "Attachment no. 1"
    assert field_name("surprise", "en") == "“surprise”"


def test_a_value_with_braces_is_not_read_as_a_placeholder():
    assert render("region_unknown", "en", field="region", code="{field}") == (
        "Region code {field} is not listed. Choose a province, regency/city or district from the list."
    )


def _raised_message_ids() -> list[tuple[str, int, str]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            args = node.exc.args
            if name == "InvalidInput" and len(args) >= 2:
                found.append((str(path.relative_to(PACKAGE)), node.lineno, ast.literal_eval(args[1])))
            elif name in ERRORS and args:
                found.append((str(path.relative_to(PACKAGE)), node.lineno, ast.literal_eval(args[0])))
    return found


def test_every_error_raised_in_the_package_is_a_catalogue_message():
    # Given every raise of a client error in the shared package
    raised = _raised_message_ids()
    assert len(raised) >= 15  # the scan really finds them
    # Then each names a catalogue message, so the API can answer it in Indonesian and English
    unknown = [(path, line, message) for path, line, message in raised if message not in MESSAGES]
    assert unknown == []
