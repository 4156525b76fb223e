"""Schedule-free SGD: an average of the iterates, weighted so that no learning-rate schedule is needed."""

from __future__ import annotations

import numpy as np

from ..engine.jit import jit
from .parts import gradient, lerp
from .rows import NON_NEGATIVE, OPEN_UNIT, Hyperparameter, Method, learning_rate, weight_decay

#: The hyperparameters both schedule-free methods add to their base's.
SCHEDULE_FREE = (
    Hyperparameter(
        "warmup_steps", 0, NON_NEGATIVE, "steps of linear warmup of the rate: lr * min(1, t / W)", integer=True
    ),
    Hyperparameter("r", 0.0, NON_NEGATIVE, "polynomial weighting t**r of the average"),
    Hyperparameter("weight_lr_power", 2.0, NON_NEGATIVE, "the average weighs step t by lr_max**weight_lr_power"),
)


@jit(inline="always")
def average_weight(scalars: np.ndarray, lr: float, hp_r: float, hp_power: float, hp_warmup: float,
                   t: int) -> tuple[float, float]:  # fmt: skip
    """Schedule-free's warmed-up rate and averaging weight ``c``; ``scalars`` = [lr_max, weight_sum]."""
    k = t - 1
    rate = lr * (k + 1) / hp_warmup if k < hp_warmup else lr
    scalars[0] = max(rate, scalars[0])
    # Two pow calls a step cost the line fit about 8 % (1.07x -> 0.99x SGD's epoch); with the
    # defaults (r = 0, q = 2) neither is needed: t**0 is exactly 1, and lr_max * lr_max is lr_max**2
    # correctly rounded.
    growth = 1.0 if hp_r == 0.0 else (k + 1) ** hp_r
    scale = scalars[0] * scalars[0] if hp_power == 2.0 else scalars[0] ** hp_power
    weight = growth * scale
    scalars[1] += weight
    c = weight / scalars[1] if scalars[1] != 0.0 else 0.0
    return rate, c


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Schedule-free SGD, as the ``schedulefree`` package's ``SGDScheduleFree``.

    Let beta, wd, W, r, q denote ``momentum``, ``weight_decay``,
    ``warmup_steps``, ``r``, ``weight_lr_power`` (``hp[1:6]``); the gradient
    is taken at ``p = y``, the interpolation point; ``z`` starts at the
    initial parameters::

        lr_t = lr * min(1, t / W); lr_max = max(lr_max, lr_t)
        w_t = t**r * lr_max**q; c = w_t / (w_1 + ... + w_t)
        g = g + wd * y
        y = (1 - c) * y + c * z; y += lr_t * (beta * (1 - c) - 1) * g; z -= lr_t * g

    Between epochs the parameters are the average ``x = y + (1 - 1/beta) (z - y)``
    (the package's ``eval()``), where the epoch's loss is measured and which
    ``fit`` returns; training resumes from ``y = x + (1 - beta) (z - x)``.

    State: ``state[0]`` = z, ``state[1, 0:2]`` = lr_max, sum of the weights.
    """
    beta, wd = hp[1], hp[2]
    z = state[0]
    rate, c = average_weight(state[1], lr, hp[4], hp[5], hp[3], t)
    step = rate * (beta * (1.0 - c) - 1.0)
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        params[i] = lerp(params[i], z[i], c) + step * g
        z[i] -= rate * g


@jit
def begin_epoch(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """Before an epoch: from the average ``x`` back to ``y`` (``hp[1]`` is beta); at t = 0, ``z`` = params."""
    z = state[0]
    if t == 0:
        z[: params.shape[0]] = params
    else:
        for i in range(params.shape[0]):
            params[i] = lerp(params[i], z[i], 1.0 - hp[1])


@jit
def end_epoch(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """After an epoch: to the average ``x``, where the loss is measured and the parameters returned."""
    if t > 0:
        z = state[0]
        for i in range(params.shape[0]):
            params[i] = lerp(params[i], z[i], 1.0 - 1.0 / hp[1])


def schedule_free_weight(state_row: np.ndarray, lr: float, h: dict, t: int) -> tuple[float, float]:
    """:func:`average_weight` in NumPy; ``state_row`` = [lr_max, weight sum]."""
    rate = lr * min(1.0, t / h["warmup_steps"]) if h["warmup_steps"] > 0 else lr
    state_row[0] = max(rate, state_row[0])
    weight = t ** h["r"] * state_row[0] ** h["weight_lr_power"]
    state_row[1] += weight
    return rate, weight / state_row[1] if state_row[1] else 0.0


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    z = state[0]
    rate, c = schedule_free_weight(state[1], lr, h, t)
    g = gradient(p, g, h)
    p[:] = (1 - c) * p + c * z + rate * (h["momentum"] * (1 - c) - 1) * g
    z -= rate * g


def _interpolation(h: dict) -> float:
    """beta, ``hp[1]``: named momentum here and beta1 in schedule-free AdamW, which shares these hooks."""
    return h["momentum"] if "momentum" in h else h["beta1"]


def reference_begin_epoch(p: np.ndarray, state: np.ndarray, h: dict, t: int) -> None:
    """:func:`begin_epoch` in NumPy."""
    if t == 0:
        state[0] = p
    else:
        p += (1 - _interpolation(h)) * (state[0] - p)


def reference_end_epoch(p: np.ndarray, state: np.ndarray, h: dict, t: int) -> None:
    """:func:`end_epoch` in NumPy."""
    if t > 0:
        p += (1 - 1 / _interpolation(h)) * (state[0] - p)


ROW = Method(
    name="sgd_schedule_free",
    title="Schedule-free SGD",
    hyperparameters=(
        learning_rate(1.0),
        Hyperparameter("momentum", 0.9, OPEN_UNIT, "interpolation between y and z (beta)"),
        weight_decay(),
        *SCHEDULE_FREE,
    ),
    state_names=("z", "lr_max_weight_sum"),
    cached_rows=("lr_max_weight_sum",),
    formula=rule.__doc__,
    torch="schedulefree.SGDScheduleFree(lr, momentum, weight_decay, warmup_steps, r, weight_lr_power) "
    "(not in torch.optim)",
)
