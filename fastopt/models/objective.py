"""Your own model: a pair of Numba functions on the flat parameter array.

``fastopt.Objective(gradient, loss, n_params)`` trains any differentiable
model with every method, schedule and check of :func:`fastopt.fit`::

    @numba.njit
    def gradient(params, X, y, rows, grad):   # -> the batch's mean loss
        ...                                   # write d(mean loss over X[rows])/d(params) into grad

    @numba.njit
    def loss(params, X, y):                   # -> the mean loss over all rows
        ...

The kernels receive the two functions as first-class function values of one
fixed signature (:data:`GRADIENT_SIGNATURE`, :data:`LOSS_SIGNATURE`), so
fastopt's own compiled code is the same for every objective and stays in
Numba's on-disk cache; only your functions compile, once per process unless
you give them ``cache=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba import types

from ..api.checks import check_integer
from ..engine.jit import check_compiled, jit
from ..engine.record import record_step
from ..methods.dispatch import apply_rule, begin_epoch, end_epoch, rate_at

__all__ = ["Objective", "GRADIENT_SIGNATURE", "LOSS_SIGNATURE", "objective_epoch", "BUILT_IN", "bounds_checked"]

_READ_ONLY_MATRIX = types.Array(types.float64, 2, "C", readonly=True)
_READ_ONLY_VECTOR = types.Array(types.float64, 1, "C", readonly=True)
_VECTOR = types.float64[::1]

#: ``gradient(params, X, y, rows, grad) -> float``: params float64[p], X read-only float64[n, d],
#: y read-only float64[n], rows int64[B] (the batch's row numbers), grad float64[p] (output).
GRADIENT_SIGNATURE = types.float64(_VECTOR, _READ_ONLY_MATRIX, _READ_ONLY_VECTOR, types.int64[::1], _VECTOR)
#: ``loss(params, X, y) -> float``: the mean loss over all rows.
LOSS_SIGNATURE = types.float64(_VECTOR, _READ_ONLY_MATRIX, _READ_ONLY_VECTOR)
GRADIENT_TYPE = types.FunctionType(GRADIENT_SIGNATURE)
LOSS_TYPE = types.FunctionType(LOSS_SIGNATURE)


@dataclass(frozen=True, eq=False)
class Objective:
    """A model and loss of your own, as two ``@numba.njit`` functions.

    Parameters
    ----------
    gradient : numba.njit function ``(params, X, y, rows, grad) -> float``
        Writes the gradient of the mean loss over rows ``X[rows]``, ``y[rows]``
        (``rows``: int64 array of the batch's row numbers) with respect to
        ``params`` into ``grad`` (float64, same length as ``params``) and
        returns that batch's mean loss. ``X`` and ``y`` are read-only.
        ``grad`` holds zeros on every call (one pass over the p values
        before each batch), so an entry left unwritten counts as 0 and a
        run stays a function of its inputs.
    loss : numba.njit function ``(params, X, y) -> float``
        The mean loss over all rows; fastopt records it after every epoch
        and stops on it (tolerance rule, divergence).
    n_params : int >= 1
        Length of the flat parameter array.
    init : array_like of shape (n_params,), optional
        Default starting point; without it (and without ``fit(init=...)``)
        parameters are drawn from N(0, 1).
    debug : bool, default False
        Compile both functions again with bounds checks (:func:`bounds_checked`),
        so an index out of range raises ``IndexError`` instead of reading
        or writing memory it does not own. Compiled code does not check
        indices: without this, such a bug gives wrong numbers, or ends the
        Python process with a segmentation fault. Bounds checks make the
        functions slower; use it to find a bug, then switch it off.

    Examples
    --------
    A line fitted by mean squared error, written by hand:

    >>> import numba, numpy as np, fastopt
    >>> @numba.njit
    ... def gradient(params, X, y, rows, grad):
    ...     grad[:] = 0.0
    ...     total = 0.0
    ...     for row in rows:
    ...         r = X[row, 0] * params[0] + params[1] - y[row]
    ...         grad[0] += 2 * r * X[row, 0] / len(rows)
    ...         grad[1] += 2 * r / len(rows)
    ...         total += r * r
    ...     return total / len(rows)
    >>> @numba.njit
    ... def loss(params, X, y):
    ...     return np.mean((X[:, 0] * params[0] + params[1] - y) ** 2)
    >>> x = np.linspace(-1, 1, 100)
    >>> r = fastopt.fit(x, 2 * x + 1, "adam", objective=fastopt.Objective(gradient, loss, n_params=2),
    ...                 learning_rate=0.05, epochs=300, seed=0)
    >>> np.round(r.params, 3)
    array([2., 1.])
    """

    gradient: Any
    loss: Any
    n_params: int
    init: Any = None
    debug: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_params", check_integer("n_params", self.n_params, 1))
        if self.debug:
            object.__setattr__(self, "gradient", bounds_checked(self.gradient))
            object.__setattr__(self, "loss", bounds_checked(self.loss))
        check_compiled(
            "Objective gradient", self.gradient, GRADIENT_SIGNATURE, _SIGNATURE_TEXT["gradient"], _ARGUMENTS["gradient"]
        )
        check_compiled("Objective loss", self.loss, LOSS_SIGNATURE, _SIGNATURE_TEXT["loss"], _ARGUMENTS["loss"])
        if self.init is not None:
            init = np.array(self.init, dtype=np.float64)
            if init.shape != (self.n_params,) or not np.all(np.isfinite(init)):
                raise ValueError(f"init must be {self.n_params} finite numbers (n_params), got shape {init.shape}")
            init.flags.writeable = False
            object.__setattr__(self, "init", init)


_SIGNATURE_TEXT = {
    "gradient": "gradient(params, X, y, rows, grad) -> float",
    "loss": "loss(params, X, y) -> float",
}


_ARGUMENTS = {
    "gradient": "params float64[p], X read-only float64[n, d], y read-only float64[n], rows int64[batch], "
    "grad float64[p]",
    "loss": "params float64[p], X read-only float64[n, d], y read-only float64[n]",
}


def bounds_checked(function: Any) -> Any:
    """A copy of the ``@numba.njit`` function ``function`` compiled with bounds checks.

    Indexing out of range in it then raises ``IndexError: index is out of
    bounds`` (through fastopt's kernels, like any error raised in your
    function). Functions it calls keep their own settings; to check every
    compiled function, fastopt's too, run with the environment variable
    ``NUMBA_BOUNDSCHECK=1`` (slower everywhere). The copy is not cached on
    disk, so it never replaces your function's cached code.
    """
    # Plain Python (NUMBA_DISABLE_JIT) checks indices already; anything else is refused by check_compiled.
    if not isinstance(function, numba.core.registry.CPUDispatcher):
        return function
    options = {k: v for k, v in function.targetoptions.items() if k != "nopython"}  # njit implies it, and warns
    return numba.njit(**{**options, "boundscheck": True, "cache": False})(function.py_func)


@jit
def _no_gradient(params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray) -> float:
    """Stands in for ``gradient`` when the model is built in (never called)."""
    return np.nan


@jit
def _no_loss(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Stands in for ``loss`` when the model is built in (never called)."""
    return np.nan


#: What the kernels receive as ``(gradient, loss)`` for the built-in models.
BUILT_IN = (_no_gradient, _no_loss)


@jit
def objective_epoch(
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
    """Epoch ``epoch``: one pass over the rows in ``index`` order with a user's ``gradient``; returns
    ``(loss(params), t)``. ``rows`` is int64 scratch of at least ``batch_size`` entries; ``sign`` multiplies
    every minibatch gradient (-1.0: the run maximizes). The arguments are those of every model's epoch
    (``fastopt.engine.kernels.EPOCH_SIGNATURE``): ``spec``, ``net_gradient``, ``net_loss``, ``M``, ``M_abs``,
    ``work``, ``capacity`` and ``order`` are the built-in models'."""
    n = X.shape[0]
    per_step = schedule[0] != 0.0
    begin_epoch(code, user, params, state, hp, t)
    lr = rate_at(schedule, state, hp, epoch, t)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        batch = rows[: stop - start]
        for k in range(stop - start):
            batch[k] = index[start + k]
        grad[:] = 0.0  # a gradient that leaves entries unwritten still gives a function of its inputs
        gradient(params, X, y, batch, grad)
        if sign < 0.0:
            for i in range(grad.shape[0]):
                grad[i] = -grad[i]
        if per_step:
            lr = rate_at(schedule, state, hp, epoch, t)
        t += 1
        apply_rule(code, user, params, grad, state, lr, hp, t)
        record_step(path, every, t, first_step, params)
    end_epoch(code, user, params, state, hp, t)
    return loss(params, X, y), t
