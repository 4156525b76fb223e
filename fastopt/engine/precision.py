"""The float type a run computes in: float64, the default, or float32.

A float32 run keeps its data, parameters, the rule's state and the passes'
scratch in float32, and its networks' products run eight float32 lanes per
vector register instead of four float64 ones
(:func:`fastopt.engine.vector.row_combination`). What is not per row or per
parameter stays float64: the hyperparameters and the learning rate, the
schedule, the loss of an epoch (a float64 sum of float32 terms), the loss
history and a recorded path. The kernels are the float64 ones, compiled
again for float32 arrays (a variant named ``..._float32``, cached apart).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import types

__all__ = ["DTYPES", "check_dtype", "numba_type", "suffix"]

#: The run dtypes ``fit``, ``sweep`` and the estimators accept, by name.
DTYPES = {"float64": np.float64, "float32": np.float32}


def check_dtype(dtype: Any) -> str:
    """``dtype``'s name, ``"float64"`` or ``"float32"``; anything else raises ``ValueError`` naming the argument."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in DTYPES or isinstance(dtype, bool):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return name


def numba_type(dtype: str) -> Any:
    """Numba's float type for the run dtype ``dtype`` (a name from :data:`DTYPES`)."""
    return types.float32 if dtype == "float32" else types.float64


def suffix(dtype: str) -> str:
    """What a variant's name gains for ``dtype``: nothing for float64 (the names, and caches, as before)."""
    return "" if dtype == "float64" else f"_{dtype}"
