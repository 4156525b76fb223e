"""Closed-form ordinary least squares: the answer every optimizer should approach."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..api.validation import as_features

__all__ = ["least_squares"]


def least_squares(x: Any, y: Any) -> np.ndarray:
    """Return the OLS parameters ``[w_1 .. w_d, b]`` minimising the MSE of ``x @ w + b``.

    Solved with ``np.linalg.lstsq`` on ``[x, 1]`` (minimum-norm solution when
    the columns are collinear).
    """
    X = as_features(x)
    target = np.asarray(y, dtype=np.float64)
    if target.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match x, got {target.shape}")
    design = np.column_stack([X, np.ones(X.shape[0])])
    return np.linalg.lstsq(design, target, rcond=None)[0]
