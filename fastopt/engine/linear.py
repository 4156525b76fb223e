"""The linear model with the squared error: the fast path of the whole library.

``f(X) = X @ w + b`` with flat parameters ``[w_1 .. w_d, b]``: its minibatch
gradient (:func:`batch_gradient`), its epoch (:func:`linear_epoch`) and its
training loss after each epoch, the mean squared error, computed two ways.

With ``a_i = [x_i1 .. x_id, 1, y_i]`` and ``z = [w_1 .. w_d, b, -1]``, the
residual is ``f(x_i) - y_i = a_i . z``, so

    MSE(params) = (1/n) sum_i (a_i . z)**2 = z^T M z,   M = (1/n) sum_i a_i a_i^T.

:func:`moments` computes ``M`` once per run (compensated sums); afterwards
each epoch's loss costs O(p**2) instead of a pass over all n rows
(:func:`mse`), which is a fifth of a one-feature run. The quadratic form
loses accuracy when the loss is tiny next to the terms it cancels (a near
perfect fit), so :func:`epoch_loss` bounds its rounding error and falls back
to the direct pass unless the result is certainly within ``LOSS_RTOL`` of
the exact value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..methods.dispatch import LOOKAHEAD, begin_epoch, end_epoch, rate_at, update
from .jit import jit
from .record import record_step

__all__ = [
    "LOSS_RTOL",
    "batch_gradient",
    "linear_epoch",
    "recorded_batches",
    "mse",
    "moments",
    "epoch_loss",
    "use_moments",
    "moments_for",
]

#: Relative accuracy guaranteed for the quadratic-form loss; else the direct pass runs.
LOSS_RTOL = 1e-12
_UNIT_ROUNDOFF = 2.0**-53


@jit(inline="always")  # in epoch_loss, its one caller in the kernels: one compiled function, not two
def mse(X: np.ndarray, y: np.ndarray, params: np.ndarray) -> float:
    """Mean squared error of ``X @ params[:-1] + params[-1]`` against ``y``, in one pass."""
    n, d = X.shape
    bias = params[d]
    # Four interleaved partial sums: a single sum waits on the previous
    # addition every row, which doubles the cost of this pass.
    t0 = t1 = t2 = t3 = 0.0
    i = 0
    while i + 4 <= n:
        r0 = r1 = r2 = r3 = 0.0
        for j in range(d):
            w = params[j]
            r0 += X[i, j] * w
            r1 += X[i + 1, j] * w
            r2 += X[i + 2, j] * w
            r3 += X[i + 3, j] * w
        r0 = r0 + bias - y[i]
        r1 = r1 + bias - y[i + 1]
        r2 = r2 + bias - y[i + 2]
        r3 = r3 + bias - y[i + 3]
        t0 += r0 * r0
        t1 += r1 * r1
        t2 += r2 * r2
        t3 += r3 * r3
        i += 4
    while i < n:
        r0 = 0.0
        for j in range(d):
            r0 += X[i, j] * params[j]
        r0 = r0 + bias - y[i]
        t0 += r0 * r0
        i += 1
    return ((t0 + t1) + (t2 + t3)) / n


def use_moments(n_rows: int, n_features: int, epochs: int) -> bool:
    """Whether the quadratic form pays: its setup costs about 3 (d+3) passes, each epoch then O(d**2)."""
    q = n_features + 2
    return q <= 256 and q * q <= n_rows and epochs > 3 * (n_features + 3)


@jit
def moments(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(M, M_abs)``, each (d+2, d+2): ``mean(a a^T)`` and ``mean(|a| |a|^T)``.

    ``M`` is summed with Neumaier's compensation, so its entries are exact to
    a few rounding errors of ``M_abs`` whatever n is.
    """
    n, d = X.shape
    q = d + 2
    total = np.zeros((q, q))
    compensation = np.zeros((q, q))
    magnitude = np.zeros((q, q))
    a = np.empty(q)
    a[d] = 1.0
    for i in range(n):
        for j in range(d):
            a[j] = X[i, j]
        a[d + 1] = y[i]
        for j in range(q):
            for k in range(j, q):
                term = a[j] * a[k]
                s = total[j, k] + term
                if abs(total[j, k]) >= abs(term):
                    compensation[j, k] += (total[j, k] - s) + term
                else:
                    compensation[j, k] += (term - s) + total[j, k]
                total[j, k] = s
                magnitude[j, k] += abs(term)
    for j in range(q):
        for k in range(j, q):
            total[j, k] = (total[j, k] + compensation[j, k]) / n
            magnitude[j, k] /= n
            total[k, j] = total[j, k]
            magnitude[k, j] = magnitude[j, k]
    return total, magnitude


