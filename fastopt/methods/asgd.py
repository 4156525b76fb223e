"""ASGD: SGD with a decaying step size that keeps the average of its iterates, as PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import NON_NEGATIVE, Hyperparameter, Method, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Averaged SGD, as PyTorch's ``ASGD``.

    Let lambd, alpha, t0, wd denote ``lambd``, ``alpha``, ``t0``,
    ``weight_decay`` (``hp[1:5]``); eta starts at the learning rate and mu at 1::

        g = g + wd * p
        p *= 1 - lambd * eta; p -= eta * g
        ax = p if mu == 1, else ax + mu * (p - ax)
        eta = lr / (1 + lambd * lr * t)**alpha; mu = 1 / max(1, t - t0)

    The parameters trained are ``p``; ``ax``, their average since step t0,
    is kept in the state as PyTorch keeps it (not returned).

    State: ``state[0]`` = ax, ``state[1, 0:2]`` = eta, mu.
    """
    lambd, alpha, t0, wd = hp[1], hp[2], hp[3], hp[4]
    ax = state[0]
    scalars = state[1]
    if t == 1:
        scalars[0] = lr
        scalars[1] = 1.0
    eta = scalars[0]
    mu = scalars[1]
    decay = 1.0 - lambd * eta
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        params[i] *= decay
        params[i] -= eta * g
        ax[i] = params[i] if mu == 1.0 else ax[i] + (params[i] - ax[i]) * mu
    scalars[0] = lr / (1.0 + lambd * lr * t) ** alpha
    scalars[1] = 1.0 / max(1.0, t - t0)


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    ax, scalars = state[0], state[1]  # scalars: eta, mu
    if t == 1:
        scalars[:2] = lr, 1.0
    eta, mu = scalars[0], scalars[1]
    g = gradient(p, g, h)
    p *= 1 - h["lambd"] * eta
    p -= eta * g
    ax[:] = p if mu == 1 else ax + mu * (p - ax)
    scalars[:2] = lr / (1 + h["lambd"] * lr * t) ** h["alpha"], 1 / max(1, t - h["t0"])


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.ASGD``."""
    return torch.optim.ASGD(parameters, lr=h["learning_rate"], lambd=h["lambd"], alpha=h["alpha"], t0=h["t0"],
                            weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="asgd",
    title="ASGD",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter("lambd", 1e-4, NON_NEGATIVE, "decay term: p *= 1 - lambd * eta"),
        Hyperparameter("alpha", 0.75, NON_NEGATIVE, "power of the step-size decay eta"),
        Hyperparameter("t0", 1e6, NON_NEGATIVE, "step at which averaging starts"),
        weight_decay(),
    ),
    state_names=("ax", "eta_mu"),
    cached_rows=("eta_mu",),
    formula=rule.__doc__,
    torch="ASGD(lr, lambd, alpha, t0, weight_decay)",
    peer="ASGD",
)
