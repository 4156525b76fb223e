"""The immutable result of a fit, shared by the kernels and the NumPy reference."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np

from .kernels import DIVERGED, STATUSES
from .schedules import Schedule
from .validation import Problem, as_features

__all__ = ["FitResult", "finish"]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)  # a private copy, so no one else can write it
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fastopt.fit` returns. All arrays are read-only.

    Attributes
    ----------
    method : str
        The method name.
    hyperparameters : Mapping[str, float | bool | None]
        Every hyperparameter of the method as used, defaults resolved
        (``clip_value=None`` means clipping was off).
    params : ndarray of float64, shape (d + 1,)
        Final parameters ``[w_1 .. w_d, b]``.
    loss_history : ndarray of float64, shape (epochs_run,)
        Training mean squared error (in squared units of ``y``) after each
        epoch run.
    epochs_run : int
        Passes over the training data actually made.
    n_steps : int
        Parameter updates made (minibatches processed).
    status : str
        ``"converged"`` (the stopping rule fired), ``"max_epochs"`` (all
        epochs ran) or ``"diverged"`` (loss or parameters became non-finite;
        ``params`` are then the non-finite values reached).
    init : ndarray of float64, shape (d + 1,)
        The starting parameters (given, or drawn from ``seed``).
    seed : int
        The seed that reproduces this run (drawn from fresh entropy when
        ``fit`` was called with ``seed=None``).
    path : ndarray of float64, shape (epochs_run, d + 1), or None
        Parameters after each epoch, when ``record_path=True``.
    schedule : Schedule or None
        The learning-rate schedule used (None: constant).
    """

    method: str
    hyperparameters: Mapping[str, float | bool | None]
    params: np.ndarray
    loss_history: np.ndarray
    epochs_run: int
    n_steps: int
    status: str
    init: np.ndarray
    seed: int
    path: np.ndarray | None = None
    schedule: Schedule | None = None

    @property
    def coef(self) -> np.ndarray:
        """Weights ``w_1 .. w_d`` (a read-only view of ``params[:-1]``)."""
        return self.params[:-1]

    @property
    def intercept(self) -> float:
        """Bias ``b`` (``params[-1]``)."""
        return float(self.params[-1])

    def predict(self, x: Any) -> np.ndarray:
        """Return ``x @ coef + intercept`` for ``x`` of shape ``(n,)`` (one feature) or ``(n, d)``."""
        X = as_features(x, n_features=self.coef.shape[0])
        return X @ self.coef + self.intercept

    def __repr__(self) -> str:
        loss = f"{self.loss_history[-1]:.6g}" if self.epochs_run else "n/a"
        return (
            f"FitResult(method={self.method!r}, status={self.status!r}, epochs_run={self.epochs_run}, "
            f"n_steps={self.n_steps}, final_loss={loss}, params={np.array2string(self.params, precision=6)})"
        )


def _caller_stacklevel() -> int:
    """Stack level of the first frame outside this package, so warnings point at the user's call."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def finish(
    problem: Problem,
    params: np.ndarray,
    loss_history: np.ndarray,
    epochs_run: int,
    n_steps: int,
    status: int,
    path: np.ndarray,
) -> FitResult:
    """Package a finished run; warn (``RuntimeWarning``) when it diverged.

    ``loss_history`` and ``path`` may be longer than ``epochs_run``; they are
    cut to the epochs actually run.
    """
    if status == DIVERGED:
        warnings.warn(
            f"{problem.method.name} diverged at epoch {epochs_run} (training loss "
            f"{loss_history[epochs_run - 1]:g}); try a smaller learning_rate than "
            f"{problem.hyperparameters['learning_rate']:g} or standardize x and y",
            RuntimeWarning,
            stacklevel=_caller_stacklevel(),
        )
    return FitResult(
        method=problem.method.name,
        hyperparameters=problem.hyperparameters,
        params=_frozen(params),
        loss_history=_frozen(loss_history[:epochs_run]),
        epochs_run=int(epochs_run),
        n_steps=int(n_steps),
        status=STATUSES[status],
        init=_frozen(problem.init),
        seed=problem.seed,
        path=_frozen(path[:epochs_run]) if problem.record_path else None,
        schedule=problem.schedule,
    )
