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
``linear(start_factor=1/3,             ``lr * (s + (e - s) * min(k, n) / n)``         ``LinearLR(start_factor,
end_factor=1.0, total_iters=5)``       (a warmup when s < e)                          end_factor, total_iters)``
``polynomial(total_iters=5,            ``lr * (1 - min(k, n) / n) ** power``          ``PolynomialLR(total_iters,
power=1.0)``                                                                          power)``
``cosine_warm_restarts(t_0,            cosine from lr to eta_min over each cycle;     ``CosineAnnealingWarm
t_mult=1, eta_min=0.0)``               cycle i lasts ``t_0 * t_mult**i`` epochs       Restarts(T_0, T_mult,
                                                                                      eta_min)``
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
from .methods import NON_NEGATIVE, POSITIVE, Interval

__all__ = [
    "Schedule", "step", "exponential", "cosine", "linear", "polynomial", "cosine_warm_restarts",
    "CONSTANT", "STEP", "EXPONENTIAL", "COSINE", "LINEAR", "POLYNOMIAL", "WARM_RESTARTS",
]  # fmt: skip

CONSTANT, STEP, EXPONENTIAL, COSINE, LINEAR, POLYNOMIAL, WARM_RESTARTS = range(7)
#: Every schedule reaches the kernel as this many float64 arguments (unused ones 0).
N_ARGS = 3


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: a name, the kernel's code and its arguments.

    Build one with :func:`step`, :func:`exponential`, :func:`cosine`,
    :func:`linear`, :func:`polynomial` or :func:`cosine_warm_restarts`;
    ``None`` in ``fit(schedule=...)`` means a constant rate.
    """

    name: str
    code: int
    args: tuple[float, ...]

    def __repr__(self) -> str:
        a = self.args
        if self.code == STEP:
            return f"step(step_size={int(a[0])}, gamma={a[1]!r})"
        if self.code == EXPONENTIAL:
            return f"exponential(gamma={a[0]!r})"
        if self.code == LINEAR:
            return f"linear(start_factor={a[0]!r}, end_factor={a[1]!r}, total_iters={int(a[2])})"
        if self.code == POLYNOMIAL:
            return f"polynomial(total_iters={int(a[0])}, power={a[1]!r})"
        if self.code == WARM_RESTARTS:
            return f"cosine_warm_restarts(t_0={int(a[0])}, t_mult={int(a[1])}, eta_min={a[2]!r})"
        return f"cosine(t_max={int(a[0])}, eta_min={a[1]!r})"

    def kernel_args(self) -> np.ndarray:
        args = np.zeros(N_ARGS)
        args[: len(self.args)] = self.args
        return args


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


def linear(start_factor: float = 1 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """The rate moves linearly from ``start_factor`` to ``end_factor`` times the base over ``total_iters`` epochs.

    PyTorch's ``LinearLR``; with ``start_factor < end_factor`` the usual warmup.
    """
    unit = Interval(0.0, 1.0, low_closed=False, high_closed=True)
    return Schedule(
        "linear",
        LINEAR,
        (
            check_real("start_factor", start_factor, unit),
            check_real("end_factor", end_factor, Interval(0.0, 1.0, low_closed=True, high_closed=True)),
            float(check_integer("total_iters", total_iters, 1)),
        ),
    )


def polynomial(total_iters: int = 5, power: float = 1.0) -> Schedule:
    """Decay the rate to 0 over ``total_iters`` epochs as ``(1 - k / total_iters) ** power`` (``PolynomialLR``)."""
    return Schedule(
        "polynomial",
        POLYNOMIAL,
        (float(check_integer("total_iters", total_iters, 1)), _number("power", power, positive=False)),
    )


def cosine_warm_restarts(t_0: int, t_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing, restarted: cycle i lasts ``t_0 * t_mult**i`` epochs (``CosineAnnealingWarmRestarts``)."""
    return Schedule(
        "cosine_warm_restarts",
        WARM_RESTARTS,
        (
            float(check_integer("t_0", t_0, 1)),
            float(check_integer("t_mult", t_mult, 1)),
            _number("eta_min", eta_min, positive=False),
        ),
    )


NO_SCHEDULE_ARGS = np.zeros(N_ARGS)


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
    if code == LINEAR:
        return base * (args[0] + (args[1] - args[0]) * min(epoch, args[2]) / args[2])
    if code == POLYNOMIAL:
        return base * (1.0 - min(epoch, args[0]) / args[0]) ** args[1]
    if code == WARM_RESTARTS:
        t_i, t_cur = args[0], float(epoch)
        while t_cur >= t_i:  # at most log(epoch) cycles when t_mult > 1
            t_cur -= t_i
            t_i *= args[1]
            if args[1] == 1.0:  # equal cycles: skip to the last one at once
                t_cur = t_cur % t_i
        return args[2] + (base - args[2]) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0
    return base
