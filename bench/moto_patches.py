"""moto costs that would make a benchmark measure moto instead of Lapor (transactions: local.moto_patches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def unchecked_item_sizes() -> Iterator[None]:
    """While active, moto skips its 400 KB item-size check, which it recomputes on every attribute set.

    The check makes building an item quadratic in its attribute count (a report item has about 30):
    most of the time of a bulk load. Only for loading items known to be small.
    """
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]
