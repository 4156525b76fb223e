"""Learning-rate schedules, evaluated inside the kernel.

Each constructor returns a :class:`Schedule`. The learning rate of epoch k
(counted from 0) equals what PyTorch's scheduler of the same name gives after
k calls to ``scheduler.step()``, stepped once per epoch; with ``per="step"``
k counts updates instead (``scheduler.step()`` after every
``optimizer.step()``):

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
``one_cycle(total_steps, max_lr,       warm up from max_lr / div_factor to max_lr,    ``OneCycleLR`` (and its
pct_start=0.3, ...)``, per step        anneal to max_lr / (div * final_div)           momentum cycling)
``sequential(*schedules,               schedule i from milestone i - 1, counting      ``SequentialLR(schedulers,
milestones)``                          from 0 there                                   milestones)``
``reduce_on_plateau(factor=0.1,        ``rate * factor`` after ``patience`` epochs    ``ReduceLROnPlateau`` on
patience=10, ...)``                    without improvement of the training loss       the epoch's training loss
=====================================  =============================================  ==================================

PyTorch computes these recursively (each step multiplies the previous rate);
the kernel uses the closed forms, which agree to rounding (all but
``reduce_on_plateau``, whose state is kept with the schedule's numbers). The cosine
schedule is periodic past ``t_max``, as PyTorch's is.

The tutorial's momentum form ``v = mu * v + lr * g; p -= v`` carries the old
learning rate inside ``v``; PyTorch's ``buf = mu * buf + g; p -= lr * buf``
applies the new one to the whole buffer. They agree only while the rate is
constant: under a schedule, ``"momentum"`` keeps the tutorial's form and
``"nesterov"`` (and every other method) follows PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .api.checks import check_flag, check_integer, check_real
from .engine.jit import jit
from .methods import NON_NEGATIVE, POSITIVE, Interval, Method

__all__ = [
    "Schedule", "step", "exponential", "cosine", "linear", "polynomial", "cosine_warm_restarts", "one_cycle",
    "sequential", "reduce_on_plateau", "kernel_schedule", "momentum_index",
]  # fmt: skip

CONSTANT, STEP, EXPONENTIAL, COSINE, LINEAR, POLYNOMIAL, WARM_RESTARTS, ONE_CYCLE, PLATEAU = range(9)
#: Numbers per schedule in the kernel's encoding (arguments, then a stateful schedule's state).
N_ARGS = 12
_PART = 1 + N_ARGS  # a code, then its arguments
_UNIT_OPEN_LOW = Interval(0.0, 1.0, low_closed=False, high_closed=True)
_UNIT = Interval(0.0, 1.0, low_closed=True, high_closed=True)
_PERS = ("epoch", "step")


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: what the kernel evaluates, and how it was asked for.

    Build one with the constructors of this module; ``None`` in
    ``fit(schedule=...)`` means a constant rate. ``per`` is ``"epoch"`` (the
    rate changes between epochs, as the tutorial steps its scheduler) or
    ``"step"`` (between updates, as warmups and ``one_cycle`` usually are).
    """

    name: str
    code: int
    args: tuple[float, ...]
    per: str = "epoch"
    arguments: tuple[tuple[str, Any], ...] = ()  # as the user gave them, for repr
    parts: tuple[Schedule, ...] = ()  # sequential only
    milestones: tuple[int, ...] = ()  # sequential only
    cycle_momentum: bool = False  # one_cycle (and a sequential holding one)

    def __repr__(self) -> str:
        shown = [repr(p) for p in self.parts] + [f"{k}={v!r}" for k, v in self.arguments]
        return f"{self.name}({', '.join(shown)})"


def _per(per: object) -> str:
    if per not in _PERS:
        raise ValueError(f"per must be 'epoch' or 'step', got {per!r}")
    return str(per)


def _make(name: str, code: int, args: tuple[float, ...], per: object, **arguments: Any) -> Schedule:
    per = _per(per)
    shown = tuple(arguments.items()) + ((("per", per),) if per != "epoch" else ())
    return Schedule(name, code, args, per, shown)


