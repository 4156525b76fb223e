"""Schedule-free AdamW: schedule-free SGD's average, stepping along Adam's normalized gradient."""

from __future__ import annotations

import math

import numpy as np

from ..engine.jit import jit
from .parts import lerp, running_power
from .rows import BETA2, OPEN_UNIT, Hyperparameter, Method, epsilon, learning_rate, weight_decay
from .sgd_schedule_free import (
    SCHEDULE_FREE,
    average_weight,
    begin_epoch,
    end_epoch,
    reference_begin_epoch,
    reference_end_epoch,
    schedule_free_weight,
)

# The epoch hooks are schedule-free SGD's (beta is hp[1] in both).
__all__ = ["rule", "begin_epoch", "end_epoch", "reference", "reference_begin_epoch", "reference_end_epoch", "ROW"]


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Schedule-free AdamW, as the ``schedulefree`` package's ``AdamWScheduleFree``.

    Let b1, b2, eps, wd, W, r, q denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay``, ``warmup_steps``, ``r``, ``weight_lr_power``
    (``hp[1:8]``); ``lr_t`` and ``c`` as in schedule-free SGD::

        v = b2 * v + (1 - b2) * g**2
        u = g / (sqrt(v / (1 - b2**t)) + eps) + wd * y
        y = (1 - c) * y + c * z; y += lr_t * (b1 * (1 - c) - 1) * u; z -= lr_t * u

    Parameters between epochs are ``x``, with ``b1`` as the momentum (see
    schedule-free SGD).

    State: ``state[0]`` = z, ``state[1]`` = v, ``state[2, 0:2]`` = lr_max, sum of the weights,
    ``state[3, 0]`` = b2**t (a running product, :func:`~fastopt.methods.parts.running_power`).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    z = state[0]
    v = state[1]
    rate, c = average_weight(state[2], lr, hp[6], hp[7], hp[5], t)
    root2 = math.sqrt(1.0 - running_power(state[3], 0, b2, t))
    step = rate * (b1 * (1.0 - c) - 1.0)
    for i in range(params.shape[0]):
        g = grad[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        u = g / (math.sqrt(v[i]) / root2 + eps) + wd * params[i]
        params[i] = lerp(params[i], z[i], c) + step * u
        z[i] -= rate * u


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    z, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    rate, c = schedule_free_weight(state[2], lr, h, t)
    v[:] = b2 * v + (1 - b2) * g**2
    u = g / (np.sqrt(v / (1 - b2**t)) + h["epsilon"]) + h["weight_decay"] * p
    p[:] = (1 - c) * p + c * z + rate * (b1 * (1 - c) - 1) * u
    z -= rate * u


ROW = Method(
    name="adamw_schedule_free",
    title="Schedule-free AdamW",
    hyperparameters=(
        learning_rate(0.0025),
        Hyperparameter("beta1", 0.9, OPEN_UNIT, "interpolation between y and z"),
        BETA2,
        epsilon(1e-8),
        weight_decay(),
        *SCHEDULE_FREE,
    ),
    state_names=("z", "exp_avg_sq", "lr_max_weight_sum", "beta2_power"),
    cached_rows=("lr_max_weight_sum", "beta2_power"),
    formula=rule.__doc__,
    torch="schedulefree.AdamWScheduleFree(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, warmup_steps, "
    "r, weight_lr_power) (not in torch.optim)",
)
