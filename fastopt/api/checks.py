"""Checks of single arguments (integers, reals, flags), shared by every entry point.

Each returns the value in its plain Python type or raises ``TypeError`` (wrong
type) or ``ValueError`` (out of range) with a message that names the argument.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..methods import Interval

__all__ = ["check_integer", "check_real", "check_flag"]


def check_integer(name: str, value: Any, minimum: int, maximum: int | None = 2**62) -> int:
    """An integer in ``[minimum, maximum]`` (no upper bound when ``maximum`` is None); bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:,}, got {value:,}")
    return value


def check_real(name: str, value: Any, valid: Interval | None = None) -> float:
    """A finite real number, inside ``valid`` when given; bools are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond float64's range, e.g. 10**400
        raise ValueError(f"{name} must be a finite number, got an integer too large for float64") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if valid is not None and value not in valid:
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return value


def check_flag(name: str, value: Any) -> bool:
    """True or False (NumPy booleans too); nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)
