"""The built-in models, the losses and objectives in NumPy matrix form: the oracle's gradient and loss.

:mod:`fastopt.reference` trains with these (an implementation independent
of the kernels); :func:`full_gradient` measures where a finished run
stopped (``FitResult.gradient_norm``); :mod:`fastopt.api.sweep` evaluates test
losses with :func:`mean_loss`.
"""

from __future__ import annotations

import numpy as np

from ..api.validation import Problem
from ..engine.status import LINEAR_SQUARED
from .architectures import Architecture, backward, forward
from .losses import loss_values, output_gradients
from .objective import Objective

__all__ = ["batch_gradient", "mean_loss", "full_gradient"]

#: Rows per block of :func:`full_gradient`: bounds its memory for networks on millions of rows.
_BLOCK_ROWS = 8192


def batch_gradient(problem: Problem, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Gradient of the mean loss over ``rows``, in matrix form (the tutorial's, for the linear model)."""
    X, y, model = problem.X, problem.y, problem.model
    if isinstance(model, Objective):
        grad = np.zeros_like(params)  # as the kernel's buffer, zeroed before every call
        model.gradient(params, X, y, rows.astype(np.int64), grad)
        return grad
    Xb, yb = X[rows], y[rows]
    if problem.spec[0] == LINEAR_SQUARED:
        residual = Xb @ params[:-1] + params[-1] - yb  # f(x) - y
        return 2 * np.append(Xb.T @ residual, residual.sum()) / len(rows)
    outputs = forward(params, model, Xb)
    return backward(params, model, outputs, output_gradients(problem.loss.code, outputs[-1], yb) / len(rows))


def mean_loss(problem: Problem, params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean of ``problem``'s loss over the rows of ``X``, ``y`` with ``params``, in NumPy (the objective's own)."""
    model = problem.model
    if isinstance(model, Objective):
        return float(model.loss(params, X, y))
    assert isinstance(model, Architecture)
    return float(np.mean(loss_values(problem.loss.code, forward(params, model, X)[-1], y)))


def full_gradient(problem: Problem, params: np.ndarray) -> np.ndarray:
    """Gradient of the mean training loss over all rows (the data-loss term; weight decay is not in it)."""
    n = problem.X.shape[0]
    if isinstance(problem.model, Objective):
        return batch_gradient(problem, params, np.arange(n, dtype=np.int64))
    total = np.zeros_like(params)
    with np.errstate(all="ignore"):
        for start in range(0, n, _BLOCK_ROWS):
            rows = np.arange(start, min(start + _BLOCK_ROWS, n))
            total += batch_gradient(problem, params, rows) * len(rows)
    return total / n
