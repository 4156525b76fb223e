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
from collections.abc import Callable
from typing import Any

import numpy as np

from . import optimize
from .kernels import DIVERGED, MAX_EPOCHS, STALLED
from .matrix_form import batch_gradient, mean_loss
from .result import FitResult, finish
from .schedules import kernel_schedule, learning_rate_at
from .shuffle import shuffle as shuffle_in_place
from .validation import Problem, prepare

__all__ = ["fit", "STEPS"]

Hyper = dict  # name -> value, as in FitResult.hyperparameters


def _gradient(p: np.ndarray, g: np.ndarray, h: Hyper) -> np.ndarray:
    """The gradient the rule uses: clipped (where the method clips), plus the L2 term."""
    clip_value = h.get("clip_value")
    if clip_value is not None:
        g = np.clip(g, -clip_value, clip_value)
    return g + h.get("weight_decay", 0.0) * p


def sgd_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    p -= lr * _gradient(p, g, h)


def momentum_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    v = state[0]
    v[:] = h["momentum"] * v + lr * _gradient(p, g, h)
    p -= v


def nesterov_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    buf = state[0]
    g = _gradient(p, g, h)
    buf[:] = h["momentum"] * buf + g
    p -= lr * (g + h["momentum"] * buf)


def rmsprop_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s = state[0]
    g = _gradient(p, g, h)
    s[:] = h["beta"] * s + (1 - h["beta"]) * g**2
    p -= lr * g / (np.sqrt(s) + h["epsilon"])


def adagrad_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s = state[0]
    g = _gradient(p, g, h)
    s += g**2
    p -= lr * g / (np.sqrt(s) + h["epsilon"])


def adam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    # state[2] is the kernel's cache of b1**t, b2**t; here they are computed.
    m, v, v_max = state[0], state[1], state[3]
    b1, b2 = h["beta1"], h["beta2"]
    g = _gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    if h["amsgrad"]:
        np.maximum(v_max, v, out=v_max)
    m_hat = m / (1 - b1**t)
    v_hat = (v_max if h["amsgrad"] else v) / (1 - b2**t)
    p -= lr * m_hat / (np.sqrt(v_hat) + h["epsilon"])


def adamw_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    p *= 1 - lr * h["weight_decay"]
    adam_step(p, g, state, lr, {**h, "weight_decay": 0.0}, t)


def _penalized(p: np.ndarray, g: np.ndarray, lr: float, h: Hyper) -> np.ndarray:
    """Decoupled decay applied to ``p`` (returning ``g``), or the L2 term added to ``g``."""
    if h.get("decoupled_weight_decay"):
        p *= 1 - lr * h["weight_decay"]
        return g
    return g + h["weight_decay"] * p


def adamax_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, u = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = _gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    u[:] = np.maximum(b2 * u, np.abs(g) + h["epsilon"])
    p -= lr / (1 - b1**t) * m / u


def nadam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    # state[2, 0] holds mu_1 * ... * mu_{t-1} (the product of the momentum schedule so far).
    m, v = state[0], state[1]
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    g = _penalized(p, g, lr, h)
    mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
    product = mu * (state[2, 0] if t > 1 else 1.0)
    state[2, 0] = product
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    d = np.sqrt(v / (1 - b2**t)) + h["epsilon"]
    p -= lr * (1 - mu) / (1 - product) * g / d + lr * mu_next / (1 - product * mu_next) * m / d


def radam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = _penalized(p, g, lr, h)
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho > 5:
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        p -= lr * m_hat * np.sqrt(1 - b2**t) / (np.sqrt(v) + h["epsilon"]) * r
    else:
        p -= lr * m_hat


def adadelta_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s, a = state[0], state[1]
    rho, eps = h["rho"], h["epsilon"]
    g = _gradient(p, g, h)
    s[:] = rho * s + (1 - rho) * g**2
    delta = np.sqrt(a + eps) / np.sqrt(s + eps) * g
    a[:] = rho * a + (1 - rho) * delta**2
    p -= lr * delta


def rprop_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    prev, size = state[0], state[1]
    g = _gradient(p, g, h)
    if t == 1:
        size[:] = lr
    factor = np.where(g * prev > 0, h["etaplus"], np.where(g * prev < 0, h["etaminus"], 1.0))
    size[:] = np.clip(size * factor, h["step_size_min"], h["step_size_max"])
    g = np.where(factor == h["etaminus"], 0.0, g)
    p -= np.sign(g) * size
    prev[:] = g


def lion_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m = state[0]
    b1, b2 = h["beta1"], h["beta2"]
    p *= 1 - lr * h["weight_decay"]
    p -= lr * np.sign(b1 * m + (1 - b1) * g)
    m[:] = b2 * m + (1 - b2) * g


STEPS: dict[str, Callable[..., None]] = {
    "sgd": sgd_step,
    "momentum": momentum_step,
    "nesterov": nesterov_step,
    "rmsprop": rmsprop_step,
    "adagrad": adagrad_step,
    "adam": adam_step,
    "adamw": adamw_step,
    "adamax": adamax_step,
    "nadam": nadam_step,
    "radam": radam_step,
    "adadelta": adadelta_step,
    "rprop": rprop_step,
    "lion": lion_step,
}


def run_problem(problem: Problem) -> FitResult:
    """Run a validated problem with NumPy loops."""
    n = problem.X.shape[0]
    params = problem.init.copy()
    state = np.zeros((len(problem.method.state_names), max(params.shape[0], 2)))[:, : params.shape[0]]
    hyper = dict(problem.hyperparameters)
    step = STEPS[problem.method.name]
    rng_state = problem.rng_state.copy()
    index = np.arange(n, dtype=np.uint32)  # the kernel's type, so the shuffle compiles once
    losses, path = [], []
    status = MAX_EPOCHS
    previous = np.inf
    t = 0
    # The kernel's closed forms, so that both take their rates from the same values (the
    # tests check them against PyTorch's recursions separately, over 10,000 epochs).
    schedule_code, schedule_args = kernel_schedule(problem.schedule)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in range(problem.epochs):
            lr = learning_rate_at(schedule_code, schedule_args, float(problem.hp[0]), epoch)
            if problem.shuffle:
                shuffle_in_place(index, rng_state)
            for start in range(0, n, problem.batch_size):
                grad = batch_gradient(problem, params, index[start : start + problem.batch_size])
                t += 1
                step(params, grad, state, lr, hyper, t)
            loss = mean_loss(problem, params, problem.X, problem.y)
            losses.append(loss)
            path.append(params.copy())
            if not (np.isfinite(loss) and np.isfinite(params).all()):
                status = DIVERGED
                break
            if abs(previous - loss) < problem.threshold:
                status = STALLED
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
