"""Argument checks several layers share. Stdlib only: the registry runs them before TensorFlow loads."""

from __future__ import annotations

import numbers
from typing import Any


def whole_number(value: Any, argument: str, *, where: str, minimum: int = 1, wanted: str | None = None,
                 wrong_type: type[Exception] = TypeError) -> int:
    """``value`` as an ``int``, refused unless it is an integer (not a bool; NumPy's count) >= ``minimum``.

    Messages read ``"{where}: {argument} must be {wanted}; got {value!r}"``; ``wanted`` defaults to
    "a whole number >= {minimum}". A value of another type raises ``wrong_type`` (zoo.tune and bench
    refuse every bad count with ``ValueError``), one below ``minimum`` a ``ValueError``.
    """
    wanted = wanted or f"a whole number >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise wrong_type(f"{where}: {argument} must be {wanted}; got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{where}: {argument} must be {wanted}; got {int(value)}.")
    return int(value)
