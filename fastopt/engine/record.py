"""Recording the parameters along a run: after every k-th update (``fit(record_path="steps")``)."""

from __future__ import annotations

import numpy as np

from .jit import jit

__all__ = ["record_step", "store_row"]


@jit(inline="always")  # in the epochs' loops: a call per batch would cost the line's hot loop
def record_step(path: np.ndarray, every: int, t: int, first_step: int, params: np.ndarray) -> None:
    """After update ``t`` (counted over the run from ``first_step``), copy ``params`` into the path every
    ``every`` updates: row ``(t - first_step) // every - 1``. ``every == 0`` records nothing."""
    if every > 0:
        done = t - first_step
        if done % every == 0:
            store_row(path, done // every - 1, params)


@jit(inline="always")  # a loop of two lines, in every driver
def store_row(path: np.ndarray, row: int, params: np.ndarray) -> None:
    """``path[row, :] = params``, written as a loop: Numba's slice assignment compiles a shape-mismatch message
    (string formatting, about 2.5 s of a first compile) that this copy, of equal lengths, never needs."""
    for i in range(params.shape[0]):
        path[row, i] = params[i]
