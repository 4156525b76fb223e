"""SGD with momentum in the tutorial's form: the velocity carries the learning rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import clip, gradient
from .rows import MOMENTUM, Method, clip_value, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """SGD with momentum in the tutorial's form.

    Let mu, c, wd denote ``momentum``, ``clip_value``, ``weight_decay``
    (``hp[1:4]``)::

        g = clip(g, -c, c) + wd * p
        v = mu * v + lr * g
        p -= v

    While ``lr`` is constant this equals PyTorch's ``SGD(momentum=mu,
    dampening=0)``, whose buffer is ``v / lr``; under a schedule it does not
    (``v`` keeps earlier learning rates).

    State: ``state[0]`` = v (velocity, in parameter units).
    """
    mu = hp[1]
    c = hp[2]
    wd = hp[3]
    v = state[0]
    for i in range(params.shape[0]):
        v[i] = mu * v[i] + lr * (clip(grad[i], c) + wd * params[i])
        params[i] -= v[i]


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    v = state[0]
    v[:] = h["momentum"] * v + lr * gradient(p, g, h)
    p -= v


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """``torch.optim.SGD(momentum)``: equal while the learning rate is constant."""
    return torch.optim.SGD(parameters, lr=h["learning_rate"], momentum=h["momentum"], dampening=0.0,
                           weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="momentum",
    title="SGD with Momentum",
    hyperparameters=(learning_rate(0.01), MOMENTUM, clip_value(1.0), weight_decay()),
    state_names=("velocity",),
    formula=rule.__doc__,
    torch="SGD(lr, momentum, dampening=0, weight_decay), while the learning rate is constant",
    peer="SGD(momentum)",
    gallery_search=("momentum", (0.5, 0.9, 0.99)),
    study_search=(("momentum", 0.5, 0.99, "linear"),),
)
