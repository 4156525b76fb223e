"""Check a rule of your own against its plain NumPy version, as fastopt's tests check every built-in.

:func:`check_rule` runs a :class:`~fastopt.Rule`'s compiled step (through
fastopt's kernels) and the same step written in NumPy (through
:mod:`fastopt.reference`) on a few small problems — a line, a linear
model of three features, a small network and the Rosenbrock function —
and reports, per problem, the largest relative difference of the
parameters after any epoch (or step). Both runs draw the same batches, so
the two agree to rounding when they compute the same update::

    report = fastopt.check_rule(SIGNUM, reference=signum_numpy)
    print(report)             # a table: problem, epochs, largest relative difference, statuses
    assert report.passed      # every difference <= report.tolerance
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..methods.rule import Rule
from ..models.architectures import MLP
from . import minimize as _minimize
from .checks import check_integer, check_real
from .optimize import fit
from .result import ConvergenceWarning

__all__ = ["check_rule", "RuleCheck"]

_ROWS = 240


@dataclass(frozen=True)
class RuleCheck:
    """What :func:`check_rule` found.

    ``differences[problem]`` holds, for every epoch (every step for
    ``rosenbrock``), ``max_i |p_i - q_i| / max(max_i |q_i|, 1e-300)`` between
    the compiled run's parameters ``p`` and the NumPy run's ``q``.
    ``statuses[problem]`` is the pair of run statuses (compiled, NumPy).
    """

    rule: Rule
    differences: dict[str, np.ndarray]
    statuses: dict[str, tuple[str, str]]
    tolerance: float

    @property
    def worst(self) -> float:
        """The largest relative difference over every problem and epoch (NaN counts as infinite)."""
        values = [_largest(d) for d in self.differences.values()]
        return max(values) if values else 0.0

    @property
    def passed(self) -> bool:
        """Every difference is at most :attr:`tolerance`, and both runs of each problem ended alike."""
        same_end = all(a == b for a, b in self.statuses.values())
        return same_end and self.worst <= self.tolerance

    def __str__(self) -> str:
        lines = [f"check_rule({self.rule.name!r}): {'passed' if self.passed else 'FAILED'} "
                 f"(tolerance {self.tolerance:.0e})"]  # fmt: skip
        header = f"{'problem':<12} {'epochs or steps':>15} {'largest relative difference':>28}"
        lines.append(header + "  status (compiled, NumPy)")
        for name, d in self.differences.items():
            compiled, numpy = self.statuses[name]
            lines.append(f"{name:<12} {len(d):>15} {_largest(d):>28.2e}  {compiled}, {numpy}")
        return "\n".join(lines)


def _largest(d: np.ndarray) -> float:
    return math.inf if np.isnan(d).any() else float(d.max(initial=0.0))


def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, ``max |a - b| / max |b|`` (rows of parameters, one per epoch or step)."""
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.maximum(np.max(np.abs(b), axis=1), 1e-300)
        return np.asarray(np.max(np.abs(a - b), axis=1) / scale)


def _problems(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray, dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal((_ROWS, 1))
    x3 = rng.standard_normal((_ROWS, 3))
    line = x1[:, 0] * 1.5 - 0.5 + 0.1 * rng.standard_normal(_ROWS)
    plane = x3 @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(_ROWS)
    return {
        "line": (x1, line, dict(batch_size=16)),
        "linear": (x3, plane, dict(batch_size=32)),
        "network": (x3, np.tanh(plane), dict(batch_size=32, model=MLP((8,), activation="tanh"))),
    }


def check_rule(
    rule: Rule,
    reference: Callable[..., None] | None = None,
    *,
    epochs: int = 20,
    steps: int = 200,
    tolerance: float = 1e-8,
    seed: int = 0,
    **hyperparameters: Any,
) -> RuleCheck:
    """Compare ``rule``'s compiled step with its NumPy version on a line, a linear model, a network and Rosenbrock.

    Parameters
    ----------
    rule : fastopt.Rule
    reference : callable ``(p, g, state, lr, h, t) -> None``, optional
        The same step in NumPy, ``h`` the hyperparameters by name (default:
        the rule's own ``reference``).
    epochs, steps : int
        Epochs of each model fit; steps on Rosenbrock (from (-1, 1)).
    tolerance : float
        The largest relative difference that passes. Both runs do the same
        arithmetic on the same batches, so they differ by rounding alone
        (a few units of 1e-16 per step) unless the dynamics amplify it.
    seed : int
        Seed of the data and of both runs.
    **hyperparameters
        Passed to every run (``learning_rate=...``, the rule's own); the
        rule's defaults otherwise.

    Returns
    -------
    RuleCheck
        Print it for a table; ``.passed``, ``.worst`` and ``.differences``.

    Raises
    ------
    TypeError
        ``rule`` is not a :class:`fastopt.Rule`, or no NumPy version is given.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"rule must be a fastopt.Rule, got {type(rule).__name__}")
    reference = reference or rule.reference
    if reference is None or not callable(reference):
        raise TypeError("check_rule needs the NumPy step: pass reference=step(p, g, state, lr, h, t) "
                        "or build the Rule with reference=...")  # fmt: skip
    epochs = check_integer("epochs", epochs, 1, 10_000)
    steps = check_integer("steps", steps, 1, 1_000_000)
    tolerance = check_real("tolerance", tolerance)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    seed = check_integer("seed", seed, 0, maximum=None)
    numpy_rule = rule.with_reference(reference)
    reference_module = _reference_module()
    differences: dict[str, np.ndarray] = {}
    statuses: dict[str, tuple[str, str]] = {}
    options = dict(epochs=epochs, seed=seed, stopping_threshold=None, record_path=True, **hyperparameters)
    with warnings.catch_warnings():  # the report gives each run's status; a short run's warnings add nothing
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        _run_all(rule, numpy_rule, reference_module, seed, steps, options, hyperparameters, differences, statuses)
    return RuleCheck(rule, differences, statuses, tolerance)


def _run_all(rule: Rule, numpy_rule: Rule, reference_module: Any, seed: int, steps: int, options: dict[str, Any],
             hyperparameters: dict[str, Any], differences: dict[str, np.ndarray],
             statuses: dict[str, tuple[str, str]]) -> None:  # fmt: skip
    """Both runs of every problem, their differences and statuses written into the two dicts."""
    for name, (x, y, own) in _problems(seed).items():
        compiled = fit(x, y, rule, **own, **options)
        plain = reference_module.fit(x, y, numpy_rule, **own, **options)
        assert compiled.path is not None and plain.path is not None  # record_path=True
        rows = min(len(compiled.path), len(plain.path))
        differences[name] = _relative(compiled.path[:rows], plain.path[:rows])
        statuses[name] = (compiled.status, plain.status)
    minimize_options = dict(steps=steps, record_path=True, **hyperparameters)
    compiled_min = _minimize.minimize("rosenbrock", np.array([-1.0, 1.0]), rule, **minimize_options)
    plain_min = reference_module.minimize("rosenbrock", np.array([-1.0, 1.0]), numpy_rule, **minimize_options)
    assert compiled_min.path is not None and plain_min.path is not None
    rows = min(len(compiled_min.path), len(plain_min.path))
    differences["rosenbrock"] = _relative(compiled_min.path[1:rows], plain_min.path[1:rows])
    statuses["rosenbrock"] = (compiled_min.status, plain_min.status)


def _reference_module() -> Any:
    import importlib

    return importlib.import_module("fastopt.reference")
