"""Adamax: Adam with the infinity norm in place of the root-mean-square."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient, running_power
from .rows import BETA1, BETA2, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Adamax (Adam with the infinity norm), as PyTorch's ``Adamax``.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``)::

        g = g + wd * p
        m = m + (1 - b1) * (g - m)
        u = max(b2 * u, |g| + eps)
        p -= lr / (1 - b1**t) * m / u

    State: ``state[0]`` = m, ``state[1]`` = u (exponentially weighted
    infinity norm), ``state[2, 0]`` = b1**t (a running product).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    m = state[0]
    u = state[1]
    step = lr / (1.0 - running_power(state[2], 0, b1, t))
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        u[i] = max(b2 * u[i], abs(g) + eps)
        params[i] -= step * (m[i] / u[i])


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    m, u = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    u[:] = np.maximum(b2 * u, np.abs(g) + h["epsilon"])
    p -= lr / (1 - b1**t) * m / u


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Adamax``."""
    return torch.optim.Adamax(parameters, lr=h["learning_rate"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                              weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="adamax",
    title="Adamax",
    hyperparameters=(learning_rate(0.002), BETA1, BETA2, epsilon(1e-8), weight_decay()),
    state_names=("exp_avg", "exp_inf", "beta_powers"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="Adamax(lr, betas=(beta1, beta2), eps=epsilon, weight_decay)",
    peer="Adamax",
    keeps_beta1_power=True,
)
