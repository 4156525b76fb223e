"""SGD with Nesterov momentum, PyTorch's form: the step looks ahead along the buffer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import clip, gradient
from .rows import MOMENTUM, Method, clip_value, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """SGD with Nesterov momentum, as PyTorch's ``SGD(nesterov=True, dampening=0)``.

    Let mu, c, wd denote ``momentum``, ``clip_value``, ``weight_decay``
    (``hp[1:4]``)::

        g = clip(g, -c, c) + wd * p
        buf = mu * buf + g
        p -= lr * (g + mu * buf)

    (PyTorch starts ``buf`` at the first gradient; from zero, the first step
    gives the same.)

    State: ``state[0]`` = buf (momentum buffer, in gradient units).
    """
    mu = hp[1]
    c = hp[2]
    wd = hp[3]
    buf = state[0]
    for i in range(params.shape[0]):
        g = clip(grad[i], c) + wd * params[i]
        buf[i] = mu * buf[i] + g
        params[i] -= lr * (g + mu * buf[i])


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    buf = state[0]
    g = gradient(p, g, h)
    buf[:] = h["momentum"] * buf + g
    p -= lr * (g + h["momentum"] * buf)


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.SGD(nesterov=True)``."""
    return torch.optim.SGD(parameters, lr=h["learning_rate"], momentum=h["momentum"], dampening=0.0, nesterov=True,
                           weight_decay=h["weight_decay"])  # fmt: skip


ROW = Method(
    name="nesterov",
    title="SGD with Nesterov momentum",
    hyperparameters=(learning_rate(0.01), MOMENTUM, clip_value(None), weight_decay()),
    state_names=("momentum_buffer",),
    formula=rule.__doc__,
    torch="SGD(lr, momentum, dampening=0, nesterov=True, weight_decay)",
    peer="SGD(nesterov)",
    gallery_search=("momentum", (0.5, 0.9, 0.99)),
    study_search=(("momentum", 0.5, 0.99, "linear"),),
)
