"""Adadelta: steps scaled by the ratio of two running root-mean-squares, of updates and of gradients."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import UNIT, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adadelta, as PyTorch's ``Adadelta``.

    Let rho, eps, wd denote ``rho``, ``epsilon``, ``weight_decay`` (``hp[1:4]``)::

        g = g + wd * p
        s = rho * s + (1 - rho) * g**2
        delta = sqrt(a + eps) / sqrt(s + eps) * g
        a = rho * a + (1 - rho) * delta**2
        p -= lr * delta

    State: ``state[0]`` = s (mean squared gradient), ``state[1]`` = a (mean squared update).
    """
    rho, eps, wd = hp[1], hp[2], hp[3]
    s = state[0]
    a = state[1]
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] = rho * s[i] + (1.0 - rho) * g * g
        delta = math.sqrt(a[i] + eps) / math.sqrt(s[i] + eps) * g
        a[i] = rho * a[i] + (1.0 - rho) * delta * delta
        params[i] -= lr * delta


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    s, a = state[0], state[1]
    rho, eps = h["rho"], h["epsilon"]
    g = gradient(p, g, h)
    s[:] = rho * s + (1 - rho) * g**2
    delta = np.sqrt(a + eps) / np.sqrt(s + eps) * g
    a[:] = rho * a + (1 - rho) * delta**2
    p -= lr * delta


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Adadelta``."""
    return torch.optim.Adadelta(parameters, lr=h["learning_rate"], rho=h["rho"], eps=h["epsilon"],
                                weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="adadelta",
    title="Adadelta",
    hyperparameters=(
        learning_rate(1.0),
        Hyperparameter("rho", 0.9, UNIT, "decay of the mean squared gradient and update"),
        epsilon(1e-6),
        weight_decay(),
    ),
    state_names=("square_avg", "acc_delta"),
    formula=rule.__doc__,
    torch="Adadelta(lr, rho, eps=epsilon, weight_decay)",
    peer="Adadelta",
)
