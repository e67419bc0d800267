"""Attachments: what a reporter may attach, recognised by content (magic bytes), never by name."""

from __future__ import annotations

import re
import secrets
import unicodedata

# What reporters may attach, and the extension a download of each gets.
ALLOWED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_BYTES = 10 * 1024 * 1024  # 10 MB per file
MAX_PER_REPORT = 5
UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"
# Enough bytes to tell the three formats apart.
SNIFF_BYTES = 16
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file show (JPEG, PNG or PDF), or None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def new_upload_id() -> str:
    """A random, unguessable upload id (128 bits, hex)."""
    return secrets.token_hex(16)


def safe_filename(name: str, content_type: str) -> str:
    """A file name fit to show and to offer as a download: no path, no control or quoting characters,
    at most 100 characters, and the extension of what the file really is."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" ._") or "lampiran"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    extension = ALLOWED_TYPES.get(content_type, "bin")
    return f"{stem[:90].rstrip(' ._') or 'lampiran'}.{extension}"
