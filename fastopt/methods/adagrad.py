"""Adagrad: the step divided by the root of the sum of all squared gradients so far."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import NON_NEGATIVE, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adagrad, as PyTorch's ``Adagrad``.

    Let eps, wd, decay denote ``epsilon``, ``weight_decay``, ``lr_decay``
    (``hp[1:4]``), and s start at ``initial_accumulator_value`` (``hp[4]``)::

        g = g + wd * p
        s = s + g**2
        p -= lr / (1 + (t - 1) * decay) * g / (sqrt(s) + eps)

    The inverse-time decay of the rate is the method's own, on top of any
    schedule (as in torch, where a scheduler sets ``lr``).

    State: ``state[0]`` = s (the sum of squared gradients, from ``initial_accumulator_value``).
    """
    eps = hp[1]
    wd = hp[2]
    step_size = lr / (1.0 + (t - 1) * hp[3])
    s = state[0]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] += g * g
        params[i] -= step_size * (g / (math.sqrt(s[i]) + eps))


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    s = state[0]
    g = gradient(p, g, h)
    s += g**2
    p -= lr / (1 + (t - 1) * h["lr_decay"]) * g / (np.sqrt(s) + h["epsilon"])


def start_state(state: np.ndarray, h: dict) -> None:
    """A fresh run's state: the sum starts at ``initial_accumulator_value`` (torch fills it so on construction)."""
    state[0] = h["initial_accumulator_value"]


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Adagrad``."""
    return torch.optim.Adagrad(
        parameters,
        lr=h["learning_rate"],
        eps=h["epsilon"],
        weight_decay=h["weight_decay"],
        lr_decay=h["lr_decay"],
        initial_accumulator_value=h["initial_accumulator_value"],
    )


ROW = Method(
    name="adagrad",
    title="Adagrad",
    hyperparameters=(
        learning_rate(0.01),
        epsilon(1e-10),
        weight_decay(),
        Hyperparameter("lr_decay", 0.0, NON_NEGATIVE, "inverse-time decay: the rate is lr / (1 + (t - 1) * lr_decay)"),
        Hyperparameter("initial_accumulator_value", 0.0, NON_NEGATIVE, "where the sum of squared gradients starts"),
    ),
    state_names=("sum",),
    formula=rule.__doc__,
    torch="Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps=epsilon)",
    peer="Adagrad",
)
