"""Input checks shared by every stage.

Bad input must fail before any work starts, with a message that names the parameter, the value
that was given and what is allowed.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

SCALES = ("smoke", "small", "paper")


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
    return value


def check_scale(scale: Any) -> str:
    """Validate a notebook/preset scale (``smoke``, ``small`` or ``paper``)."""
    return check_choice("scale", scale, SCALES)


def _bounds_text(min, max, min_inclusive=True, max_inclusive=True) -> str:
    parts = []
    if min is not None:
        parts.append(f"{'>=' if min_inclusive else '>'} {min}")
    if max is not None:
        parts.append(f"{'<=' if max_inclusive else '<'} {max}")
    return " and ".join(parts)


def check_int(name: str, value: Any, *, min: int | None = None, max: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer within ``[min, max]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} must be an integer" + (f" {_bounds_text(min, max)}" if (min is not None or max is not None) else ""))
    value = int(value)
    if (min is not None and value < min) or (max is not None and value > max):
        raise ValueError(f"{name}={value!r} is out of range; allowed: {_bounds_text(min, max)}")
    return value


def check_float(
    name: str,
    value: Any,
    *,
    min: float | None = None,
    max: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Return ``value`` as ``float`` if it is a finite real number within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} must be a real number")
    value = float(value)
    bad = value != value or value in (float("inf"), float("-inf"))
    if min is not None:
        bad |= value < min if min_inclusive else value <= min
    if max is not None:
        bad |= value > max if max_inclusive else value >= max
    if bad:
        raise ValueError(
            f"{name}={value!r} is out of range; allowed: finite and {_bounds_text(min, max, min_inclusive, max_inclusive)}"
        )
    return value
