"""A study problem: its data (training, validation and test rows), how to train on it, how to score it.

A :class:`StudyProblem` builds its :class:`StudyData` (already
standardized) and says how to train on it (model, loss or objective,
epochs, batch size) and how to score a parameter vector (``metric``, lower
is better) against a ``target``. The suite's problems are in
:mod:`fastopt.problems.suite`; a problem of your own takes a few lines::

    from fastopt.problems import StudyProblem, StudyData
    def my_data():
        ...                                   # arrays for train, validation and test
        return StudyData(x_train, y_train, x_valid, y_valid, x_test, y_test)
    mine = StudyProblem("mine", "my regression", my_data, metric="rmse", epochs=50, target=0.5)
    fastopt.study([mine], methods=["sgd", "adam"], budget=10, seeds=5)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from ..methods.rule import digest_code
from ..models.architectures import Architecture, architecture, forward
from ..models.objective import Objective
from ..version import __version__

__all__ = ["StudyProblem", "StudyData", "METRICS", "split"]

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
    ``target`` the metric value whose first reaching is timed; ``source``
    where the data come from (shown by ``fastopt study --list``);
    ``variant`` a held-out variant of the problem (another model or data of
    the same family), on which ``study(..., held_out=True)`` reruns the
    setting tuned here, as AlgoPerf's held-out workloads test tuning that
    transfers.
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
    source: str = "your own data"
    variant: StudyProblem | None = None

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
                digest_code(digest, function)
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


@cache
def _built(data: Callable[[], StudyData]) -> StudyData:
    return data()


def split(x: np.ndarray, y: np.ndarray, *, scale_y: bool, seed: int | None = None, units: str = "") -> StudyData:
    """60/20/20 split of the rows (shuffled first with ``seed``, when given); features, and regression
    targets when ``scale_y``, standardized with the training rows' mean and standard deviation.

    A feature constant on the training rows (a digit's always-blank corner
    pixel) is centred and left unscaled. ``units`` are the target's (``"%"``
    for a classification's error rate when empty and not ``scale_y``).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(x))
        x, y = x[order], y[order]
    a, b = int(0.6 * len(x)), int(0.8 * len(x))
    mean, std = x[:a].mean(axis=0), x[:a].std(axis=0)
    x = (x - mean) / np.where(std > 0, std, 1.0)
    scale = 1.0
    if scale_y:
        y_mean, scale = float(y[:a].mean()), float(y[:a].std())
        y = (y - y_mean) / scale
    return StudyData(x[:a], y[:a], x[a:b], y[a:b], x[b:], y[b:], scale=scale, units=units or ("" if scale_y else "%"))
