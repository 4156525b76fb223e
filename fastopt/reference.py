"""Plain NumPy reference: the same algorithms as the kernels, written for clarity.

``fastopt.reference.fit`` takes the same arguments and returns the same
:class:`~fastopt.FitResult` as :func:`fastopt.fit`. It loops over epochs and
minibatches in Python and computes each batch's gradient with NumPy, the way
the tutorial does. It is the oracle the tests compare the kernels with, and
the speed baseline of the benchmarks. For identical results it draws its
permutations from the same generator as the kernel (:mod:`fastopt.shuffle`).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from . import optimize
from .kernels import CONVERGED, DIVERGED, MAX_EPOCHS
from .result import FitResult, finish
from .shuffle import shuffle as shuffle_in_place
from .validation import Problem, prepare

__all__ = ["fit", "STEPS"]

Hyper = dict  # name -> value, as in FitResult.hyperparameters


def _clip(g: np.ndarray, clip_value: float | None) -> np.ndarray:
    return g if clip_value is None else np.clip(g, -clip_value, clip_value)


def sgd_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    p -= lr * _clip(g, h["clip_value"])


def momentum_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    (v,) = state
    v[:] = h["momentum"] * v + lr * _clip(g, h["clip_value"])
    p -= v


def rmsprop_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    (s,) = state
    s[:] = h["beta"] * s + (1 - h["beta"]) * g**2
    p -= lr * g / (np.sqrt(s) + h["epsilon"])


def adam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, v = state[0], state[1]  # state[2] is the kernel's cache of b1**t, b2**t; here they are computed
    b1, b2 = h["beta1"], h["beta2"]
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    p -= lr * m_hat / (np.sqrt(v_hat) + h["epsilon"])


STEPS: dict[str, Callable[..., None]] = {
    "sgd": sgd_step,
    "momentum": momentum_step,
    "rmsprop": rmsprop_step,
    "adam": adam_step,
}


def _mse(X: np.ndarray, y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((X @ p[:-1] + p[-1] - y) ** 2))


def run_problem(problem: Problem) -> FitResult:
    """Run a validated problem with NumPy loops."""
    X, y = problem.X, problem.y
    n = X.shape[0]
    params = problem.init.copy()
    state = np.zeros((len(problem.method.state_names), params.shape[0]))
    hyper = dict(problem.hyperparameters)
    step = STEPS[problem.method.name]
    rng_state = problem.rng_state.copy()
    index = np.arange(n, dtype=np.uint32)  # the kernel's type, so the shuffle compiles once
    losses, path = [], []
    status = MAX_EPOCHS
    previous = np.inf
    t = 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in range(problem.epochs):
            if problem.shuffle:
                shuffle_in_place(index, rng_state)
            for start in range(0, n, problem.batch_size):
                rows = index[start : start + problem.batch_size]
                Xb, yb = X[rows], y[rows]
                residual = Xb @ params[:-1] + params[-1] - yb  # f(x) - y
                grad = 2 * np.append(Xb.T @ residual, residual.sum()) / len(rows)
                t += 1
                step(params, grad, state, hyper["learning_rate"], hyper, t)
            loss = _mse(X, y, params)
            losses.append(loss)
            path.append(params.copy())
            if not (np.isfinite(loss) and np.isfinite(params).all()):
                status = DIVERGED
                break
            if abs(previous - loss) < problem.threshold:
                status = CONVERGED
                break
            previous = loss
    epochs_run = len(losses)
    path_array = np.array(path).reshape(epochs_run, params.shape[0])
    return finish(problem, params, np.array(losses), epochs_run, t, status, path_array)


def fit(x: Any, y: Any, method: str = "adam", **options: Any) -> FitResult:
    """NumPy reference for :func:`fastopt.fit`: same arguments, same result, slower.

    See :func:`fastopt.fit` for the parameters.
    """
    bound = _FIT_SIGNATURE.bind(x, y, method, **options)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    return run_problem(prepare(hyperparameters=arguments.pop("hyperparameters"), **arguments))


_FIT_SIGNATURE = inspect.signature(optimize.fit)
fit.__signature__ = _FIT_SIGNATURE  # type: ignore[attr-defined]
