"""Rprop: per-parameter step sizes that grow while the gradient keeps its sign and shrink when it flips."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.jit import jit
from .parts import gradient
from .rows import NON_NEGATIVE, POSITIVE, Exceptions, Hyperparameter, Interval, Method, learning_rate, weight_decay


@jit
def rule(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Rprop (resilient backpropagation), as PyTorch's ``Rprop``: only the gradient's sign is used.

    Let (eta-, eta+), (s_min, s_max), wd denote ``etas``, ``step_sizes``,
    ``weight_decay`` (``hp[1:6]``, each pair as two numbers;
    torch's Rprop has no weight decay, 0 matches it); every step size starts
    at the learning rate (later schedule changes do not reach it)::

        g = g + wd * p
        f = eta+ if g * g_prev > 0, eta- if g * g_prev < 0, else 1
        s = clip(s * f, s_min, s_max)
        g = 0 where f == eta-
        p -= sign(g) * s; g_prev = g

    State: ``state[0]`` = g_prev, ``state[1]`` = s (per-parameter step sizes).
    """
    etaminus, etaplus, smin, smax, wd = hp[1], hp[2], hp[3], hp[4], hp[5]
    prev = state[0]
    size = state[1]
    if t == 1:
        for i in range(params.shape[0]):
            size[i] = lr
    for i in range(params.shape[0]):
        g = grad[i] + wd * params[i]
        product = g * prev[i]
        factor = etaplus if product > 0.0 else (etaminus if product < 0.0 else 1.0)
        size[i] = min(max(size[i] * factor, smin), smax)
        if factor == etaminus:
            g = 0.0
        # Selects, not branches: the sign flips at random near a minimum, and mispredicted branches made
        # Rprop 1.46x SGD's epoch on the line. p - 0.0 is p and p - (-s) is p + s, exactly.
        params[i] -= size[i] if g > 0.0 else (-size[i] if g < 0.0 else 0.0)
        prev[i] = g


def reference(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
    """:func:`rule` in NumPy, with the hyperparameters by name."""
    prev, size = state[0], state[1]
    g = gradient(p, g, h)
    if t == 1:
        size[:] = lr
    (eta_minus, eta_plus), (smallest, largest) = h["etas"], h["step_sizes"]
    factor = np.where(g * prev > 0, eta_plus, np.where(g * prev < 0, eta_minus, 1.0))
    size[:] = np.clip(size * factor, smallest, largest)
    g = np.where(factor == eta_minus, 0.0, g)
    p -= np.sign(g) * size
    prev[:] = g


def torch_optimizer(torch: Any, parameters: list, h: dict) -> Any:
    """The equal ``torch.optim.Rprop`` (which has no weight decay)."""
    return torch.optim.Rprop(parameters, lr=h["learning_rate"], etas=h["etas"], step_sizes=h["step_sizes"])


ROW = Method(
    name="rprop",
    title="Rprop",
    hyperparameters=(
        learning_rate(0.01),
        Hyperparameter(
            "etas",
            (0.5, 1.2),
            Interval(0.0, 1.0, False, False),
            "(eta-, eta+): step-size factors when g changes sign and when it keeps it",
            second=Interval(1.0, math.inf, False, False),
        ),
        Hyperparameter("step_sizes", (1e-6, 50.0), NON_NEGATIVE, "(smallest, largest) step size", second=POSITIVE),
        weight_decay(),
    ),
    state_names=("prev", "step_size"),
    formula=rule.__doc__,
    torch="Rprop(lr, etas, step_sizes) (weight_decay, L2 added to g, is fastopt's: 0 equals torch)",
    peer="Rprop",
    exceptions=Exceptions(
        sign_based="steps by the sign of a gradient that may round either way",
        bounded_steps="its steps are bounded by step_sizes, so it cannot diverge",
        full_batch="a full-batch method: minibatch noise flips its signs",
        reference_lacks_weight_decay="torch's Rprop has none (fastopt's L2 is checked against the NumPy reference)",
    ),
)
