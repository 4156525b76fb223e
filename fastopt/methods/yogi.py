"""Yogi: Adam whose second moment moves toward g**2 by a fixed step, additively, instead of by a fraction."""

from __future__ import annotations

import math

import numpy as np

from ..engine.jit import jit
from .parts import penalty, running_power
from .rows import BETA1, BETA2, NON_NEGATIVE, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Yogi, as ``pytorch-optimizer``'s ``Yogi`` (Zaheer et al., 2018).

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``); m and v start at ``initial_accumulator``
    (``hp[5]``), not at zero::

        p *= 1 - lr * wd                          (decoupled decay)
        m = b1 * m + (1 - b1) * g
        v = v - (1 - b2) * sign(v - g**2) * g**2
        p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)

    Adam's ``v`` moves a fraction ``1 - b2`` of the way to ``g**2``; Yogi's
    moves by ``(1 - b2) g**2`` toward it, so a sudden large gradient cannot
    shrink the step size as abruptly.

    State: ``state[0]`` = m, ``state[1]`` = v, ``state[2, 0:2]`` = b1**t, b2**t (running products).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    m = state[0]
    v = state[1]
    step = lr / (1.0 - running_power(state[2], 0, b1, t))
    root2 = math.sqrt(1.0 - running_power(state[2], 1, b2, t))
    penalty(params, lr, wd, True)
    for i in range(params.shape[0]):
        g = grad[i]
        g2 = g * g
        m[i] = b1 * m[i] + (1.0 - b1) * g
        difference = v[i] - g2
        if difference > 0.0:
            v[i] -= (1.0 - b2) * g2
        elif difference < 0.0:
            v[i] += (1.0 - b2) * g2
        params[i] -= step * (m[i] / (math.sqrt(v[i]) / root2 + eps))


@jit
def begin_epoch(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """Before the first epoch both moments start at ``initial_accumulator``."""
    if t == 0:
        for i in range(params.shape[0]):
            state[0, i] = hp[5]
            state[1, i] = hp[5]


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    m, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    p *= 1 - lr * h["weight_decay"]
    m[:] = b1 * m + (1 - b1) * g
    v[:] = v - (1 - b2) * np.sign(v - g**2) * g**2
    p -= lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + h["epsilon"])


def reference_begin_epoch(p: np.ndarray, state: np.ndarray, h: dict, t: int) -> None:
    """:func:`begin_epoch` in NumPy."""
    if t == 0:
        state[0, : p.shape[0]] = state[1, : p.shape[0]] = h["initial_accumulator"]


ROW = Method(
    name="yogi",
    title="Yogi",
    hyperparameters=(
        learning_rate(0.01),
        BETA1,
        BETA2,
        epsilon(1e-3),
        weight_decay(decoupled=True),
        Hyperparameter("initial_accumulator", 1e-6, NON_NEGATIVE, "the value m and v start at"),
    ),
    state_names=("exp_avg", "exp_avg_sq", "beta_powers"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="pytorch_optimizer.Yogi(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, initial_accumulator) "
    "(not in torch.optim)",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"),),
    keeps_beta1_power=True,
)
