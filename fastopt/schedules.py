"""Learning-rate schedules: pure functions of the epoch, evaluated inside the kernel.

Each constructor returns a :class:`Schedule`. The learning rate of epoch k
(counted from 0) equals what PyTorch's scheduler of the same name gives after
k calls to ``scheduler.step()``, stepped once per epoch:

=====================================  =============================================  ==================================
constructor                            learning rate of epoch k (base rate lr)        PyTorch
=====================================  =============================================  ==================================
``step(step_size, gamma=0.1)``         ``lr * gamma ** (k // step_size)``             ``StepLR(step_size, gamma)``
``exponential(gamma)``                 ``lr * gamma ** k``                            ``ExponentialLR(gamma)``
``cosine(t_max, eta_min=0.0)``         ``eta_min + (lr - eta_min) *                   ``CosineAnnealingLR(T_max,
                                       (1 + cos(pi * k / t_max)) / 2``                eta_min)``
=====================================  =============================================  ==================================

PyTorch computes these recursively (each step multiplies the previous rate);
the kernel uses the closed forms, which agree to rounding. The cosine
schedule is periodic past ``t_max``, as PyTorch's is.

The tutorial's momentum form ``v = mu * v + lr * g; p -= v`` carries the old
learning rate inside ``v``; PyTorch's ``buf = mu * buf + g; p -= lr * buf``
applies the new one to the whole buffer. They agree only while the rate is
constant: under a schedule, ``"momentum"`` keeps the tutorial's form and
``"nesterov"`` (and every other method) follows PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .checks import check_integer, check_real
from .jit import jit
from .methods import NON_NEGATIVE, POSITIVE

__all__ = ["Schedule", "step", "exponential", "cosine", "CONSTANT", "STEP", "EXPONENTIAL", "COSINE"]

CONSTANT, STEP, EXPONENTIAL, COSINE = range(4)


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: a name, the kernel's code and two arguments.

    Build one with :func:`step`, :func:`exponential` or :func:`cosine`;
    ``None`` in ``fit(schedule=...)`` means a constant rate.
    """

    name: str
    code: int
    args: tuple[float, float]

    def __repr__(self) -> str:
        if self.code == STEP:
            return f"step(step_size={int(self.args[0])}, gamma={self.args[1]!r})"
        if self.code == EXPONENTIAL:
            return f"exponential(gamma={self.args[0]!r})"
        return f"cosine(t_max={int(self.args[0])}, eta_min={self.args[1]!r})"

    def kernel_args(self) -> np.ndarray:
        return np.array(self.args, dtype=np.float64)


def _number(name: str, value: object, *, positive: bool) -> float:
    return check_real(name, value, POSITIVE if positive else NON_NEGATIVE)


def step(step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (PyTorch's ``StepLR``)."""
    return Schedule(
        "step", STEP, (float(check_integer("step_size", step_size, 1)), _number("gamma", gamma, positive=True))
    )


def exponential(gamma: float) -> Schedule:
    """Multiply the learning rate by ``gamma`` every epoch (PyTorch's ``ExponentialLR``)."""
    return Schedule("exponential", EXPONENTIAL, (_number("gamma", gamma, positive=True), 0.0))


def cosine(t_max: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from the base rate to ``eta_min`` over ``t_max`` epochs (``CosineAnnealingLR``)."""
    return Schedule(
        "cosine", COSINE, (float(check_integer("t_max", t_max, 1)), _number("eta_min", eta_min, positive=False))
    )


NO_SCHEDULE_ARGS = np.zeros(2)


def kernel_schedule(schedule: Schedule | None) -> tuple[int, np.ndarray]:
    """The kernel's ``(schedule_code, schedule_args)`` for ``schedule`` (None: a constant rate)."""
    if schedule is None:
        return CONSTANT, NO_SCHEDULE_ARGS
    return schedule.code, schedule.kernel_args()


@jit
def learning_rate_at(code: int, args: np.ndarray, base: float, epoch: int) -> float:
    """Learning rate of ``epoch`` (from 0) for schedule ``code`` with ``args``, base rate ``base``."""
    if code == STEP:
        return base * args[1] ** (epoch // np.int64(args[0]))
    if code == EXPONENTIAL:
        return base * args[0] ** epoch
    if code == COSINE:
        return args[1] + (base - args[1]) * (1.0 + math.cos(math.pi * epoch / args[0])) / 2.0
    return base
