"""RAdam: Adam whose adaptive step is rectified while the second moment is still unreliable."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import penalized, penalty, running_power
from .rows import BETA1, BETA2, DECOUPLED, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """RAdam (rectified Adam), as PyTorch's ``RAdam``.

    Let b1, b2, eps, wd denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay`` (``hp[1:5]``), and ``decoupled_weight_decay`` be ``hp[5]``::

        p *= 1 - lr * wd                 if decoupled, else g = g + wd * p
        m = m + (1 - b1) * (g - m); v = b2 * v + (1 - b2) * g**2
        rho_inf = 2 / (1 - b2) - 1; rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p -= lr * m / (1 - b1**t) * sqrt(1 - b2**t) / (sqrt(v) + eps) * r
        else:          p -= lr * m / (1 - b1**t)

    State: ``state[0]`` = m, ``state[1]`` = v, ``state[2, 0:2]`` = b1**t, b2**t (running products).
    """
    b1, b2, eps, wd = hp[1], hp[2], hp[3], hp[4]
    decoupled = hp[5] != 0.0
    m = state[0]
    v = state[1]
    correction1 = 1.0 - running_power(state[2], 0, b1, t)
    power2 = running_power(state[2], 1, b2, t)
    correction2 = 1.0 - power2
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * power2 / correction2
    rect = 0.0
    root2 = math.sqrt(correction2)
    if rho_t > 5.0:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    l2 = penalty(params, lr, wd, decoupled)
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        corrected = m[i] / correction1
        if rho_t > 5.0:
            params[i] -= corrected * lr * (root2 / (math.sqrt(v[i]) + eps)) * rect
        else:
            params[i] -= corrected * lr


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    m, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = penalized(p, g, lr, h)
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


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.RAdam``."""
    return torch.optim.RAdam(
        parameters,
        lr=h["learning_rate"],
        betas=(h["beta1"], h["beta2"]),
        eps=h["epsilon"],
        weight_decay=h["weight_decay"],
        decoupled_weight_decay=h["decoupled_weight_decay"],
    )


ROW = Method(
    name="radam",
    title="RAdam",
    hyperparameters=(learning_rate(0.001), BETA1, BETA2, epsilon(1e-8), weight_decay(), DECOUPLED),
    state_names=("exp_avg", "exp_avg_sq", "beta_powers"),
    cached_rows=("beta_powers",),
    formula=rule.__doc__,
    torch="RAdam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, decoupled_weight_decay)",
    peer="RAdam",
    study_search=(("beta1", 0.5, 0.95, "linear"),),
    keeps_beta1_power=True,
)
