"""The study's suite of small problems, each defined once: data, model, loss, metric, budget.

A :class:`StudyProblem` builds its :class:`StudyData` (training, validation
and test rows, already standardized) and says how to train on it (model,
loss or objective, epochs, batch size) and how to score a parameter vector
(``metric``, lower is better) against a ``target``. ``fastopt study
--list`` prints the suite; add your own with a few lines::

    from fastopt.problems import StudyProblem, StudyData
    def my_data():
        ...                                   # arrays for train, validation and test
        return StudyData(x_train, y_train, x_valid, y_valid, x_test, y_test)
    mine = StudyProblem("mine", "my regression", my_data, metric="rmse", epochs=50, target=0.5)
    fastopt.study([mine], methods=["sgd", "adam"], budget=10, seeds=5)

Data: the diamonds data set of the tutorial (53,940 diamonds, from
ggplot2; read through seaborn, offline from the copy the plotnine package
ships, ``pip install "fastopt[data]"``; see :func:`fastopt.datasets.load_diamonds`
and those packages' licences), 6,000 rows sampled with a fixed seed, split
60/20/20; the two
noisy test functions are objectives whose minibatch "rows" carry Gaussian
gradient noise (standard deviation 1), so SGD's sampling noise and the
seed both matter as on data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from . import functions
from .datasets import DIAMONDS_FEATURES, diamonds_table
from .engine.jit import jit
from .functions import get_function
from .models.architectures import MLP, Architecture, architecture, forward
from .models.objective import Objective
from .version import __version__

__all__ = ["StudyProblem", "StudyData", "PROBLEMS", "get_problem", "METRICS"]

#: Metrics (lower is better): name -> what it measures.
METRICS = {
    "rmse": "root mean squared error, in the target's units",
    "error": "misclassification rate, in %",
    "value": "the function's value above its minimum",
}


@dataclass(frozen=True, eq=False)
class StudyData:
    """Rows for training, validation (tuning) and test (the reported metric); ``scale`` turns RMSE into units."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scale: float = 1.0
    units: str = ""


@dataclass(frozen=True, eq=False)
class StudyProblem:
    """One problem of the suite: how to get the data, how to train, how to score.

    ``model`` and ``loss`` are :func:`fastopt.fit`'s (or ``objective`` for an
    :class:`~fastopt.Objective`); ``metric`` is one of :data:`METRICS`;
    ``target`` the metric value whose first reaching is timed; ``init`` a
    fixed start (objectives), else each seed draws one.
    """

    name: str
    description: str
    data: Callable[[], StudyData]
    metric: str
    epochs: int
    target: float
    model: Any = "linear"
    loss: str = "squared_error"
    batch_size: int = 64
    objective: Objective | None = None
    minimum: float = 0.0  # subtracted from a "value" metric
    fit_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {self.metric!r}")

    def score(self, params: np.ndarray, x: np.ndarray, y: np.ndarray, scale: float = 1.0) -> float:
        """The metric of ``params`` on rows ``x``, ``y`` (inf when the parameters are not finite)."""
        if not np.all(np.isfinite(params)):
            return math.inf
        if self.objective is not None:
            return float(self.objective.loss(params, x, y)) - self.minimum
        arch = self.architecture(x.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):  # a run that nearly diverged scores inf
            out = forward(params, arch, x)[-1]
            if self.metric == "rmse":
                value = float(np.sqrt(np.mean((out[:, 0] - y) ** 2)) * scale)
                return value if math.isfinite(value) else math.inf
        guess = (out[:, 0] > 0).astype(float) if out.shape[1] == 1 else np.argmax(out, axis=1).astype(float)
        return float(100.0 * np.mean(guess != y))

    def architecture(self, n_features: int) -> Architecture:
        outputs = 1
        if self.loss == "cross_entropy":
            outputs = int(max(np.max(self.built().y_train), np.max(self.built().y_test))) + 1
        return architecture(self.model, n_features, outputs)

    def built(self) -> StudyData:
        """The data, built once per process."""
        return _built(self.data)

    def fingerprint(self) -> str:
        """A digest of everything that defines this problem's runs, so that a study resumes only runs of
        the same definition: the data (every split and the scale), model, loss, epochs, batch size, metric,
        minimum, fit options, the objective's compiled functions and start, and fastopt's version."""
        digest = hashlib.sha256()
        data = self.built()
        for values in (data.x_train, data.y_train, data.x_valid, data.y_valid, data.x_test, data.y_test):
            values = np.asarray(values)
            digest.update(f"{values.dtype.str}{values.shape}".encode() + np.ascontiguousarray(values).tobytes())
        definition = (data.scale, self.metric, self.minimum, self.model, self.loss, self.epochs, self.batch_size,
                      sorted(self.fit_options.items()), __version__)  # fmt: skip
        digest.update(repr(definition).encode())
        if self.objective is not None:
            for function in (self.objective.gradient, self.objective.loss):
                _digest_code(digest, getattr(function, "py_func", function).__code__)
            init = self.objective.init
            start = b"no init" if init is None else np.asarray(init, dtype=np.float64).tobytes()
            digest.update(repr(self.objective.n_params).encode() + start)
        return digest.hexdigest()[:16]

    def fit_arguments(self) -> dict[str, Any]:
        """What every run of this problem passes to ``fit``/``sweep`` besides the method's settings."""
        options: dict[str, Any] = dict(epochs=self.epochs, batch_size=self.batch_size, stopping_threshold=0.0)
        if self.objective is None:  # an objective brings its own model and start (Objective.init)
            options.update(model=self.model, loss=self.loss)
        return {**options, **self.fit_options}


