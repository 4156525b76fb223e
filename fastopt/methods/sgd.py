"""SGD: the tutorial's plain gradient step, with PyTorch's momentum buffer as an option."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import clip, gradient
from .rows import UNIT, Hyperparameter, Interval, Method, clip_value, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """SGD with element-wise clipping and L2 weight decay; with momentum, PyTorch's form.

    Let c, wd, mu, tau denote ``clip_value``, ``weight_decay``, ``momentum``,
    ``dampening`` (``hp[1:5]``)::

        g = clip(g, -c, c) + wd * p
        p -= lr * g                                   if mu == 0
        buf = g (first step), else mu * buf + (1 - tau) * g
        p -= lr * buf                                 otherwise

    State: ``state[0]`` = buf (momentum buffer, in gradient units; unused when mu == 0).
    """
    c = hp[1]
    wd = hp[2]
    mu = hp[3]
    keep = 1.0 - hp[4]
    first = t == 1
    buf = state[0]
    for i in range(params.shape[0]):
        g = clip(grad[i], c) + wd * params[i]
        if mu != 0.0:
            buf[i] = g if first else mu * buf[i] + keep * g
            g = buf[i]
        params[i] -= lr * g


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    g = gradient(p, g, h)
    if h["momentum"] != 0:
        buf = state[0]
        buf[:] = g if t == 1 else h["momentum"] * buf + (1 - h["dampening"]) * g
        g = buf
    p -= lr * g


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.SGD`` (the tutorial's clipping is applied by the caller)."""
    return torch.optim.SGD(parameters, lr=h["learning_rate"], momentum=h["momentum"], dampening=h["dampening"],
                           weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="sgd",
    title="SGD",
    hyperparameters=(
        learning_rate(0.01),
        clip_value(1.0),
        weight_decay(),
        Hyperparameter("momentum", 0.0, UNIT, "decay of PyTorch's momentum buffer; 0 is plain SGD"),
        Hyperparameter("dampening", 0.0, Interval(0.0, 1.0, True, True), "buf = momentum buf + (1 - dampening) g"),
    ),
    state_names=("momentum_buffer",),
    formula=rule.__doc__,
    torch="SGD(lr, momentum, dampening, weight_decay)",
    peer="SGD",
)
