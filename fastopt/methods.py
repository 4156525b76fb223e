"""The registry of optimization methods: one row per method.

Each row names a method, gives the integer code that the compiled kernel
dispatches on (see :func:`fastopt.kernels.fit_kernel`), the method's
hyperparameters in the order in which the kernel receives them, their
defaults and valid ranges, the number of state vectors the rule keeps, and
the update formula. Validation, the public API, the NumPy reference and the
tests all read this table; nothing else lists the methods.

Adding a method means: one rule function in :mod:`fastopt.update_rules`
with its branch in the kernel's dispatch, one NumPy step in
:mod:`fastopt.reference`, and one row here; tests pick it up from this table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["Interval", "Hyperparameter", "Method", "REGISTRY", "METHODS", "get_method"]


@dataclass(frozen=True)
class Interval:
    """A range of real numbers with open or closed ends, e.g. ``[0, 1)``."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def __contains__(self, value: float) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def __str__(self) -> str:
        if math.isinf(self.high):
            return (">= " if self.low_closed else "> ") + f"{self.low:g}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


POSITIVE = Interval(0.0, math.inf, low_closed=False, high_closed=False)
NON_NEGATIVE = Interval(0.0, math.inf, low_closed=True, high_closed=False)
UNIT = Interval(0.0, 1.0, low_closed=True, high_closed=False)


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: its name, default, valid range and meaning.

    ``optional`` hyperparameters accept ``None`` ("switched off"), which the
    kernel receives as ``+inf`` (a clip bound of infinity clips nothing).
    """

    name: str
    default: float | None
    valid: Interval
    description: str
    optional: bool = False


@dataclass(frozen=True)
class Method:
    """One optimization method as the kernel and the API see it.

    Attributes
    ----------
    name : str
        The name users pass as ``method=``.
    code : int
        The integer the kernel dispatches on.
    title : str
        Human-readable name, as the tutorial's benchmark table prints it.
    hyperparameters : tuple of Hyperparameter
        In kernel order: ``learning_rate`` first, then the rest.
    state_names : tuple of str
        Names of the per-parameter state vectors, in the order of the rows of
        the kernel's ``state`` array; all start at zero.
    formula : str
        The update rule, per parameter, with ``g`` the minibatch gradient.
    """

    name: str
    code: int
    title: str
    hyperparameters: tuple[Hyperparameter, ...]
    state_names: tuple[str, ...]
    formula: str

    @property
    def defaults(self) -> Mapping[str, float | None]:
        """Default value of every hyperparameter, in kernel order."""
        return MappingProxyType({h.name: h.default for h in self.hyperparameters})


def _learning_rate(default: float) -> Hyperparameter:
    return Hyperparameter("learning_rate", default, POSITIVE, "step size (parameter units per gradient unit)")


_CLIP = Hyperparameter(
    "clip_value", 1.0, POSITIVE, "element-wise bound on the gradient; None disables clipping", optional=True
)
_EPSILON = Hyperparameter("epsilon", 1e-8, NON_NEGATIVE, "added to the root-mean-square before dividing")

REGISTRY: tuple[Method, ...] = (
    Method(
        name="sgd",
        code=0,
        title="SGD",
        hyperparameters=(_learning_rate(0.01), _CLIP),
        state_names=(),
        formula="g = clip(g, -c, c); p -= lr * g",
    ),
    Method(
        name="momentum",
        code=1,
        title="SGD with Momentum",
        hyperparameters=(
            _learning_rate(0.01),
            Hyperparameter("momentum", 0.9, UNIT, "decay of the velocity"),
            _CLIP,
        ),
        state_names=("velocity",),
        formula="g = clip(g, -c, c); v = momentum * v + lr * g; p -= v",
    ),
    Method(
        name="rmsprop",
        code=2,
        title="RMSprop",
        hyperparameters=(
            _learning_rate(0.01),
            Hyperparameter("beta", 0.9, UNIT, "decay of the mean squared gradient"),
            _EPSILON,
        ),
        state_names=("square_avg",),
        formula="s = beta * s + (1 - beta) * g**2; p -= lr * g / (sqrt(s) + eps)",
    ),
    Method(
        name="adam",
        code=3,
        title="Adam",
        hyperparameters=(
            _learning_rate(0.001),
            Hyperparameter("beta1", 0.9, UNIT, "decay of the first moment"),
            Hyperparameter("beta2", 0.999, UNIT, "decay of the second moment"),
            _EPSILON,
        ),
        state_names=("exp_avg", "exp_avg_sq", "beta_powers"),
        formula=(
            "m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g**2; "
            "m_hat = m / (1 - b1**t); v_hat = v / (1 - b2**t); p -= lr * m_hat / (sqrt(v_hat) + eps)"
        ),
    ),
)

METHODS: tuple[str, ...] = tuple(m.name for m in REGISTRY)
_BY_NAME = {m.name: m for m in REGISTRY}


def get_method(name: object) -> Method:
    """Return the registry row for ``name``; raise a clear error for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, one of {', '.join(METHODS)}; got {type(name).__name__}")
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid methods are: {', '.join(METHODS)}") from None