def _digest_code(digest: Any, code: Any) -> None:
    """Add a function's bytecode and constants (nested functions' too) to ``digest``; no memory addresses."""
    digest.update(code.co_name.encode() + code.co_code)
    for constant in code.co_consts:
        if hasattr(constant, "co_code"):
            _digest_code(digest, constant)
        else:
            digest.update(repr(constant).encode())


@cache
def _built(data: Callable[[], StudyData]) -> StudyData:
    return data()


# --- diamonds -------------------------------------------------------------------------------------------------

_ROWS, _SEED = 6000, 7


@cache
def _diamonds_rows() -> np.ndarray:

    table = diamonds_table(DIAMONDS_FEATURES)  # 9 features, then price
    rows = np.random.default_rng(_SEED).permutation(len(table))[:_ROWS]
    return table[rows]


def _split(x: np.ndarray, y: np.ndarray, *, scale_y: bool) -> StudyData:
    """60/20/20 split; features (and regression targets) standardized with the training rows' statistics."""
    a, b = int(0.6 * len(x)), int(0.8 * len(x))
    mean, std = x[:a].mean(axis=0), x[:a].std(axis=0)
    x = (x - mean) / std
    scale = 1.0
    if scale_y:
        y_mean, scale = float(y[:a].mean()), float(y[:a].std())
        y = (y - y_mean) / scale
    return StudyData(x[:a], y[:a], x[a:b], y[a:b], x[b:], y[b:], scale=scale, units="$" if scale_y else "%")


def _diamonds_line() -> StudyData:
    rows = _diamonds_rows()
    return _split(rows[:, :1], rows[:, -1], scale_y=True)


def _diamonds_price() -> StudyData:
    rows = _diamonds_rows()
    return _split(rows[:, :-1], rows[:, -1], scale_y=True)


def _diamonds_expensive() -> StudyData:
    rows = _diamonds_rows()
    return _split(rows[:, :-1], (rows[:, -1] > np.median(rows[:, -1])).astype(float), scale_y=False)


def _diamonds_cut() -> StudyData:
    rows = _diamonds_rows()
    features = np.delete(rows, [1, rows.shape[1] - 1], axis=1)  # everything but cut and price
    return _split(features, rows[:, 1], scale_y=False)


# --- noisy test functions as objectives ------------------------------------------------------------------------

_NOISE_ROWS = 2000


