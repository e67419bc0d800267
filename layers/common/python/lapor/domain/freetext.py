"""One policy for every free text people type into Lapor: titles, descriptions, names, notes, comments.

Each text is normalized (Unicode NFC, Windows line ends to ``\\n``, surrounding spaces trimmed) and
then refused, naming why, when it carries what no honest report needs and what deceives a reader or
a filter:

- control characters (tab and new line are allowed in long text only): they break SMS, email headers
  and terminals;
- invisible format characters: bidirectional marks and overrides ("Trojan Source" reordering), zero-width
  characters, the soft hyphen, invisible operators, interlinear annotations and tag characters;
- look-alike letters and digits: a word that mixes Latin, Cyrillic and Greek letters ("J\u0430lan" with
  a Cyrillic a); fullwidth and mathematical letters and digits ("J\uff41lan", "J\U0001d41alan"), which read
  as plain ones but are other characters to every search, filter and redaction; and decimal digits of
  other scripts, which would hide a phone number from redaction.

The check is written here rather than taken from a confusables library: the library on PyPI
(confusable-homoglyphs) flags mixed-script strings but lets fullwidth and mathematical letters pass,
which Unicode files under the Latin or Common script; the compatibility-decomposition tags of the
Unicode database name exactly those (see docs/decisions.md).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TextRefused", "clean_text"]

_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e007f"
)
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_LINE_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
# Scripts whose letters look alike: one word mixing them is a homograph.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Compatibility variants that render as an ordinary letter or digit: <wide> fullwidth forms, <font>
# mathematical and letterlike styles, <circle> and <square> enclosed letters, <narrow> halfwidth forms.
_LOOKALIKE_TAGS = frozenset({"<wide>", "<font>", "<circle>", "<square>", "<narrow>"})
_WORD = re.compile(r"\w+")


class TextRefused(ValueError):
    """A text the policy refuses; ``message_id`` is the catalogue message that says why."""

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


def _lookalike(ch: str) -> bool:
    if ch.isascii():
        return False
    if unicodedata.category(ch) == "Nd":
        return True  # a digit of another script (or a styled one): 0-9 only
    tag = unicodedata.decomposition(ch).split(" ", 1)[0]
    return tag in _LOOKALIKE_TAGS and unicodedata.normalize("NFKC", ch).isalnum()


def _mixes_scripts(word: str) -> bool:
    scripts = {unicodedata.name(ch, "").split(" ", 1)[0] for ch in word if ch.isalpha()}
    return len(scripts & _CONFUSABLE_SCRIPTS) > 1


def clean_text(value: str, *, multiline: bool) -> str:
    """``value`` normalized by the policy, or TextRefused naming the rule it breaks.

    ``multiline`` texts (descriptions, notes, comments) may hold new lines and tabs; single-line texts
    (titles, names, file names) may not.
    """
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if (_CONTROL if multiline else _LINE_CONTROL).search(text):
        raise TextRefused("control_chars" if multiline else "single_line")
    if any(_lookalike(ch) for ch in text):
        raise TextRefused("lookalike_chars")
    if any(_mixes_scripts(word) for word in _WORD.findall(text)):
        raise TextRefused("mixed_scripts")
    return text
