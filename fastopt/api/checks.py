"""Checks of single arguments (integers, reals, flags, arrays), shared by every entry point.

Each returns the value in its plain Python type or raises ``TypeError`` (wrong
type) or ``ValueError`` (out of range) with a message that names the argument.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..methods import Interval

__all__ = ["check_integer", "check_real", "check_flag", "check_array", "read_only"]


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


def check_array(name: str, value: Any, ndims: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """Return ``value`` as a finite array of ``dtype`` (float64, or float32) with one of ``ndims`` dimensions."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a {type(value).__name__}")
    if isinstance(value, np.ma.MaskedArray):  # np.asarray would drop the mask and keep the masked values
        raise TypeError(
            f"{name} is a masked array and fastopt does not honour masks: drop the masked rows first "
            f"(e.g. keep = ~np.ma.getmaskarray({name}), then pass the .data[keep] rows of x and y)"
        )
    _check_table_columns(name, value)
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise ValueError(f"{name} could not be read as an array: {error}") from None
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(f"{name} must be numeric, got booleans (convert them to 0/1 explicitly)")
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex numbers")
    if kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if array.ndim not in ndims:
        shapes = " or ".join(f"{k}-D" for k in ndims)
        raise ValueError(f"{name} must be {shapes}, got an array of shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); fit needs at least one row and one feature")
    given = array
    with np.errstate(over="ignore"):  # a value beyond float32's range becomes inf: refused below, by name
        array = read_only(array, dtype)
    # A sum is finite only if every term is (NaN and infinities carry through it), and it allocates
    # nothing where np.isfinite would allocate a mask as large as the data; nor does it compile, as a
    # scan in Numba would on first use. Only a sum that is not finite (or that overflowed) counts them.
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow or inf - inf is an answer here, not news
        total = np.sum(array)
    if not math.isfinite(total):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad and array.dtype != given.dtype and np.isfinite(given).all():
            largest = float(np.finfo(array.dtype).max)
            raise ValueError(
                f"{name} has {bad} value(s) beyond {array.dtype}'s range (+-{largest:.3g}); use dtype='float64'"
            )
        if bad:
            raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or impute them first")
    return array


def _check_table_columns(name: str, value: Any) -> None:
    """Name the first column of a DataFrame (or anything with ``columns`` and ``dtypes``) that is not numeric."""
    columns, dtypes = getattr(value, "columns", None), getattr(value, "dtypes", None)
    if columns is None or dtypes is None or isinstance(value, np.ndarray):
        return
    for column, dtype in zip(columns, dtypes, strict=False):
        kind = getattr(dtype, "kind", "O")
        if kind == "b":
            raise TypeError(f"column {column!r} of {name} holds booleans; convert it to 0/1 explicitly")
        if kind not in "iuf":
            raise TypeError(
                f"column {column!r} of {name} is not numeric (dtype {dtype}); drop it or encode it as numbers"
            )


def read_only(array: Any, dtype: Any = np.float64) -> np.ndarray:
    """``array`` as a read-only C-contiguous ``dtype`` view (a copy only if needed): the kernels' data layout.

    Read-only, so the caller's array is never written, and every kernel sees one array type whether the
    caller passed a writable array, a read-only one or a pandas column (one compiled signature each).
    """
    array = np.ascontiguousarray(array, dtype=dtype).view()
    array.flags.writeable = False
    return array