def _noise_rows() -> StudyData:
    """Rows of N(0, 1) noise: a batch's gradient gets their mean (the validation and test rows are unused)."""
    noise = np.random.default_rng(11).normal(size=(_NOISE_ROWS, 2))
    empty = np.zeros(_NOISE_ROWS)
    return StudyData(noise, empty, noise[:1], empty[:1], noise[:1], empty[:1])


_NO_CONSTANTS = np.zeros(0)  # the test functions' constants ``c``: Rosenbrock and Rastrigin take none


@jit
def _add_noise(X: np.ndarray, rows: np.ndarray, grad: np.ndarray) -> None:
    """The batch's noise: the mean of its rows of ``X``, added to ``grad``."""
    for i in range(grad.shape[0]):
        for row in rows:
            grad[i] += X[row, i] / rows.shape[0]


@jit
def _rosenbrock_gradient(params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray) -> float:
    value = functions._rosenbrock_gradient(params, _NO_CONSTANTS, grad)
    _add_noise(X, rows, grad)
    return value


@jit
def _rosenbrock_value(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return functions._rosenbrock(params, _NO_CONSTANTS)


# Rastrigin's minimum moved off the origin: decay toward zero (weight decay) earns nothing there.
RASTRIGIN_SHIFT = np.array([1.3, -0.7])


@jit
def _rastrigin_gradient(params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray) -> float:
    value = functions._rastrigin_gradient(params - RASTRIGIN_SHIFT, _NO_CONSTANTS, grad)
    _add_noise(X, rows, grad)
    return value


@jit
def _rastrigin_value(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return functions._rastrigin(params - RASTRIGIN_SHIFT, _NO_CONSTANTS)


def _objective(gradient: Any, value: Any, function: str, shift: Any = (0.0, 0.0)) -> Objective:
    return Objective(gradient, value, n_params=2, init=list(np.add(get_function(function).start, shift)))


PROBLEMS: dict[str, StudyProblem] = {
    p.name: p
    for p in (
        StudyProblem("diamonds_line", "the tutorial's line: price from carat, linear, squared error",
                     _diamonds_line, metric="rmse", epochs=100, target=1530.0),
        StudyProblem("diamonds_mlp", "the tutorial's network: price from all 9 columns, MLP(50), squared error",
                     _diamonds_price, metric="rmse", epochs=20, target=700.0, model=MLP((50,))),
        StudyProblem("diamonds_logistic", "price above the median from all 9 columns, logistic regression",
                     _diamonds_expensive, metric="error", epochs=30, target=3.5, loss="log_loss"),
        StudyProblem("diamonds_softmax", "cut (5 classes) from the other 8 columns, softmax regression",
                     _diamonds_cut, metric="error", epochs=30, target=38.0, loss="cross_entropy"),
        StudyProblem("diamonds_mlp_classifier", "cut from the other 8 columns, MLP(32, 16) classifier",
                     _diamonds_cut, metric="error", epochs=30, target=30.0, loss="cross_entropy", model=MLP((32, 16))),
        StudyProblem("rosenbrock_noisy", "Rosenbrock in 2-D from (-1.5, 2), gradient noise of std 1 per batch of 10",
                     _noise_rows, metric="value", epochs=10, target=0.01, batch_size=10,
                     objective=_objective(_rosenbrock_gradient, _rosenbrock_value, "rosenbrock")),
        StudyProblem("rastrigin_noisy", "Rastrigin in 2-D shifted to its minimum at (1.3, -0.7), from (3.5, 1.5) "
                     "(2.2 from it on each axis), gradient noise of std 1 per batch of 10",
                     _noise_rows, metric="value", epochs=10, target=1.0, batch_size=10,
                     objective=_objective(_rastrigin_gradient, _rastrigin_value, "rastrigin", RASTRIGIN_SHIFT)),
    )
}  # fmt: skip


def get_problem(problem: Any) -> StudyProblem:
    """A problem of the suite by name, or ``problem`` itself when it is a :class:`StudyProblem`."""
    if isinstance(problem, StudyProblem):
        return problem
    if not isinstance(problem, str) or problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}; the suite has: {', '.join(PROBLEMS)}")
    return PROBLEMS[problem]
