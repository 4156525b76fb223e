"""Plain NumPy reference: the same algorithms as the kernels, written for clarity.

``fastopt.reference.fit`` takes the same arguments and returns the same
:class:`~fastopt.FitResult` as :func:`fastopt.fit`. It loops over epochs and
minibatches in Python and computes each batch's gradient with NumPy, the way
the tutorial does. It is the oracle the tests compare the kernels with, and
the speed baseline of the benchmarks. For identical results it draws its
permutations from the same generator as the kernel (:mod:`fastopt.shuffle`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from . import minimize as _minimize_module
from . import optimize
from .kernels import DIVERGED, MAX_EPOCHS, STALLED
from .matrix_form import batch_gradient, mean_loss
from .result import FitResult, finish
from .schedules import after_epoch, kernel_schedule, learning_rate_at
from .shuffle import gaussian
from .shuffle import shuffle as shuffle_in_place
from .validation import Problem, prepare

__all__ = ["fit", "minimize", "STEPS"]

Hyper = dict  # name -> value, as in FitResult.hyperparameters


def _gradient(p: np.ndarray, g: np.ndarray, h: Hyper) -> np.ndarray:
    """The gradient the rule uses: clipped (where the method clips), plus the L2 term."""
    clip_value = h.get("clip_value")
    if clip_value is not None:
        g = np.clip(g, -clip_value, clip_value)
    return g + h.get("weight_decay", 0.0) * p


def sgd_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    g = _gradient(p, g, h)
    if h["momentum"] != 0:
        buf = state[0]
        buf[:] = g if t == 1 else h["momentum"] * buf + (1 - h["dampening"]) * g
        g = buf
    p -= lr * g


def momentum_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    v = state[0]
    v[:] = h["momentum"] * v + lr * _gradient(p, g, h)
    p -= v


def nesterov_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    buf = state[0]
    g = _gradient(p, g, h)
    buf[:] = h["momentum"] * buf + g
    p -= lr * (g + h["momentum"] * buf)


def rmsprop_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s, buf, a = state[0], state[1], state[2]
    beta = h["beta"]
    g = _gradient(p, g, h)
    s[:] = beta * s + (1 - beta) * g**2
    if h["centered"]:
        a[:] = beta * a + (1 - beta) * g
        d = np.sqrt(s - a**2) + h["epsilon"]
    else:
        d = np.sqrt(s) + h["epsilon"]
    if h["momentum"] != 0:
        buf[:] = h["momentum"] * buf + g / d
        p -= lr * buf
    else:
        p -= lr * g / d


def adagrad_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s = state[0]
    g = _gradient(p, g, h)
    s += g**2
    p -= lr * g / (np.sqrt(s) + h["epsilon"])


def adam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    # state[2] is the kernel's cache of b1**t, b2**t; here they are computed.
    m, v, v_max = state[0], state[1], state[3]
    b1, b2 = h["beta1"], h["beta2"]
    g = _gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    if h["amsgrad"]:
        np.maximum(v_max, v, out=v_max)
    corrected = h.get("bias_correction", True)
    m_hat = m / (1 - b1**t) if corrected else m
    v_hat = (v_max if h["amsgrad"] else v) / (1 - b2**t if corrected else 1.0)
    p -= lr * m_hat / (np.sqrt(v_hat) + h["epsilon"])


def adamw_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    p *= 1 - lr * h["weight_decay"]
    adam_step(p, g, state, lr, {**h, "weight_decay": 0.0}, t)


def _penalized(p: np.ndarray, g: np.ndarray, lr: float, h: Hyper) -> np.ndarray:
    """Decoupled decay applied to ``p`` (returning ``g``), or the L2 term added to ``g``."""
    if h.get("decoupled_weight_decay"):
        p *= 1 - lr * h["weight_decay"]
        return g
    return g + h["weight_decay"] * p


def adamax_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, u = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = _gradient(p, g, h)
    m[:] = b1 * m + (1 - b1) * g
    u[:] = np.maximum(b2 * u, np.abs(g) + h["epsilon"])
    p -= lr / (1 - b1**t) * m / u


def nadam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    # state[2, 0] holds mu_1 * ... * mu_{t-1} (the product of the momentum schedule so far).
    m, v = state[0], state[1]
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    g = _penalized(p, g, lr, h)
    mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * psi)) for k in (t, t + 1))
    product = mu * (state[2, 0] if t > 1 else 1.0)
    state[2, 0] = product
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    d = np.sqrt(v / (1 - b2**t)) + h["epsilon"]
    p -= lr * (1 - mu) / (1 - product) * g / d + lr * mu_next / (1 - product * mu_next) * m / d


def radam_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    g = _penalized(p, g, lr, h)
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho > 5:
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        p -= lr * m_hat * np.sqrt(1 - b2**t) / (np.sqrt(v) + h["epsilon"]) * r
    else:
        p -= lr * m_hat


def adadelta_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    s, a = state[0], state[1]
    rho, eps = h["rho"], h["epsilon"]
    g = _gradient(p, g, h)
    s[:] = rho * s + (1 - rho) * g**2
    delta = np.sqrt(a + eps) / np.sqrt(s + eps) * g
    a[:] = rho * a + (1 - rho) * delta**2
    p -= lr * delta


def rprop_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    prev, size = state[0], state[1]
    g = _gradient(p, g, h)
    if t == 1:
        size[:] = lr
    (eta_minus, eta_plus), (smallest, largest) = h["etas"], h["step_sizes"]
    factor = np.where(g * prev > 0, eta_plus, np.where(g * prev < 0, eta_minus, 1.0))
    size[:] = np.clip(size * factor, smallest, largest)
    g = np.where(factor == eta_minus, 0.0, g)
    p -= np.sign(g) * size
    prev[:] = g


def lion_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m = state[0]
    b1, b2 = h["beta1"], h["beta2"]
    p *= 1 - lr * h["weight_decay"]
    p -= lr * np.sign(b1 * m + (1 - b1) * g)
    m[:] = b2 * m + (1 - b2) * g


def asgd_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    ax, scalars = state[0], state[1]  # scalars: eta, mu
    if t == 1:
        scalars[:2] = lr, 1.0
    eta, mu = scalars[0], scalars[1]
    g = _gradient(p, g, h)
    p *= 1 - h["lambd"] * eta
    p -= eta * g
    ax[:] = p if mu == 1 else ax + mu * (p - ax)
    scalars[:2] = lr / (1 + h["lambd"] * lr * t) ** h["alpha"], 1 / max(1, t - h["t0"])


def adabelief_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    m, s = state[0], state[1]
    b1, b2, eps = h["beta1"], h["beta2"], h["epsilon"]
    g = _penalized(p, g, lr, h)
    m[:] = b1 * m + (1 - b1) * g
    s[:] = b2 * s + (1 - b2) * (g - m) ** 2 + eps
    c1, c2 = 1 - b1**t, 1 - b2**t
    if not h["rectify"]:
        p -= lr / c1 * m / (np.sqrt(s) / np.sqrt(c2) + eps)
        return
    n_inf = 2 / (1 - b2) - 1
    n_sma = n_inf - 2 * t * b2**t / c2
    if n_sma >= 5:
        r = np.sqrt(c2 * (n_sma - 4) / (n_inf - 4) * (n_sma - 2) / n_sma * n_inf / (n_inf - 2)) / c1
        p -= lr * r * m / (np.sqrt(s) + eps)
    elif h["degenerated_to_sgd"]:
        p -= lr / c1 * m


def _schedule_free_weight(state_row: np.ndarray, lr: float, h: Hyper, t: int) -> tuple[float, float]:
    """The warmed-up rate and the averaging weight c of step t; ``state_row`` = [lr_max, weight sum]."""
    rate = lr * min(1.0, t / h["warmup_steps"]) if h["warmup_steps"] > 0 else lr
    state_row[0] = max(rate, state_row[0])
    weight = t ** h["r"] * state_row[0] ** h["weight_lr_power"]
    state_row[1] += weight
    return rate, weight / state_row[1] if state_row[1] else 0.0


def sgd_schedule_free_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    z = state[0]
    rate, c = _schedule_free_weight(state[1], lr, h, t)
    g = _gradient(p, g, h)
    p[:] = (1 - c) * p + c * z + rate * (h["momentum"] * (1 - c) - 1) * g
    z -= rate * g


def adamw_schedule_free_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    z, v = state[0], state[1]
    b1, b2 = h["beta1"], h["beta2"]
    rate, c = _schedule_free_weight(state[2], lr, h, t)
    v[:] = b2 * v + (1 - b2) * g**2
    u = g / (np.sqrt(v / (1 - b2**t)) + h["epsilon"]) + h["weight_decay"] * p
    p[:] = (1 - c) * p + c * z + rate * (b1 * (1 - c) - 1) * u
    z -= rate * u


def lookahead_step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: Hyper, t: int) -> None:
    slow = state[-1]
    if t == 1:
        slow[:] = p
    STEPS[h["base"]](p, g, state, lr, h, t)
    if t % h["k"] == 0:
        p[:] = slow + h["alpha"] * (p - slow)
        slow[:] = p


def _schedule_free_momentum(h: Hyper) -> float | None:
    """The interpolation constant of a schedule-free method (also under Lookahead), else None."""
    if "warmup_steps" not in h:
        return None
    return h["momentum"] if "momentum" in h else h["beta1"]


def begin_epoch(p: np.ndarray, state: np.ndarray, h: Hyper, t: int) -> None:
    """Schedule-free methods train at y: from the average x back to y (z starts at the first parameters)."""
    beta = _schedule_free_momentum(h)
    if beta is None:
        return
    if t == 0:
        state[0] = p
    else:
        p += (1 - beta) * (state[0] - p)


def end_epoch(p: np.ndarray, state: np.ndarray, h: Hyper, t: int) -> None:
    """Schedule-free methods are measured and returned at their average x."""
    beta = _schedule_free_momentum(h)
    if beta is not None and t > 0:
        p += (1 - 1 / beta) * (state[0] - p)


STEPS: dict[str, Callable[..., None]] = {
    "sgd": sgd_step,
    "momentum": momentum_step,
    "nesterov": nesterov_step,
    "rmsprop": rmsprop_step,
    "adagrad": adagrad_step,
    "adam": adam_step,
    "adamw": adamw_step,
    "adamax": adamax_step,
    "nadam": nadam_step,
    "radam": radam_step,
    "adadelta": adadelta_step,
    "rprop": rprop_step,
    "lion": lion_step,
    "asgd": asgd_step,
    "adabelief": adabelief_step,
    "sgd_schedule_free": sgd_schedule_free_step,
    "adamw_schedule_free": adamw_schedule_free_step,
    "lookahead": lookahead_step,
}


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
    state = np.zeros((len(problem.method.state_names), params.shape[0]))
    hyper = dict(problem.hyperparameters)
    step = STEPS[problem.method.name]
    rng_state = problem.rng_state.copy()
    index = np.arange(n, dtype=np.uint32)  # the kernel's type, so the shuffle compiles once
    losses, path = [], []
    status = MAX_EPOCHS
    previous = np.inf
    t = 0
    rates = _Rates(problem.schedule, problem.method, problem.hp)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in range(problem.epochs):
            if problem.shuffle:
                shuffle_in_place(index, rng_state)
            begin_epoch(params, state, hyper, t)
            for start in range(0, n, problem.batch_size):
                grad = batch_gradient(problem, params, index[start : start + problem.batch_size])
                lr = rates.at(epoch, t, hyper)
                t += 1
                step(params, grad, state, lr, hyper, t)
            end_epoch(params, state, hyper, t)
            loss = mean_loss(problem, params, problem.X, problem.y)
            after_epoch(rates.schedule, loss)
            losses.append(loss)
            path.append(params.copy())
            if not (np.isfinite(loss) and np.isfinite(params).all()):
                status = DIVERGED
                break
            if abs(previous - loss) < problem.threshold:
                status = STALLED
                break
            previous = loss
    epochs_run = len(losses)
    path_array = np.array(path).reshape(epochs_run, params.shape[0])
    return finish(problem, params, np.array(losses), epochs_run, t, status, path_array)


def fit(x: Any, y: Any, method: str = "adam", **options: Any) -> FitResult:
    """NumPy reference for :func:`fastopt.fit`: same arguments, same result, slower.

    See :func:`fastopt.fit` for the parameters.
    """
    bound = _FIT_SIGNATURE.bind(x, y, method, **options)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    return run_problem(prepare(hyperparameters=arguments.pop("hyperparameters"), **arguments))


_FIT_SIGNATURE = inspect.signature(optimize.fit)
fit.__signature__ = _FIT_SIGNATURE  # type: ignore[attr-defined]


def minimize(function: Any, x0: Any = None, method: str = "adam", **options: Any) -> Any:
    """NumPy reference for :func:`fastopt.minimize`: same arguments, same result, slower.

    The noise comes from the same generator (:func:`fastopt.shuffle.gaussian`),
    so a seeded noisy run is reproduced too.
    """
    bound = _MINIMIZE_SIGNATURE.bind(function, x0, method, **options)
    bound.apply_defaults()
    task = _minimize_module.prepare(**bound.arguments)  # minimize's parameters, by name
    f, n = task.function, task.function.dim
    x = task.x0.copy()
    state = np.zeros((len(task.method.state_names), n))
    hyper = dict(task.hyperparameters)
    step = STEPS[task.method.name]
    rates = _Rates(task.schedule, task.method, task.hp)
    rng_state = task.rng_state()
    values, path, states, grads = [f(x)], [x.copy()], [], []
    status = MAX_EPOCHS
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(task.steps):
            begin_epoch(x, state, hyper, t)
            g = f.grad(x)
            if task.noise > 0:
                gaussian(g, task.noise, rng_state)
            grads.append(g.copy())
            lr = rates.at(t, t, hyper)
            step(x, g, state, lr, hyper, t + 1)
            end_epoch(x, state, hyper, t + 1)
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
