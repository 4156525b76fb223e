"""Plain NumPy reference: the same algorithms as the kernels, written for clarity.

``fastopt.reference.fit`` takes the same arguments and returns the same
:class:`~fastopt.FitResult` as :func:`fastopt.fit`. It loops over epochs and
minibatches in Python and computes each batch's gradient with NumPy, the way
the tutorial does. It is the oracle the tests compare the kernels with, and
the speed baseline of the benchmarks. For identical results it draws its
permutations from the same generator as the kernel (:mod:`fastopt.engine.shuffle`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from . import methods
from .api import minimize as _minimize_module
from .api import optimize
from .api.result import FitResult, finish
from .api.validation import Problem, prepare
from .engine.param_groups import NO_DECAY, is_bias
from .engine.shuffle import gaussian
from .engine.shuffle import shuffle as shuffle_in_place
from .engine.status import DIVERGED, MAX_EPOCHS, STALLED
from .models.matrix_form import batch_gradient, mean_loss
from .schedules import after_epoch, kernel_schedule, learning_rate_at

__all__ = ["fit", "minimize", "STEPS"]

Hyper = dict  # name -> value, as in FitResult.hyperparameters

#: Each method's NumPy step ``(p, g, state, lr, h, t)``, from its file in :mod:`fastopt.methods`
#: (Lookahead's over its default base; :func:`fastopt.methods.reference` gives any base's).
STEPS: Mapping[str, Callable[..., None]] = MappingProxyType(
    {m.name: methods.reference(m).step for m in methods.REGISTRY}
)


class _Rates:
    """The learning rate of each update from the kernel's closed forms (the tests check those against PyTorch's
    recursions separately), and the momentum ``one_cycle`` cycles, written where the steps read it."""

    def __init__(self, schedule: Any, method: Any, hp: np.ndarray):
        self.schedule = kernel_schedule(schedule, method, float(hp[0]))
        self.hp = hp.copy()  # the kernel's form, where one_cycle writes the momentum
        at = int(self.schedule[1])
        self.cycled = (method.hyperparameters[at].name, at) if at >= 0 else None

    def at(self, epoch: int, t: int, hyper: Hyper) -> float:
        """The rate of the update after ``t`` updates, in ``epoch``; updates ``hyper``'s cycled momentum."""
        lr = learning_rate_at(self.schedule, float(self.hp[0]), epoch, t, self.hp)
        if self.cycled is not None:
            name, at = self.cycled
            hyper[name] = float(self.hp[at])
        return lr


def run_problem(problem: Problem) -> FitResult:
    """Run a validated problem with NumPy loops."""
    n = problem.X.shape[0]
    params = problem.init.copy()
    groups = _Groups(problem)
    hyper = dict(problem.hyperparameters)
    rule = methods.reference(problem.method)
    rng_state = problem.rng_state.copy()
    index = np.arange(n, dtype=np.uint32)  # the kernel's type, so the shuffle compiles once
    losses, path = [], []
    steps, every = problem.path_unit == "steps", problem.record_every
    status = MAX_EPOCHS
    previous = np.inf
    t = problem.start_step
    rates = _Rates(problem.schedule, problem.method, problem.hp)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in range(problem.epochs):
            if problem.shuffle:
                shuffle_in_place(index, rng_state)
            groups.hook(rule.begin_epoch, params, hyper, t)
            for start in range(0, n, problem.batch_size):
                grad = batch_gradient(problem, params, index[start : start + problem.batch_size])
                if problem.maximize:
                    grad = -grad
                lr = rates.at(epoch, t, hyper)
                t += 1
                groups.step(rule.step, params, grad, lr, hyper, t)
                if steps and (t - problem.start_step) % every == 0:
                    path.append(params.copy())
            groups.hook(rule.end_epoch, params, hyper, t)
            loss = mean_loss(problem, params, problem.X, problem.y)
            after_epoch(rates.schedule, loss)
            losses.append(loss)
            if not steps and (epoch + 1) % every == 0:
                path.append(params.copy())
            if not (np.isfinite(loss) and np.isfinite(params).all()):
                status = DIVERGED
                break
            if abs(previous - loss) < problem.threshold:
                status = STALLED
                break
            previous = loss
    epochs_run = len(losses)
    path_array = np.array(path).reshape(-1, params.shape[0])
    return finish(problem, params, np.array(losses), epochs_run, t, status, path_array, groups.kernel_state())