def moments_for(X: np.ndarray, y: np.ndarray, epochs: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`moments` when a run of any of these lengths uses them (:func:`use_moments`), else empty arrays."""
    n_rows, n_features = X.shape
    if any(use_moments(n_rows, n_features, e) for e in epochs):
        return moments(X, y)
    return NO_MOMENTS, NO_MOMENTS


#: Passed for M and M_abs when every epoch loss is a direct pass.
NO_MOMENTS = np.empty((0, 0))


@jit(inline="always")  # once per epoch, in the epoch: inlined, one compiled function fewer
def epoch_loss(X: np.ndarray, y: np.ndarray, params: np.ndarray, M: np.ndarray, M_abs: np.ndarray) -> float:
    """Training MSE at ``params``: ``z^T M z`` when provably accurate, else :func:`mse`.

    Pass ``M`` with zero rows to always use the direct pass. The bound adds
    the rounding of ``M`` (about 3 u ``M_abs``) to that of the (d+2)**2-term
    quadratic form (about (d+2)**2 u times the sum of absolute terms).
    """
    q = M.shape[0]
    if q > 0:
        p = q - 1
        value = 0.0
        scale = 0.0
        for j in range(q):
            zj = params[j] if j < p else -1.0
            row = 0.0
            row_abs = 0.0
            for k in range(q):
                zk = params[k] if k < p else -1.0
                row += M[j, k] * zk
                row_abs += M_abs[j, k] * abs(zk)
            value += zj * row
            scale += abs(zj) * row_abs
        error_bound = (q * q + 8) * _UNIT_ROUNDOFF * scale
        if math.isfinite(scale) and value > 0.0 and error_bound <= LOSS_RTOL * value:
            return value
    return mse(X, y, params)


@jit  # a compiled call that LLVM inlines: inlined by Numba instead, the line's epoch took 10-20 % longer
def batch_gradient(
    X: np.ndarray,
    y: np.ndarray,
    index: np.ndarray,
    start: int,
    stop: int,
    params: np.ndarray,
    grad: np.ndarray,
    sign: float = 1.0,
) -> None:
    """Gradient of the MSE over rows ``index[start:stop]``, written into ``grad``.

    ``grad_j = 2/B * sum_i (f(x_i) - y_i) * x_ij`` and ``grad_b = 2/B * sum_i
    (f(x_i) - y_i)``, with B = stop - start rows (the descent direction is
    ``-grad``; the tutorial's sign error is not repeated), times ``sign``
    (-1.0 for a run that maximizes: the gradient negated exactly).
    """
    d = X.shape[1]
    scale = sign * 2.0 / (stop - start)
    bias = params[d]
    grad_b = 0.0
    for j in range(d):
        grad[j] = 0.0
    for k in range(start, stop):
        row = index[k]
        residual = 0.0
        for j in range(d):
            residual += X[row, j] * params[j]
        residual = residual + bias - y[row]
        for j in range(d):
            grad[j] += residual * X[row, j]
        grad_b += residual
    for j in range(d):
        grad[j] *= scale
    grad[d] = grad_b * scale


@jit
def batch_gradient_1d(
    X: np.ndarray,
    y: np.ndarray,
    index: np.ndarray,
    start: int,
    stop: int,
    params: np.ndarray,
    grad: np.ndarray,
    sign: float = 1.0,
) -> None:
    """:func:`batch_gradient` for one feature, with the sums kept in registers.

    The general loop keeps ``grad`` in memory; with one feature that
    store-to-load chain makes it about twice as slow.
    """
    scale = sign * 2.0 / (stop - start)
    w = params[0]
    bias = params[1]
    grad_w = 0.0
    grad_b = 0.0
    for k in range(start, stop):
        row = index[k]
        residual = X[row, 0] * w + bias - y[row]
        grad_w += residual * X[row, 0]
        grad_b += residual
    grad[0] = grad_w * scale
    grad[1] = grad_b * scale


@jit(inline="always")
def _batches(
    X: np.ndarray,
    y: np.ndarray,
    code: int,
    user: Any,
    hp: np.ndarray,
    schedule: np.ndarray,
    epoch: int,
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    batch_size: int,
    grad: np.ndarray,
    t: int,
    sign: float,
    path: np.ndarray,
    every: int,
    first_step: int,
) -> int:
    """:func:`linear_epoch`'s pass over the batches, one update each; returns the updates made so far."""
    n = X.shape[0]
    one_feature = X.shape[1] == 1
    per_step = schedule[0] != 0.0
    rule = code % LOOKAHEAD
    lr = rate_at(schedule, state, hp, epoch, t)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if one_feature:
            batch_gradient_1d(X, y, index, start, stop, params, grad, sign)
        else:
            batch_gradient(X, y, index, start, stop, params, grad, sign)
        if per_step:
            lr = rate_at(schedule, state, hp, epoch, t)
        t += 1
        # update is inline="always" and its branches are literal (generated): LLVM inlines each rule here.
        # Through a compiled call (apply_rule) this loop measured 12.4 -> 19.6 us per epoch.
        update(code, rule, user, params, grad, state, lr, hp, t)
        record_step(path, every, t, first_step, params)
    return t


@jit(inline="always")
def recorded_batches(
    X: np.ndarray,
    y: np.ndarray,
    code: int,
    user: Any,
    hp: np.ndarray,
    schedule: np.ndarray,
    epoch: int,
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    batch_size: int,
    grad: np.ndarray,
    t: int,
    sign: float,
    path: np.ndarray,
    every: int,
    first_step: int,
) -> int:
    """:func:`_batches` recording the parameters after every ``every``-th update; a variant of a call that records
    no path leaves it out (:mod:`fastopt.engine.variants`)."""
    return _batches(X, y, code, user, hp, schedule, epoch, params, state, index, batch_size, grad, t, sign, path,
                    every, first_step)  # fmt: skip


@jit
def linear_epoch(
    X: np.ndarray,
    y: np.ndarray,
    spec: np.ndarray,
    gradient: Any,
    loss: Any,
    net_gradient: Any,
    net_loss: Any,
    M: np.ndarray,
    M_abs: np.ndarray,
    code: int,
    user: Any,
    hp: np.ndarray,
    schedule: np.ndarray,
    epoch: int,
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    batch_size: int,
    grad: np.ndarray,
    work: np.ndarray,
    capacity: int,
    order: np.ndarray,
    rows: np.ndarray,
    t: int,
    sign: float,
    path: np.ndarray,
    every: int,
    first_step: int,
) -> tuple[float, int]:
    """Epoch ``epoch`` of the linear squared-error model over the rows in ``index`` order; returns ``(loss, t)``.

    One update per batch, at the rate ``schedule`` gives (see
    :func:`fastopt.schedules.learning_rate_at`); ``grad`` is scratch space
    of the parameters' size; ``t`` counts updates made before this epoch;
    the loss is the training MSE afterwards, from the moments ``M``, ``M_abs``
    when they have rows (:func:`epoch_loss`). This is the library's hot loop
    (about 150 ns a batch): it takes no model or loss code, the kernels
    choose it once per epoch. ``user`` is a user's rule (:data:`fastopt.methods.rule.RULE_TYPE`);
    ``sign`` multiplies every minibatch gradient (-1.0: the run maximizes); ``path``, ``every`` and
    ``first_step`` record the parameters after every ``every``-th update (:func:`~fastopt.engine.record.record_step`).
    The arguments are those of every model's epoch (:data:`fastopt.engine.kernels.EPOCH_SIGNATURE`): ``spec``,
    ``gradient``, ``loss``, ``net_gradient``, ``net_loss``, ``work``, ``capacity``, ``order`` and ``rows`` are the
    other models'.
    """
    begin_epoch(code, user, params, state, hp, t)
    # The batches' loop twice, the second with a literal 0 for ``every``: there LLVM drops the recording,
    # whose stores it cannot prove apart from the parameters (in the loop it cost every method 11 %).
    if every > 0:
        t = recorded_batches(X, y, code, user, hp, schedule, epoch, params, state, index, batch_size, grad, t,
                              sign, path, every, first_step)  # fmt: skip
    else:
        t = _batches(X, y, code, user, hp, schedule, epoch, params, state, index, batch_size, grad, t, sign, path,
                     0, first_step)  # fmt: skip
    end_epoch(code, user, params, state, hp, t)
    return epoch_loss(X, y, params, M, M_abs), t