def _number(name: str, value: object, *, positive: bool) -> float:
    return check_real(name, value, POSITIVE if positive else NON_NEGATIVE)


def step(step_size: int, gamma: float = 0.1, *, per: str = "epoch") -> Schedule:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (PyTorch's ``StepLR``)."""
    size, g = check_integer("step_size", step_size, 1), _number("gamma", gamma, positive=True)
    return _make("step", STEP, (float(size), g), per, step_size=size, gamma=g)


def exponential(gamma: float, *, per: str = "epoch") -> Schedule:
    """Multiply the learning rate by ``gamma`` every epoch (PyTorch's ``ExponentialLR``)."""
    g = _number("gamma", gamma, positive=True)
    return _make("exponential", EXPONENTIAL, (g,), per, gamma=g)


def cosine(t_max: int, eta_min: float = 0.0, *, per: str = "epoch") -> Schedule:
    """Cosine annealing from the base rate to ``eta_min`` over ``t_max`` epochs (``CosineAnnealingLR``)."""
    t, e = check_integer("t_max", t_max, 1), _number("eta_min", eta_min, positive=False)
    return _make("cosine", COSINE, (float(t), e), per, t_max=t, eta_min=e)


def linear(
    start_factor: float = 1 / 3, end_factor: float = 1.0, total_iters: int = 5, *, per: str = "epoch"
) -> Schedule:
    """The rate moves linearly from ``start_factor`` to ``end_factor`` times the base over ``total_iters`` epochs.

    PyTorch's ``LinearLR``; with ``start_factor < end_factor`` the usual warmup.
    """
    s = check_real("start_factor", start_factor, _UNIT_OPEN_LOW)
    e = check_real("end_factor", end_factor, _UNIT)
    n = check_integer("total_iters", total_iters, 1)
    return _make("linear", LINEAR, (s, e, float(n)), per, start_factor=s, end_factor=e, total_iters=n)


def polynomial(total_iters: int = 5, power: float = 1.0, *, per: str = "epoch") -> Schedule:
    """Decay the rate to 0 over ``total_iters`` epochs as ``(1 - k / total_iters) ** power`` (``PolynomialLR``)."""
    n, pw = check_integer("total_iters", total_iters, 1), _number("power", power, positive=False)
    return _make("polynomial", POLYNOMIAL, (float(n), pw), per, total_iters=n, power=pw)


def cosine_warm_restarts(t_0: int, t_mult: int = 1, eta_min: float = 0.0, *, per: str = "epoch") -> Schedule:
    """Cosine annealing, restarted: cycle i lasts ``t_0 * t_mult**i`` epochs (``CosineAnnealingWarmRestarts``)."""
    t0, tm = check_integer("t_0", t_0, 1), check_integer("t_mult", t_mult, 1)
    e = _number("eta_min", eta_min, positive=False)
    return _make("cosine_warm_restarts", WARM_RESTARTS, (float(t0), float(tm), e), per, t_0=t0, t_mult=tm, eta_min=e)


def one_cycle(
    total_steps: int,
    max_lr: float | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    *,
    per: str = "step",
) -> Schedule:
    """The 1cycle policy (PyTorch's ``OneCycleLR``), stepped per update by default.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps`` steps, then anneals (``"cos"`` or
    ``"linear"``) to ``max_lr / (div_factor * final_div_factor)``; with
    ``three_phase`` it first comes back down to the start, as in the paper.
    ``max_lr=None`` takes the method's learning rate. With
    ``cycle_momentum`` the method's ``momentum`` (or ``beta1``) moves the
    other way, between ``max_momentum`` and ``base_momentum``; methods with
    neither are refused, as PyTorch refuses them. Past ``total_steps`` the
    final rate holds (PyTorch raises there).
    """
    steps = check_integer("total_steps", total_steps, 2)
    top = 0.0 if max_lr is None else _number("max_lr", max_lr, positive=True)
    pct = check_real("pct_start", pct_start, _UNIT)
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    cycle = check_flag("cycle_momentum", cycle_momentum)
    low_m = check_real("base_momentum", base_momentum, _UNIT)
    high_m = check_real("max_momentum", max_momentum, _UNIT)
    div = _number("div_factor", div_factor, positive=True)
    final = _number("final_div_factor", final_div_factor, positive=True)
    three = check_flag("three_phase", three_phase)
    # PyTorch's phases end at steps pct T - 1, (2 pct T - 2,) T - 1; a phase of no width divides 0 by 0.
    ends = (pct * steps - 1, 2 * pct * steps - 2, steps - 1.0) if three else (pct * steps - 1, steps - 1.0)
    for k, (begin, end) in enumerate(zip((0.0, *ends[:-1]), ends, strict=True)):
        if end == begin:
            raise ValueError(
                f"one_cycle with pct_start={pct} and total_steps={steps}{' (three_phase)' if three else ''} leaves "
                f"phase {k + 1} no steps (it begins and ends at step {begin:g}); change pct_start or total_steps"
            )
    args = (float(steps), pct, float(anneal_strategy == "cos"), div, final, float(three), top, low_m, high_m)
    shown = dict(
        total_steps=steps, max_lr=max_lr, pct_start=pct, anneal_strategy=anneal_strategy, cycle_momentum=cycle,
        base_momentum=low_m, max_momentum=high_m, div_factor=div, final_div_factor=final, three_phase=three,
    )  # fmt: skip
    return replace(_make("one_cycle", ONE_CYCLE, args, per, **shown), cycle_momentum=cycle)


def sequential(*schedules: Schedule, milestones: list[int] | tuple[int, ...]) -> Schedule:
    """One schedule after another (PyTorch's ``SequentialLR``): e.g. a warmup, then cosine.

    Schedule i runs from ``milestones[i - 1]`` (its own epoch or step 0) to
    ``milestones[i]``; all of them start from the method's learning rate and
    are stepped the same way (``per``). ``reduce_on_plateau`` cannot be a part.
    """
    if len(schedules) < 2 or not all(isinstance(s, Schedule) for s in schedules):
        raise TypeError("sequential takes two or more schedules made by fastopt.schedules, then milestones=[...]")
    if any(s.code == PLATEAU or s.parts for s in schedules):
        raise ValueError("sequential cannot contain reduce_on_plateau or another sequential")
    pers = {s.per for s in schedules}
    if len(pers) > 1:
        raise ValueError("the schedules in sequential must all be stepped the same way (per='epoch' or per='step')")
    if not isinstance(milestones, (list, tuple)):
        raise TypeError(f"milestones must be a list of step or epoch numbers, got {type(milestones).__name__}")
    marks = tuple(check_integer("milestones", m, 1) for m in milestones)
    if len(marks) != len(schedules) - 1 or list(marks) != sorted(set(marks)):
        raise ValueError(
            f"milestones must be {len(schedules) - 1} increasing step or epoch numbers (one fewer than the "
            f"schedules), got {list(milestones)}"
        )
    return Schedule(
        "sequential", -1, (), pers.pop(), (("milestones", list(marks)),), parts=tuple(schedules), milestones=marks,
        cycle_momentum=any(s.cycle_momentum for s in schedules),
    )  # fmt: skip


def reduce_on_plateau(
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> Schedule:
    """Cut the rate by ``factor`` when the epoch's training loss stops improving (``ReduceLROnPlateau``, mode min).

    An epoch improves on the best loss so far when ``loss < best * (1 -
    threshold)`` (``threshold_mode="rel"``) or ``loss < best - threshold``
    (``"abs"``). After more than ``patience`` epochs without improvement the
    rate becomes ``max(rate * factor, min_lr)`` (unless that changes it by
    ``eps`` or less), then ``cooldown`` epochs pass before counting again.
    Stateful: the state lives in the run's arrays, so a resumed run
    (``partial_fit``) carries it on. Stepped per epoch only.
    """
    f = check_real("factor", factor, Interval(0.0, 1.0, low_closed=False, high_closed=False))
    wait = check_integer("patience", patience, 0)
    thr = _number("threshold", threshold, positive=False)
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
    cool = check_integer("cooldown", cooldown, 0)
    floor = _number("min_lr", min_lr, positive=False)
    e = _number("eps", eps, positive=False)
    args = (f, float(wait), thr, float(threshold_mode == "rel"), float(cool), floor, e)
    return _make(
        "reduce_on_plateau", PLATEAU, args, "epoch", factor=f, patience=wait, threshold=thr,
        threshold_mode=threshold_mode, cooldown=cool, min_lr=floor, eps=e,
    )  # fmt: skip


def momentum_index(schedule: Schedule | None, method: Method) -> int:
    """Position in ``hp`` of the hyperparameter ``one_cycle`` cycles (``momentum`` or ``beta1``), or -1.

    Raises ValueError when the schedule cycles momentum and the method has none.
    """
    if schedule is None or not schedule.cycle_momentum:
        return -1
    names = [h.name for h in method.hyperparameters]
    for name in ("momentum", "beta1"):
        if name in names:
            return names.index(name)
    raise ValueError(
        f"one_cycle(cycle_momentum=True) needs a method with a momentum or beta1; {method.name!r} has neither "
        "(pass cycle_momentum=False)"
    )


#: Slot of the kernel's schedule array that is 1.0 when ``one_cycle`` cycles the beta1 of a rule keeping
#: ``beta1**t`` as a running product in ``state[2, 0]``, which the kernels then recompute with the new beta1.
BETA1_POWER = 3
#: Layout of the kernel's schedule array: [per step?, momentum index, parts, beta1 power?, milestones..., parts...]
_HEAD = 4
_LR, _BEST, _BAD, _COOLING = 7, 8, 9, 10  # reduce_on_plateau's state, after its seven arguments


def kernel_schedule(schedule: Schedule | None, method: Method, learning_rate: float) -> np.ndarray:
    """The kernel's float64 encoding of ``schedule`` for a run of ``method`` at base rate ``learning_rate``.

    ``[per_step, momentum index (-1: none), n parts, beta1 power (see :data:`BETA1_POWER`), n - 1
    milestones, then per part: code and N_ARGS numbers]``. A run keeps its array for its whole length:
    ``reduce_on_plateau`` keeps its state there.
    """
    parts = (schedule,) if schedule is None or not schedule.parts else schedule.parts
    out = np.zeros(_HEAD + len(parts) - 1 + len(parts) * _PART)
    out[0] = schedule is not None and schedule.per == "step"
    out[1] = momentum_index(schedule, method)
    out[2] = len(parts)
    out[BETA1_POWER] = out[1] >= 0 and method.keeps_beta1_power
    if schedule is not None and schedule.milestones:
        out[_HEAD : _HEAD + len(parts) - 1] = schedule.milestones
    for j, part in enumerate(parts):
        at = _HEAD + len(parts) - 1 + j * _PART
        out[at] = CONSTANT if part is None else part.code
        if part is not None:
            out[at + 1 : at + 1 + len(part.args)] = part.args
            if part.code == PLATEAU:
                out[at + 1 + _LR], out[at + 1 + _BEST] = learning_rate, math.inf
    return out


@jit
def _anneal(start: float, end: float, pct: float, cos: bool) -> float:
    if cos:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)
    return (end - start) * pct + start


@jit
def _one_cycle(a: np.ndarray, base: float, k: int, hp: np.ndarray, momentum_at: int) -> float:
    """OneCycleLR's rate at step ``k``, writing the cycled momentum into ``hp[momentum_at]`` (if >= 0)."""
    total, pct_start, cos, div = a[0], a[1], a[2] != 0.0, a[3]
    top = a[6] if a[6] > 0.0 else base
    start = top / div
    end = start / a[4]
    low_m, high_m = a[7], a[8]
    step_num = min(float(k), total - 1.0)
    up = pct_start * total - 1.0
    # Phases as (end step, lr from, lr to, momentum from, momentum to); PyTorch's table.
    if a[5] != 0.0:
        ends = (up, 2.0 * pct_start * total - 2.0, total - 1.0)
        lrs = ((start, top), (top, start), (start, end))
        moms = ((high_m, low_m), (low_m, high_m), (high_m, high_m))
        n_phases = 3
    else:
        ends = (up, total - 1.0, total - 1.0)
        lrs = ((start, top), (top, end), (top, end))
        moms = ((high_m, low_m), (low_m, high_m), (low_m, high_m))
        n_phases = 2
    begin = 0.0
    for i in range(n_phases):
        if step_num <= ends[i] or i == n_phases - 1:
            pct = (step_num - begin) / (ends[i] - begin)
            if momentum_at >= 0:
                hp[momentum_at] = _anneal(moms[i][0], moms[i][1], pct, cos)
            return _anneal(lrs[i][0], lrs[i][1], pct, cos)
        begin = ends[i]
    return base


@jit
def _part_rate(code: int, a: np.ndarray, base: float, k: int, hp: np.ndarray, momentum_at: int) -> float:
    """Rate of one schedule at its own epoch or step ``k`` (from 0), base rate ``base``."""
    if code == STEP:
        return base * a[1] ** (k // np.int64(a[0]))
    if code == EXPONENTIAL:
        return base * a[0] ** k
    if code == COSINE:
        return a[1] + (base - a[1]) * (1.0 + math.cos(math.pi * k / a[0])) / 2.0
    if code == LINEAR:
        return base * (a[0] + (a[1] - a[0]) * min(k, a[2]) / a[2])
    if code == POLYNOMIAL:
        return base * (1.0 - min(k, a[0]) / a[0]) ** a[1]
    if code == WARM_RESTARTS:
        t_i, t_cur = a[0], float(k)
        while t_cur >= t_i:  # at most log(k) cycles when t_mult > 1
            t_cur -= t_i
            t_i *= a[1]
            if a[1] == 1.0:  # equal cycles: skip to the last one at once
                t_cur = t_cur % t_i
        return a[2] + (base - a[2]) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0
    if code == ONE_CYCLE:
        return _one_cycle(a, base, k, hp, momentum_at)
    if code == PLATEAU:
        return a[_LR]
    return base


@jit(inline="always")
def constant_rate(schedule: np.ndarray, base: float, epoch: int, t: int, hp: np.ndarray) -> float:
    """:func:`learning_rate_at` of a run without a schedule, which is ``base`` (for kernels compiled without
    schedules, :mod:`fastopt.engine.variants`)."""
    return base


@jit
def learning_rate_at(schedule: np.ndarray, base: float, epoch: int, t: int, hp: np.ndarray) -> float:
    """Learning rate of the update after ``t`` updates, in ``epoch`` (from 0), for the encoded ``schedule``.

    A per-epoch schedule is a function of ``epoch``, a per-step one of ``t``.
    ``one_cycle`` also writes the cycled momentum into ``hp``.
    """
    k = t if schedule[0] != 0.0 else epoch
    n = np.int64(schedule[2])
    j = 0
    offset = 0
    while j < n - 1 and k >= schedule[_HEAD + j]:
        offset = np.int64(schedule[_HEAD + j])
        j += 1
    at = _HEAD + n - 1 + j * _PART
    return _part_rate(np.int64(schedule[at]), schedule[at + 1 : at + _PART], base, k - offset, hp,
                      np.int64(schedule[1]))  # fmt: skip


@jit(inline="always")  # once per epoch in a driver: inlined, one compiled function fewer
def after_epoch(schedule: np.ndarray, loss: float) -> None:
    """Step a stateful schedule with the epoch's training loss (``reduce_on_plateau``); others ignore it."""
    at = _HEAD + np.int64(schedule[2]) - 1
    if schedule[at] != PLATEAU:
        return
    a = schedule[at + 1 : at + _PART]
    factor, patience, threshold, relative, cooldown, min_lr, eps = a[0], a[1], a[2], a[3] != 0.0, a[4], a[5], a[6]
    better = loss < a[_BEST] * (1.0 - threshold) if relative else loss < a[_BEST] - threshold
    if better:
        a[_BEST] = loss
        a[_BAD] = 0.0
    else:
        a[_BAD] += 1.0
    if a[_COOLING] > 0.0:
        a[_COOLING] -= 1.0
        a[_BAD] = 0.0
    if a[_BAD] > patience:
        new = max(a[_LR] * factor, min_lr)
        if a[_LR] - new > eps:
            a[_LR] = new
        a[_COOLING] = cooldown
        a[_BAD] = 0.0