class _Groups:
    """The parameter groups of a run: all parameters, or the weights and the biases (``decay_biases=False``,
    the biases stepped with ``weight_decay`` 0), each with its own state, as torch.optim's param groups."""

    def __init__(self, problem: Problem):
        p = problem.init.shape[0]
        bias = is_bias(problem.spec) if problem.spec[NO_DECAY] else np.zeros(p, dtype=bool)
        self.parts = [np.flatnonzero(~bias), np.flatnonzero(bias)] if bias.any() else [np.arange(p)]
        # Two groups: max(n, 2) columns each, as the kernels (see _padded).
        widths = (
            [_width(problem.method, p)] if len(self.parts) == 1 else [methods.state_width(len(q)) for q in self.parts]
        )
        self.states = [methods.fresh_state(problem.method, problem.hyperparameters, w) for w in widths]
        if problem.start_state is not None:  # its cached rows are unused here: the NumPy steps compute powers
            rows = problem.start_state.shape[0] // len(self.parts)
            for g, state in enumerate(self.states):
                state[:] = problem.start_state[g * rows : (g + 1) * rows, : state.shape[1]]

    def step(self, step: Callable[..., None], params: np.ndarray, grad: np.ndarray, lr: float, hyper: Hyper,
             t: int) -> None:  # fmt: skip
        """``step(parameters, gradient, state, lr, hyperparameters, t)`` on each group, in place."""
        for values, state, h, part in self._each(params, hyper):
            step(values, _padded(grad, part, state), state, lr, h, t)

    def hook(self, hook: Callable[..., None], params: np.ndarray, hyper: Hyper, t: int) -> None:
        """An epoch hook ``hook(parameters, state, hyperparameters, t)`` on each group, in place."""
        for values, state, h, _ in self._each(params, hyper):
            hook(values, state, h, t)

    def _each(self, params: np.ndarray, hyper: Hyper) -> Iterator[tuple[np.ndarray, np.ndarray, Hyper, Any]]:
        if len(self.parts) == 1:
            yield params, self.states[0], hyper, slice(None)
            return
        for g, (part, state) in enumerate(zip(self.parts, self.states, strict=True)):
            values = _padded(params, part, state)
            yield values, state, hyper if g == 0 else {**hyper, "weight_decay": 0.0}, part
            params[part] = values[: len(part)]

    def kernel_state(self) -> np.ndarray:
        """The state in the kernels' layout (the groups' rows one after the other, each in its first columns)."""
        if len(self.states) == 1:
            return self.states[0]
        width = max(len(self.parts[0]) + len(self.parts[1]), *(state.shape[1] for state in self.states))
        out = np.zeros((sum(state.shape[0] for state in self.states), width))
        rows = self.states[0].shape[0]
        for g, state in enumerate(self.states):
            out[g * rows : (g + 1) * rows, : state.shape[1]] = state
        return out


def _padded(values: np.ndarray, part: np.ndarray, state: np.ndarray) -> np.ndarray:
    """``values[part]`` followed by zeros, as wide as the group's ``state``; ``values`` itself for one group.

    A group may hold one parameter (the intercept), and some NumPy steps keep two scalars in one state row;
    a zero parameter with a zero gradient changes no other (the rules are element-wise).
    """
    if isinstance(part, slice):
        return values
    return np.concatenate([values[part], np.zeros(state.shape[1] - len(part))])


def _width(method: methods.Method, n_params: int) -> int:
    """Columns of the state here: one per parameter for the NumPy steps; a user's rule gets the kernels'
    ``max(p, 2)`` of its contract (its compiled step may keep scalars in two columns)."""
    return methods.state_width(n_params) if method.rule is not None else n_params


def fit(x: Any, y: Any, method: Any = "adam", **options: Any) -> FitResult:
    """NumPy reference for :func:`fastopt.fit`: same arguments, same result, slower.

    See :func:`fastopt.fit` for the parameters.
    """
    bound = _FIT_SIGNATURE.bind(x, y, method, **options)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    return run_problem(prepare(hyperparameters=arguments.pop("hyperparameters"), **arguments))


_FIT_SIGNATURE = inspect.signature(optimize.fit)
fit.__signature__ = _FIT_SIGNATURE  # type: ignore[attr-defined]


def minimize(function: Any, x0: Any = None, method: Any = "adam", **options: Any) -> Any:
    """NumPy reference for :func:`fastopt.minimize`: same arguments, same result, slower.

    The noise comes from the same generator (:func:`fastopt.engine.shuffle.gaussian`),
    so a seeded noisy run is reproduced too.
    """
    bound = _MINIMIZE_SIGNATURE.bind(function, x0, method, **options)
    bound.apply_defaults()
    task = _minimize_module.prepare(**bound.arguments)  # minimize's parameters, by name
    f, n = task.function, task.function.dim
    x = task.x0.copy()
    state = methods.fresh_state(task.method, task.hyperparameters, _width(task.method, n))
    hyper = dict(task.hyperparameters)
    rule = methods.reference(task.method)
    rates = _Rates(task.schedule, task.method, task.hp)
    rng_state = task.rng_state()
    values, path, states, grads = [f(x)], [x.copy()], [], []
    status = MAX_EPOCHS
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(task.steps):
            rule.begin_epoch(x, state, hyper, t)
            g = f.grad(x)
            if task.noise > 0:
                gaussian(g, task.noise, rng_state)
            grads.append(g.copy())
            lr = rates.at(t, t, hyper)
            rule.step(x, g, state, lr, hyper, t + 1)
            rule.end_epoch(x, state, hyper, t + 1)
            values.append(f(x))
            path.append(x.copy())
            states.append(state.copy())
            if not (np.isfinite(values[-1]) and np.isfinite(x).all()):
                status = DIVERGED
                break
    done = len(values) - 1
    states_array = np.array(states).reshape(done, *state.shape)
    grads_array = np.array(grads).reshape(done, n)
    return _minimize_module.finish(task, x, np.array(values), np.array(path), states_array, grads_array, done, status)


_MINIMIZE_SIGNATURE = inspect.signature(_minimize_module.minimize)
minimize.__signature__ = _MINIMIZE_SIGNATURE  # type: ignore[attr-defined]
