"""``fastopt.minimize``: every method and schedule of ``fit``, on a test function instead of data.

One update per step with the function's gradient at the current point (plus,
with ``noise``, Gaussian noise from the run's own generator: a stand-in for
minibatch noise), in one compiled loop. The path, the value at every step
and, with ``record_state=True``, the optimizer's state and the gradient at
every step come back, so a user can see why each step was taken.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numba import types

from ..engine.chunks import epoch_chunks
from ..engine.jit import one_signature
from ..engine.record import store_row
from ..engine.shuffle import gaussian, new_state
from ..engine.status import DIVERGED, MAX_EPOCHS, all_finite
from ..engine.variants import for_call
from ..functions import GRADIENT_TYPE, VALUE_TYPE, TestFunction, get_function
from ..methods import NON_NEGATIVE, HyperValue, by_address, fresh_state, get_method, state_width
from ..methods.dispatch import apply_rule, begin_epoch, end_epoch, rate_at
from ..methods.rule import RULE_TYPE, Rule
from ..schedules import Schedule, kernel_schedule
from .checks import check_array, check_flag, check_integer, check_real
from .result import frozen
from .unscaled import caller_stacklevel
from .validation import (
    check_schedule,
    kernel_hyperparameters,
    resolve_hyperparameters,
    seed_value,
)

__all__ = ["minimize", "MinimizeResult"]

#: At most this many steps in one call (the path alone would be 800 MB per coordinate).
MAX_STEPS = 10**8

_F1, _F2, _F3 = types.float64[::1], types.float64[:, ::1], types.float64[:, :, ::1]
_CONSTANTS = types.Array(types.float64, 1, "C", readonly=True)
_I, _F = types.int64, types.float64


@one_signature(
    types.UniTuple(_I, 2)(
        VALUE_TYPE, GRADIENT_TYPE, _CONSTANTS, _I, RULE_TYPE, _F1, _F1, _F1, _F2, types.uint64[::1], _F, _F1, _F2,
        _F1, _F3, _F2, _I, _I,
    )
)  # fmt: skip
def minimize_kernel(
    value: Any,
    gradient: Any,
    constants: np.ndarray,
    code: int,
    user: Any,
    hp: np.ndarray,
    schedule: np.ndarray,
    x: np.ndarray,
    state: np.ndarray,
    rng_state: np.ndarray,
    noise: float,
    grad: np.ndarray,
    path: np.ndarray,
    values: np.ndarray,
    states: np.ndarray,
    grads: np.ndarray,
    start: int,
    stop: int,
) -> tuple[int, int]:
    """Steps ``start .. stop - 1`` (``start`` updates made before) on ``x`` in place; returns ``(steps, status)``.

    Row ``t + 1`` of ``values`` (and of ``path``, ``states``, ``grads`` when
    they have rows; ``grads`` and ``states`` row ``t``) receives step ``t``'s
    result. Schedules count steps whether stepped per epoch or per step.
    """
    hp = hp.copy()  # one_cycle writes the momentum it cycles into it
    for t in range(start, stop):
        begin_epoch(code, user, x, state, hp, t)  # schedule-free: from the average back to y; wrappers start
        grad[:] = 0.0  # a user's gradient that leaves entries unwritten still gives a function of its inputs
        gradient(x, constants, grad)
        if noise > 0.0:
            gaussian(grad, noise, rng_state)
        if grads.shape[0] > 0:
            store_row(grads, t, grad)
        lr = rate_at(schedule, state, hp, t, t)
        apply_rule(code, user, x, grad, state, lr, hp, t + 1)
        end_epoch(code, user, x, state, hp, t + 1)
        f = value(x, constants)
        values[t + 1] = f
        if path.shape[0] > 0:
            store_row(path, t + 1, x)
        if states.shape[0] > 0:
            for row in range(state.shape[0]):
                store_row(states[t], row, state[row])
        if not (math.isfinite(f) and all_finite(x)):
            return t + 1, DIVERGED
    return stop, MAX_EPOCHS


@dataclass(frozen=True, eq=False)
class MinimizeResult:
    """What :func:`fastopt.minimize` returns. All arrays are read-only.

    Attributes
    ----------
    function : TestFunction
    method : str
    hyperparameters : Mapping[str, value]
        Every hyperparameter as used (defaults resolved).
    x : ndarray, shape (dim,)
        The final point (the schedule-free methods: their average).
    value : float
        ``f(x)``.
    values : ndarray, shape (steps_run + 1,)
        ``f`` at the start and after every step (without noise).
    path : ndarray, shape (steps_run + 1, dim), or None
        The start and the point after every step (``record_path=True``).
    status : str
        ``"max_steps"`` or ``"diverged"`` (the value or a coordinate stopped
        being finite; a ``RuntimeWarning`` says at which step).
    steps_run : int
    seed : int
        Reproduces the noise (drawn fresh when ``seed=None``).
    noise : float
        Standard deviation of the Gaussian noise added to each gradient element.
    schedule : Schedule or None
    state_names : tuple of str
        The rows of ``states``.
    states : ndarray, shape (steps_run, rows, dim), or None
        The optimizer's state after every step (``record_state=True``), e.g.
        Adam's ``exp_avg`` and ``exp_avg_sq``.
    gradients : ndarray, shape (steps_run, dim), or None
        The gradient each step used, noise included (``record_state=True``).
    """

    function: TestFunction
    method: str
    hyperparameters: MappingProxyType[str, HyperValue]
    x: np.ndarray
    value: float
    values: np.ndarray
    path: np.ndarray | None
    status: str
    steps_run: int
    seed: int
    noise: float
    schedule: Schedule | None
    state_names: tuple[str, ...]
    states: np.ndarray | None
    gradients: np.ndarray | None

    @property
    def effective_step_size(self) -> np.ndarray:
        """Per step and coordinate, ``-(x_{t+1} - x_t) / g_t``: the learning rate plain SGD would have needed.

        Adam's is ``lr * m_hat / (sqrt(v_hat) + eps) / g``, large where
        gradients have been small. NaN where ``g`` is 0. Needs
        ``record_path=True`` and ``record_state=True``.
        """
        if self.path is None or self.gradients is None:
            raise ValueError("effective_step_size needs minimize(..., record_path=True, record_state=True)")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = -np.diff(self.path, axis=0) / self.gradients
        ratio[self.gradients == 0] = np.nan
        return ratio

    def __repr__(self) -> str:
        return (
            f"MinimizeResult(function={self.function.name!r}, method={self.method!r}, status={self.status!r}, "
            f"steps_run={self.steps_run}, value={self.value:.6g}, x={np.array2string(self.x, precision=6)})"
        )


@dataclass(frozen=True)
class Task:
    """A validated minimize call: what the kernel and the NumPy reference both run."""

    function: TestFunction
    method: Any
    hyperparameters: dict[str, HyperValue]
    hp: np.ndarray
    x0: np.ndarray
    steps: int
    noise: float
    seed: int
    schedule: Schedule | None
    record_path: bool
    record_state: bool

    def rng_state(self) -> np.ndarray:
        return new_state(np.random.SeedSequence(self.seed))


def prepare(
    function: Any,
    x0: Any,
    method: Any,
    steps: Any,
    noise: Any,
    seed: Any,
    schedule: Any,
    record_path: Any,
    record_state: Any,
    hyperparameters: dict[str, Any],
) -> Task:
    """Check the arguments of :func:`minimize`, naming the one at fault."""
    f = get_function(function)
    row = get_method(method, hyperparameters.get("base"))
    resolved = resolve_hyperparameters(row, hyperparameters)
    if x0 is None:
        start = np.array(f.start, dtype=np.float64)
    else:
        start = check_array("x0", x0, (1,)).copy()
        if start.shape != (f.dim,):
            raise ValueError(f"x0 must have {f.dim} numbers for {f.name} (dim={f.dim}), got shape {start.shape}")
    return Task(
        function=f,
        method=row,
        hyperparameters=resolved,
        hp=kernel_hyperparameters(resolved),
        x0=start,
        steps=check_integer("steps", steps, 0, MAX_STEPS),
        noise=check_real("noise", noise, NON_NEGATIVE),
        seed=seed_value(seed),
        schedule=check_schedule(schedule),
        record_path=check_flag("record_path", record_path),
        record_state=check_flag("record_state", record_state),
    )


def minimize(
    function: Any,
    x0: Any = None,
    method: str | Rule = "adam",
    *,
    steps: int = 1000,
    noise: float = 0.0,
    seed: int | None = None,
    schedule: Schedule | None = None,
    record_path: bool = True,
    record_state: bool = False,
    **hyperparameters: Any,
) -> MinimizeResult:
    """Minimize a test function with any method and schedule of :func:`fastopt.fit`.

    Parameters
    ----------
    function : str or TestFunction
        A name from :data:`fastopt.functions.FUNCTIONS` (its 2-D form) or a
        :class:`~fastopt.functions.TestFunction` (any dimension, or your own).
    x0 : array_like, optional
        The start; default the function's ``start``.
    method : str or fastopt.Rule, default "adam"
        Any of :data:`fastopt.METHODS`, or a :class:`fastopt.Rule`; its hyperparameters by keyword
        (``learning_rate=0.01``, ``beta1=0.8``, ``base="sgd"``, ...).
    steps : int >= 0, default 1000
        Updates to make (fewer if the run diverges).
    noise : float >= 0, default 0
        Standard deviation of Gaussian noise added to every gradient element,
        drawn from the run's own generator (``seed``): a stand-in for
        minibatch noise.
    seed : int, optional
        Seeds the noise; the result's ``seed`` reproduces the run.
    schedule : Schedule, optional
        A learning-rate schedule; epochs and steps are both steps here.
    record_path, record_state : bool
        Keep the point after every step; keep the optimizer's state and the
        gradient of every step (see :attr:`MinimizeResult.effective_step_size`).

    Examples
    --------
    >>> import fastopt
    >>> r = fastopt.minimize("rosenbrock", method="adam", learning_rate=0.05, steps=3000)
    >>> r.status, round(r.value, 6) < 1e-4
    ('max_steps', True)
    """
    task = prepare(function, x0, method, steps, noise, seed, schedule, record_path, record_state, hyperparameters)
    return run(task)


def run(task: Task) -> MinimizeResult:
    """Run a validated :class:`Task` in the compiled kernel, in chunks (Ctrl-C stops it between them)."""
    f, n, steps = task.function, task.function.dim, task.steps
    x = task.x0.copy()
    rows = len(task.method.state_names)
    state = fresh_state(task.method, task.hyperparameters, state_width(n))
    schedule = kernel_schedule(task.schedule, task.method, float(task.hp[0]))
    rng_state = task.rng_state()
    values = np.full(steps + 1, np.nan)
    values[0] = f(x)
    path = np.zeros((steps + 1 if task.record_path else 0, n))
    if task.record_path:
        path[0] = x
    states = np.zeros((steps if task.record_state else 0, rows, state_width(n)))
    grads = np.zeros((steps if task.record_state else 0, n))
    done, status = 0, MAX_EPOCHS
    code, rule = by_address(task.method)  # one kernel for every method, each rule compiled apart
    kernel = for_call(minimize_kernel, kinds=(), codes=[code], scheduled=task.schedule is not None,
                      unused=[gaussian] if task.noise == 0.0 else [])  # fmt: skip
    for first, last in epoch_chunks(0, steps, 20 * n):
        done, status = kernel(
            f.value, f.gradient, f.constants, code, rule, task.hp, schedule, x, state, rng_state, task.noise,
            np.zeros(n), path, values, states, grads, first, last,
        )  # fmt: skip
        if status == DIVERGED:
            break
    return finish(task, x, values, path, states[:, :, :n], grads, done, status)


def finish(task: Task, x: np.ndarray, values: np.ndarray, path: np.ndarray, states: np.ndarray, grads: np.ndarray,
           done: int, status: int) -> MinimizeResult:  # fmt: skip
    """Package a run (the kernel's or the reference's) as a :class:`MinimizeResult`, warning on divergence."""
    if status == DIVERGED:
        warnings.warn(
            f"minimize: {task.method.name} diverged at step {done} on {task.function.name} (value {values[done]!r}); "
            "lower the learning rate",
            RuntimeWarning,
            stacklevel=caller_stacklevel(),
        )

    return MinimizeResult(
        function=task.function,
        method=task.method.name,
        hyperparameters=MappingProxyType(dict(task.hyperparameters)),
        x=frozen(x),
        value=float(values[done]),
        values=frozen(values[: done + 1]),
        path=frozen(path[: done + 1]) if task.record_path else None,
        status="diverged" if status == DIVERGED else "max_steps",
        steps_run=done,
        seed=task.seed,
        noise=task.noise,
        schedule=task.schedule,
        state_names=task.method.state_names,
        states=frozen(states[:done]) if task.record_state else None,
        gradients=frozen(grads[:done]) if task.record_state else None,
    )
