"""The warning for data far from standardized, raised once per call where the user called."""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType
from typing import Any

import numpy as np

from ..models.scaling import unscaled_columns

__all__ = ["UnscaledDataWarning", "column_names", "warn_if_unscaled", "caller_stacklevel"]


class UnscaledDataWarning(UserWarning):
    """The data is far from standardized, so a first-order method with a fixed budget may stop short."""


def column_names(x: Any, d: int) -> list[str]:
    """The feature names of ``x``: a DataFrame's columns, a Series' name, else ``x[:, j]``."""
    columns = getattr(x, "columns", None)
    if columns is not None and len(columns) == d:
        return [str(c) for c in columns]
    name = getattr(x, "name", None)
    if d == 1 and name is not None:
        return [str(name)]
    return ["x" if d == 1 else f"x[:, {j}]" for j in range(d)]


def warn_if_unscaled(X: np.ndarray, y: np.ndarray | None, names: list[str], target: str = "y") -> None:
    """One :class:`UnscaledDataWarning` naming the clearly unscaled columns, if any (``y``: regression targets)."""
    found = unscaled_columns(X, y, names, target)
    if found:
        warnings.warn(
            f"the data is far from standardized: {', '.join(found)}; with a fixed learning rate and epoch "
            "budget the fit may stop far from the optimum. Pass standardize=True (the model comes back in "
            "your units), or scale the data yourself",
            UnscaledDataWarning,
            stacklevel=caller_stacklevel(),
        )


def caller_stacklevel() -> int:
    """Stack level of the first frame outside fastopt, so warnings point at the user's call."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # fastopt/, above fastopt/api/
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
