"""Lion: a step of fixed size along the sign of an interpolated momentum (found by program search)."""

from __future__ import annotations

import numpy as np

from ..engine.jit import jit
from .parts import penalty
from .rows import BETA1, UNIT, Exceptions, Hyperparameter, Method, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Lion (evolved sign momentum), as the ``lion-pytorch`` package computes it.

    Let b1, b2, wd denote ``beta1``, ``beta2``, ``weight_decay`` (``hp[1:4]``)::

        p *= 1 - lr * wd
        p -= lr * sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g

    State: ``state[0]`` = m.
    """
    b1, b2, wd = hp[1], hp[2], hp[3]
    m = state[0]
    penalty(params, lr, wd, True)
    for i in range(params.shape[0]):
        direction = b1 * m[i] + (1.0 - b1) * grad[i]
        # sign(direction) as a select (0 for 0 and NaN, as the branches it replaces gave): near a minimum
        # the sign flips at random, and mispredicted branches made Lion the slowest method on the line.
        params[i] -= lr * ((direction > 0.0) * 1.0 - (direction < 0.0) * 1.0)
        m[i] = b2 * m[i] + (1.0 - b2) * grad[i]


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    m = state[0]
    b1, b2 = h["beta1"], h["beta2"]
    p *= 1 - lr * h["weight_decay"]
    p -= lr * np.sign(b1 * m + (1 - b1) * g)
    m[:] = b2 * m + (1 - b2) * g


ROW = Method(
    name="lion",
    title="Lion",
    hyperparameters=(
        learning_rate(1e-4),
        BETA1,
        Hyperparameter("beta2", 0.99, UNIT, "decay of the momentum"),
        weight_decay(decoupled=True),
    ),
    state_names=("exp_avg",),
    formula=rule.__doc__,
    torch="lion_pytorch.Lion(lr, betas=(beta1, beta2), weight_decay) (not in torch.optim)",
    gallery_search=("beta1", (0.5, 0.9)),
    study_search=(("beta1", 0.5, 0.95, "linear"),),
    exceptions=Exceptions(sign_based="steps by the sign of a momentum that may round either way"),
)
