"""Region names for BPS codes, as officials read them next to the code.

The project does not ship the region list yet (Kemendagri's area codes): until it does, a code has no
name and the officials' view shows the code alone. This is the one place a region name comes from.
"""

from __future__ import annotations


def region_name(code: str) -> str | None:
    """The name of the region with BPS ``code`` (``35.78`` → ``Kota Surabaya``), or None when unknown."""
    del code  # no region list is loaded yet
    return None
