"""Adagrad: the step divided by the root of the sum of all squared gradients so far."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adagrad, as PyTorch's ``Adagrad(lr_decay=0, initial_accumulator_value=0)``.

    Let eps, wd denote ``epsilon``, ``weight_decay`` (``hp[1:3]``)::

        g = g + wd * p
        s = s + g**2
        p -= lr * g / (sqrt(s) + eps)

    State: ``state[0]`` = s (sum of squared gradients).
    """
    eps = hp[1]
    wd = hp[2]
    s = state[0]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] += g * g
        params[i] -= lr * (g / (math.sqrt(s[i]) + eps))


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    s = state[0]
    g = gradient(p, g, h)
    s += g**2
    p -= lr * g / (np.sqrt(s) + h["epsilon"])


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Adagrad``."""
    return torch.optim.Adagrad(parameters, lr=h["learning_rate"], eps=h["epsilon"], weight_decay=h["weight_decay"])


ROW = Method(
    name="adagrad",
    title="Adagrad",
    hyperparameters=(learning_rate(0.01), epsilon(1e-10), weight_decay()),
    state_names=("sum",),
    formula=rule.__doc__,
    torch="Adagrad(lr, lr_decay=0, weight_decay, initial_accumulator_value=0, eps=epsilon)",
    peer="Adagrad",
)
