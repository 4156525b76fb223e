"""Lookahead: any other method's fast steps, pulled back toward slow weights every k steps.

Lookahead wraps a base method, so its row is built for each base
(:func:`row`); the registry lists it over Adam, its default base.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..engine.jit import jit
from .parts import lerp
from .rows import Hyperparameter, Interval, Method

#: Lookahead over the rule with code c has code ``OFFSET + c``.
OFFSET = 64
#: The hyperparameters Lookahead adds to its base's: a base may not have one of the same name.
OWN = ("k", "alpha", "base")


@jit(inline="always")
def rule(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int, h: int) -> None:
    """Lookahead over any rule, as ``pytorch-optimizer``'s ``Lookahead(pullback_momentum="none")``.

    With k, alpha the two numbers after the base method's ``h`` numbers
    (``hp[h:h + 2]``), after every k-th step of the base rule::

        p = p + (1 - alpha) * (slow - p); slow = p

    State: the base rule's rows, then ``slow`` (the last row), which starts at the initial parameters.
    """
    k = np.int64(hp[h])
    if t % k != 0:
        return
    slow = state[state.shape[0] - 1]
    weight = 1.0 - hp[h + 1]
    for i in range(params.shape[0]):
        params[i] = lerp(params[i], slow[i], weight)
        slow[i] = params[i]


@jit(inline="always")
def begin_epoch(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """Before the first epoch the slow weights start at the parameters."""
    if t == 0:
        state[state.shape[0] - 1, : params.shape[0]] = params


def reference(base: Callable[..., None], p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict,
              t: int) -> None:  # fmt: skip
    """:func:`rule` in NumPy around ``base``, the base method's reference step."""
    slow = state[-1]
    if t == 1:
        slow[:] = p
    base(p, g, state, lr, h, t)
    if t % h["k"] == 0:
        p[:] = slow + h["alpha"] * (p - slow)
        slow[:] = p


def row(base: Method, bases: tuple[str, ...]) -> Method:
    """The registry row of Lookahead over ``base``: its hyperparameters, then ``k``, ``alpha`` and ``base``.

    ``bases`` are the methods Lookahead may wrap, the choices of ``base``.
    """
    return Method(
        name="lookahead",
        code=OFFSET + base.code,
        title=f"Lookahead ({base.title})",
        hyperparameters=(
            *base.hyperparameters,
            Hyperparameter(
                "k", 5, Interval(1.0, math.inf, True, False), "base steps between synchronizations", integer=True
            ),
            Hyperparameter("alpha", 0.5, Interval(0.0, 1.0, True, True), "step toward the fast weights"),
            Hyperparameter("base", base.name, None, "the method wrapped", choices=bases),
        ),
        state_names=(*base.state_names, "slow_params"),
        cached_rows=base.cached_rows,
        formula=rule.__doc__,
        torch="pytorch_optimizer.Lookahead(base optimizer, k, alpha, pullback_momentum='none') (not in torch.optim)",
        keeps_beta1_power=base.keeps_beta1_power,
        exceptions=base.exceptions,
        rule=base.rule,
    )
