"""Where Open311 lives in the API.

Kept apart from ``lapor.domain.open311`` so the API can tell an Open311 request from its own without
loading Open311's models: the API registers Open311's routes on the first request for them.
"""

from __future__ import annotations

BASE_PATH = "/open311/v2"


def handles(path: str | None) -> bool:
    """Whether a request path is Open311's."""
    return bool(path) and (path == BASE_PATH or str(path).startswith(BASE_PATH + "/"))
