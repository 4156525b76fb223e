"""NAdam: Adam with Nesterov momentum and PyTorch's momentum decay."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import flushed, penalized, penalty, running_power
from .rows import BETA1, BETA2, DECOUPLED, NON_NEGATIVE, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """NAdam (Adam with Nesterov momentum and momentum decay), as PyTorch's ``NAdam``.

    Let b1, b2, eps, wd, psi denote ``beta1``, ``beta2``, ``epsilon``,
    ``weight_decay``, ``momentum_decay`` (``hp[1:6]``), and
    ``decoupled_weight_decay`` be ``hp[6]``::

        p *= 1 - lr * wd                 if decoupled, else g = g + wd * p
        mu_t = b1 * (1 - 0.5 * 0.96**(t * psi)); mu_next = b1 * (1 - 0.5 * 0.96**((t + 1) * psi))
        M = M * mu_t                     (M = mu_1 ... mu_t)
        m = m + (1 - b1) * (g - m); v = b2 * v + (1 - b2) * g**2
        d = sqrt(v / (1 - b2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - M) * g / d + lr * mu_next / (1 - M * mu_next) * m / d

    State: ``state[0]`` = m, ``state[1]`` = v, ``state[2, 0:2]`` = M and 0.96**psi,
    ``state[3, 0:2]`` = b2**t and 0.96**(t psi) (running products; a row
    holds at least two numbers).
    """
    b1, b2, eps, wd, psi = hp[1], hp[2], hp[3], hp[4], hp[5]
    decoupled = hp[6] != 0.0
    m = state[0]
    v = state[1]
    if t == 1:  # the schedule's factor per step, once per run (a pow call per step: ~10 ns, 2.5 us of the line's epoch)
        state[2, 1] = 0.96**psi
    decay = state[2, 1]
    schedule = running_power(state[3], 1, decay, t)
    mu = b1 * (1.0 - 0.5 * schedule)
    mu_next = b1 * (1.0 - 0.5 * schedule * decay)
    state[2, 0] = mu if t == 1 else flushed(state[2, 0] * mu)
    product = state[2, 0]
    correction2 = 1.0 - running_power(state[3], 0, b2, t)
    grad_step = -lr * (1.0 - mu) / (1.0 - product)
    momentum_step = -lr * mu_next / (1.0 - product * mu_next)
    l2 = penalty(params, lr, wd, decoupled)
    for i in range(params.shape[0]):
        g = grad[i] + l2 * params[i]
        m[i] += (1.0 - b1) * (g - m[i])
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        d = math.sqrt(v[i] / correction2) + eps
        params[i] += grad_step * (g / d)
        params[i] += momentum_step * (m[i] / d)


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    # state[2, 0] holds mu_1 * ... * mu_{t-1} (the product of the momentum schedule so far).
    m, v = state[0], state[1]
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    g = penalized(p, g, lr, h)
    mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
    product = mu * (state[2, 0] if t > 1 else 1.0)
    state[2, 0] = product
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    d = np.sqrt(v / (1 - b2**t)) + h["epsilon"]
    p -= lr * (1 - mu) / (1 - product) * g / d + lr * mu_next / (1 - product * mu_next) * m / d


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.NAdam``."""
    return torch.optim.NAdam(parameters, lr=h["learning_rate"], betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                             weight_decay=h["weight_decay"], momentum_decay=h["momentum_decay"],
                             decoupled_weight_decay=h["decoupled_weight_decay"])  # fmt: skip


ROW = Method(
    name="nadam",
    title="NAdam",
    hyperparameters=(
        learning_rate(0.002),
        BETA1,
        BETA2,
        epsilon(1e-8),
        weight_decay(),
        Hyperparameter("momentum_decay", 0.004, NON_NEGATIVE, "psi: mu_t = beta1 (1 - 0.96**(t psi) / 2)"),
        DECOUPLED,
    ),
    state_names=("exp_avg", "exp_avg_sq", "mu_product", "powers"),
    cached_rows=("mu_product", "powers"),
    formula=rule.__doc__,
    torch="NAdam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, momentum_decay, decoupled_weight_decay)",
    peer="NAdam",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"),),
)
