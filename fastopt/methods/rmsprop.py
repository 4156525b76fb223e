"""RMSprop: the step divided by a running root-mean-square of the gradient."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import UNIT, Hyperparameter, Method, epsilon, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """RMSprop, as PyTorch's ``RMSprop(alpha=beta, momentum, centered)``.

    Let beta, eps, wd, mu denote ``beta``, ``epsilon``, ``weight_decay``,
    ``momentum`` (``hp[1:5]``), and ``centered`` be ``hp[5]``::

        g = g + wd * p
        s = beta * s + (1 - beta) * g**2
        a = a + (1 - beta) * (g - a)                  centered only
        d = sqrt(max(s - a**2, 0)) + eps if centered, else sqrt(s) + eps
        p -= lr * g / d                               if mu == 0
        buf = mu * buf + g / d; p -= lr * buf         otherwise

    State: ``state[0]`` = s (running mean of squared gradients),
    ``state[1]`` = buf (momentum buffer), ``state[2]`` = a (running mean of
    gradients, centered only).
    """
    beta = hp[1]
    eps = hp[2]
    wd = hp[3]
    mu = hp[4]
    centered = hp[5] != 0.0
    s = state[0]
    buf = state[1]
    a = state[2]
    # One loop with the options as branches: an early return for the plain form kept
    # LLVM from inlining this rule into the hot loop (the tutorial's RMSprop then ran 25 % slower).
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        s[i] = beta * s[i] + (1.0 - beta) * g * g
        if centered:
            a[i] += (1.0 - beta) * (g - a[i])
            # s - a**2 is a variance, >= 0 but for rounding (with beta = 0 it is g**2 - g**2): never the
            # square root of a negative number (torch's NaN there), which plain Python also refuses.
            d = math.sqrt(max(s[i] - a[i] * a[i], 0.0)) + eps
        else:
            d = math.sqrt(s[i]) + eps
        if mu == 0.0:
            params[i] -= lr * (g / d)
        else:
            buf[i] = mu * buf[i] + g / d
            params[i] -= lr * buf[i]


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    s, buf, a = state[0], state[1], state[2]
    beta = h["beta"]
    g = gradient(p, g, h)
    s[:] = beta * s + (1 - beta) * g**2
    if h["centered"]:
        a[:] = beta * a + (1 - beta) * g
        d = np.sqrt(np.maximum(s - a**2, 0.0)) + h["epsilon"]
    else:
        d = np.sqrt(s) + h["epsilon"]
    if h["momentum"] != 0:
        buf[:] = h["momentum"] * buf + g / d
        p -= lr * buf
    else:
        p -= lr * g / d


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.RMSprop``."""
    return torch.optim.RMSprop(
        parameters,
        lr=h["learning_rate"],
        alpha=h["beta"],
        eps=h["epsilon"],
        weight_decay=h["weight_decay"],
        momentum=h["momentum"],
        centered=h["centered"],
    )


ROW = Method(
    name="rmsprop",
    title="RMSprop",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter("beta", 0.9, UNIT, "decay of the mean squared gradient"),
        epsilon(1e-8),
        weight_decay(),
        Hyperparameter("momentum", 0.0, UNIT, "decay of the buffer of normalized steps; 0 has none"),
        Hyperparameter("centered", False, None, "divide by the gradient's variance instead of its mean square"),
    ),
    state_names=("square_avg", "momentum_buffer", "grad_avg"),
    formula=rule.__doc__,
    torch="RMSprop(lr, alpha=beta, eps=epsilon, weight_decay, momentum, centered)",
    peer="RMSprop",
    gallery_search=("beta", (0.9, 0.99)),
    study_search=(("beta", 0.8, 0.999, "linear"),),
)
