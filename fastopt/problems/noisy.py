"""Noisy 2-D test functions as study problems: Rosenbrock and Rastrigin, with their minima away from the origin.

Each is an :class:`~fastopt.Objective` whose minibatch "rows" carry
Gaussian gradient noise (standard deviation 1; a batch's gradient gets the
mean of its rows), so SGD's sampling noise and the seed matter as on data.
Rosenbrock's minimum is at (1, 1); Rastrigin's is moved from the origin to
:data:`RASTRIGIN_SHIFT`, so that decay toward zero (weight decay) earns
nothing. The held-out variant of each turns the function about its minimum
(Rosenbrock) or moves the minimum elsewhere (Rastrigin): the same
difficulty, another geometry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functions
from ..engine.jit import jit
from ..functions import get_function
from ..models.objective import Objective
from .problem import StudyData, StudyProblem

__all__ = ["PROBLEMS", "RASTRIGIN_SHIFT", "RASTRIGIN_SHIFT_HELD_OUT", "ROSENBROCK_TURN"]

_NOISE_ROWS = 2000
_SOURCE = "synthetic: a test function of fastopt.functions, N(0, 1) gradient noise drawn with a fixed seed"


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


#: The held-out Rosenbrock's turn about its minimum (1, 1), in radians (its valley runs another way).
ROSENBROCK_TURN = math.pi / 6
_ROTATION = np.array(
    [[math.cos(ROSENBROCK_TURN), -math.sin(ROSENBROCK_TURN)], [math.sin(ROSENBROCK_TURN), math.cos(ROSENBROCK_TURN)]]
)
_ROSENBROCK_MINIMUM = np.ones(2)


@jit
def _turned(params: np.ndarray) -> np.ndarray:
    """``m + R^T (x - m)``: where the turned function reads Rosenbrock (written out: Numba's ``@`` needs scipy)."""
    a, b = params[0] - _ROSENBROCK_MINIMUM[0], params[1] - _ROSENBROCK_MINIMUM[1]
    inner = np.empty(2)
    inner[0] = _ROSENBROCK_MINIMUM[0] + _ROTATION[0, 0] * a + _ROTATION[1, 0] * b
    inner[1] = _ROSENBROCK_MINIMUM[1] + _ROTATION[0, 1] * a + _ROTATION[1, 1] * b
    return inner


@jit
def _turned_rosenbrock_gradient(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray
) -> float:
    """f(x) = rosenbrock(m + R^T (x - m)), so grad f = R grad rosenbrock, plus the batch's noise."""
    inner = np.empty(2)
    value = functions._rosenbrock_gradient(_turned(params), _NO_CONSTANTS, inner)
    grad[0] = _ROTATION[0, 0] * inner[0] + _ROTATION[0, 1] * inner[1]
    grad[1] = _ROTATION[1, 0] * inner[0] + _ROTATION[1, 1] * inner[1]
    _add_noise(X, rows, grad)
    return value


@jit
def _turned_rosenbrock_value(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return functions._rosenbrock(_turned(params), _NO_CONSTANTS)


RASTRIGIN_SHIFT = np.array([1.3, -0.7])
#: The held-out Rastrigin's minimum.
RASTRIGIN_SHIFT_HELD_OUT = np.array([-0.9, 2.1])


@jit
def _rastrigin_gradient(params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray) -> float:
    value = functions._rastrigin_gradient(params - RASTRIGIN_SHIFT, _NO_CONSTANTS, grad)
    _add_noise(X, rows, grad)
    return value


@jit
def _rastrigin_value(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return functions._rastrigin(params - RASTRIGIN_SHIFT, _NO_CONSTANTS)


@jit
def _moved_rastrigin_gradient(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, rows: np.ndarray, grad: np.ndarray
) -> float:
    value = functions._rastrigin_gradient(params - RASTRIGIN_SHIFT_HELD_OUT, _NO_CONSTANTS, grad)
    _add_noise(X, rows, grad)
    return value


@jit
def _moved_rastrigin_value(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return functions._rastrigin(params - RASTRIGIN_SHIFT_HELD_OUT, _NO_CONSTANTS)


def _objective(gradient: Any, value: Any, start: Any) -> Objective:
    return Objective(gradient, value, n_params=2, init=[float(v) for v in start])


_ROSENBROCK_START = np.asarray(get_function("rosenbrock").start, dtype=float)
_RASTRIGIN_START = np.asarray(get_function("rastrigin").start, dtype=float)
_NOISE = "gradient noise of std 1 per batch of 10"

PROBLEMS = (
    StudyProblem("rosenbrock_noisy", f"Rosenbrock in 2-D from (-1.5, 2), {_NOISE}",
                 _noise_rows, metric="value", epochs=10, target=0.01, batch_size=10, source=_SOURCE,
                 objective=_objective(_rosenbrock_gradient, _rosenbrock_value, _ROSENBROCK_START),
                 variant=StudyProblem(
                     "rosenbrock_turned_noisy", "held-out variant of rosenbrock_noisy: the function and its start "
                     f"turned by 30 degrees about the minimum (1, 1), {_NOISE}",
                     _noise_rows, metric="value", epochs=10, target=0.01, batch_size=10, source=_SOURCE,
                     objective=_objective(_turned_rosenbrock_gradient, _turned_rosenbrock_value,
                                          _ROSENBROCK_MINIMUM + _ROTATION @ (_ROSENBROCK_START - 1.0)))),
    StudyProblem("rastrigin_noisy", "Rastrigin in 2-D shifted to its minimum at (1.3, -0.7), from (3.5, 1.5) "
                 f"(2.2 from it on each axis), {_NOISE}",
                 _noise_rows, metric="value", epochs=10, target=1.0, batch_size=10, source=_SOURCE,
                 objective=_objective(_rastrigin_gradient, _rastrigin_value, _RASTRIGIN_START + RASTRIGIN_SHIFT),
                 variant=StudyProblem(
                     "rastrigin_moved_noisy", "held-out variant of rastrigin_noisy: its minimum at (-0.9, 2.1), "
                     f"the start 2.2 from it on each axis, {_NOISE}",
                     _noise_rows, metric="value", epochs=10, target=1.0, batch_size=10, source=_SOURCE,
                     objective=_objective(_moved_rastrigin_gradient, _moved_rastrigin_value,
                                          _RASTRIGIN_START + RASTRIGIN_SHIFT_HELD_OUT))),
)  # fmt: skip
