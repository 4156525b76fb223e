"""What a registry row is: a method's hyperparameters, their ranges, its state and its formula.

Every method file in this package ends with one :class:`Method` row; the
package (``fastopt/methods/__init__.py``) numbers the rows in its ``ORDER``
and everything else — validation, the kernels' dispatch, the NumPy
reference, ``compare --peers``, the gallery's and the study's searches, the
docs and the tests — reads them. The hyperparameters that several methods
share are built here, so that they are described once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: A hyperparameter's value: a number, a flag, a method name (Lookahead's base) or a pair (Rprop's etas).
HyperValue = float | bool | str | tuple[float, float] | None

__all__ = [
    "HyperValue",
    "Interval",
    "Hyperparameter",
    "Method",
    "Exceptions",
    "POSITIVE",
    "NON_NEGATIVE",
    "UNIT",
    "OPEN_UNIT",
    "learning_rate",
    "weight_decay",
    "clip_value",
    "epsilon",
    "MOMENTUM",
    "BETA1",
    "BETA2",
    "AMSGRAD",
    "DECOUPLED",
]


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
OPEN_UNIT = Interval(0.0, 1.0, low_closed=False, high_closed=False)


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: its name, default, valid range and meaning.

    ``optional`` hyperparameters accept ``None`` ("switched off"), which the
    kernel receives as ``+inf`` (a clip bound of infinity clips nothing).
    Flags (``valid is None``) take True or False; the kernel receives 1.0 or 0.0.
    ``integer`` ones take whole numbers; ``choices`` ones one of those names,
    which the kernel receives as the method's code. A ``second`` range makes
    it a pair, as PyTorch's ``etas=(0.5, 1.2)``: ``valid`` bounds the first
    number, ``second`` the other, and the kernel receives both.
    """

    name: str
    default: HyperValue
    valid: Interval | None
    description: str
    optional: bool = False
    integer: bool = False
    choices: tuple[str, ...] | None = None
    second: Interval | None = None

    @property
    def is_flag(self) -> bool:
        return self.valid is None and self.choices is None

    @property
    def width(self) -> int:
        """Numbers the kernel receives for it: two for a pair, else one."""
        return 1 if self.second is None else 2


@dataclass(frozen=True)
class Exceptions:
    """Where a method knowingly differs from the rest, for the tests that run every method.

    Each field holds a reason (shown in the test's skip message) or ``None``
    when the method behaves as the others do.
    """

    #: Why the rule's result may differ from the reference's by more than rounding on a random problem.
    sign_based: str | None = None
    #: Why the method cannot diverge, however large the learning rate.
    bounded_steps: str | None = None
    #: Why the method converges only with full batches.
    full_batch: str | None = None
    #: Why the reference implementation's golden runs cannot include weight decay.
    reference_lacks_weight_decay: str | None = None


@dataclass(frozen=True)
class Method:
    """One optimization method as the kernel and the API see it.

    Attributes
    ----------
    name : str
        The name users pass as ``method=``.
    title : str
        Human-readable name, as the tutorial's benchmark table prints it.
    hyperparameters : tuple of Hyperparameter
        In kernel order: ``learning_rate`` first, then the rest.
    state_names : tuple of str
        Names of the per-parameter state vectors, in the order of the rows of
        the kernel's ``state`` array; all start at zero.
    formula : str
        The update rule per parameter, written once: the docstring of the
        method's compiled rule, with ``g`` the minibatch gradient and ``lr``
        the learning rate of the update.
    torch : str
        The class and arguments this method equals (``torch.optim`` or a
        reference package), whose golden runs the tests compare with.
    code : int
        The integer the kernel dispatches on: the method's place in
        ``fastopt.methods.ORDER`` (set by the registry).
    peer : str or None
        The ``torch.optim`` class ``compare --peers`` runs for it (its file's
        ``torch_optimizer`` builds it), or None where torch.optim has none.
    gallery_search : (name, values) or None
        The hyperparameter the gallery tunes besides the learning rate.
    study_search : tuple of (name, low, high, scale)
        The hyperparameters the study draws besides the learning rate,
        ``scale`` being ``"log"`` or ``"linear"``.
    keeps_beta1_power : bool
        The rule keeps ``beta1**t`` as a running product in ``state[2, 0]``,
        which a schedule cycling beta1 must recompute.
    cached_rows : tuple of str
        State rows the rule derives from the run so far (running powers and
        sums), not per-parameter state: never taken from a user's
        ``optimizer_state`` nor given back in ``FitResult.optimizer_state``.
        A run resumed after ``t > 0`` updates needs the method file's
        ``resume(state, hp, t)`` to rebuild them; without one it is refused.
    exceptions : Exceptions
        Where the tests that run every method must treat this one apart.
    rule : fastopt.Rule or None
        The user's rule this row was made from (see :mod:`.rule`); None for
        a built-in method.
    """

    name: str
    title: str
    hyperparameters: tuple[Hyperparameter, ...]
    state_names: tuple[str, ...]
    formula: str
    torch: str
    code: int = -1
    peer: str | None = None
    gallery_search: tuple[str, tuple[float, ...]] | None = None
    study_search: tuple[tuple[str, float, float, str], ...] = ()
    keeps_beta1_power: bool = False
    cached_rows: tuple[str, ...] = ()
    exceptions: Exceptions = Exceptions()
    rule: Any = None

    @property
    def defaults(self) -> Mapping[str, HyperValue]:
        """Default value of every hyperparameter, in kernel order."""
        return MappingProxyType({h.name: h.default for h in self.hyperparameters})

    @property
    def n_numbers(self) -> int:
        """Length of the kernel's ``hp`` for this method (a pair counts two)."""
        return sum(h.width for h in self.hyperparameters)


def learning_rate(default: float) -> Hyperparameter:
    """The step size, first in every method's ``hp``."""
    return Hyperparameter("learning_rate", default, POSITIVE, "step size of the first epoch (schedules change it)")


def weight_decay(default: float = 0.0, decoupled: bool = False) -> Hyperparameter:
    """L2 penalty added to the gradient (PyTorch's meaning) or, ``decoupled``, a decay of the parameters."""
    meaning = (
        "decoupled decay: p *= 1 - lr * weight_decay before each step"
        if decoupled
        else "L2 penalty: weight_decay * p is added to the gradient (PyTorch's meaning)"
    )
    return Hyperparameter("weight_decay", default, NON_NEGATIVE, meaning)


def clip_value(default: float | None) -> Hyperparameter:
    """The tutorial's element-wise gradient clipping; None switches it off."""
    return Hyperparameter(
        "clip_value", default, POSITIVE, "element-wise bound on the gradient; None disables clipping", optional=True
    )


def epsilon(default: float) -> Hyperparameter:
    """The constant added to a root-mean-square before dividing by it."""
    return Hyperparameter("epsilon", default, NON_NEGATIVE, "added to the root-mean-square before dividing")


MOMENTUM = Hyperparameter("momentum", 0.9, UNIT, "decay of the velocity")
BETA1 = Hyperparameter("beta1", 0.9, UNIT, "decay of the first moment")
BETA2 = Hyperparameter("beta2", 0.999, UNIT, "decay of the second moment")
AMSGRAD = Hyperparameter("amsgrad", False, None, "divide by the running maximum of the second moment")
DECOUPLED = Hyperparameter(
    "decoupled_weight_decay", False, None, "decay the parameters (p *= 1 - lr * weight_decay) instead of L2"
)
