"""Your own optimizer: a Numba update rule that runs everywhere a built-in method does.

A :class:`Rule` is what a built-in method's file holds (a compiled step, its
hyperparameters and their defaults, named state rows), declared by you::

    @numba.njit(cache=True)
    def signum(params, grad, state, lr, hp, t):
        m = state[0]
        for i in range(params.shape[0]):
            m[i] = hp[1] * m[i] + (1.0 - hp[1]) * grad[i]
            params[i] -= lr * np.sign(m[i])

    SIGNUM = fastopt.Rule("signum", signum, hyperparameters={"learning_rate": 1e-3, "momentum": 0.9},
                          state=("m",))
    fastopt.fit(x, y, SIGNUM, momentum=0.95)

The kernels receive the step (and the epoch hooks) as first-class function
values of one fixed signature (:data:`STEP_SIGNATURE`, :data:`HOOK_SIGNATURE`),
so fastopt's own compiled code is the same for every rule and stays in
Numba's on-disk cache: only your functions compile, once per process unless
you give them ``cache=True``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numba
import numpy as np
from numba import types

from ..engine.jit import check_compiled, jit
from .lookahead import OFFSET
from .rows import POSITIVE, Hyperparameter, HyperValue, Interval, Method

__all__ = [
    "Rule",
    "RuleWarning",
    "USER",
    "STEP_SIGNATURE",
    "HOOK_SIGNATURE",
    "RULE_TYPE",
    "NO_RULE",
    "no_hook",
    "is_rule",
    "digest_code",
]

#: The code the kernels dispatch a user's rule on (Lookahead over it is ``OFFSET + USER``): the last below
#: Lookahead's offset, so that built-in methods appended to ``ORDER`` never take it.
USER = OFFSET - 1

_HP = types.float64[::1]


@functools.cache  # built once per float type: a call reads it at every fit
def step_signature(real: Any = types.float64) -> Any:
    """``step(params, grad, state, lr, hp, t)``: params real[p] (updated in place), grad real[p],
    state real[rows, max(p, 2)], lr float64, hp float64[h], t int64 (the 1-based update count); ``real`` is the
    run's float type (float64, or float32 in a float32 run of a built-in method)."""
    return types.none(real[::1], real[::1], real[:, ::1], types.float64, _HP, types.int64)


@functools.cache  # built once per float type: a call reads it at every fit
def hook_signature(real: Any = types.float64) -> Any:
    """``begin_epoch(params, state, hp, t)`` and ``end_epoch(...)``: t counts the updates made so far."""
    return types.none(real[::1], real[:, ::1], _HP, types.int64)


@functools.cache  # built once per float type: a call reads it at every fit
def rule_type(real: Any = types.float64) -> Any:
    """What the kernels receive for the rule: ``(numbers in hp, step, begin_epoch, end_epoch)``. The count
    comes first: a tuple that starts with a function makes Numba warn "experimental" at every call."""
    hook = types.FunctionType(hook_signature(real))
    return types.Tuple((types.int64, types.FunctionType(step_signature(real)), hook, hook))


#: A user's rule's signatures, and the kernels' type for a rule, in float64.
STEP_SIGNATURE, HOOK_SIGNATURE, RULE_TYPE = step_signature(), hook_signature(), rule_type()

_STEP_TEXT = "step(params, grad, state, lr, hp, t) -> None"
_STEP_ARGUMENTS = "params float64[p], grad float64[p], state float64[rows, max(p, 2)], lr float, hp float64[h], t int"
_HOOK_TEXT = "hook(params, state, hp, t) -> None"
_HOOK_ARGUMENTS = "params float64[p], state float64[rows, max(p, 2)], hp float64[h], t int"
#: Any real number: the range of a hyperparameter given without one.
_REAL = Interval(-math.inf, math.inf, low_closed=False, high_closed=False)
_SCALES = ("log", "linear")


@jit
def _no_step(params: np.ndarray, grad: np.ndarray, state: np.ndarray, lr: float, hp: np.ndarray, t: int) -> None:
    """Stands in for a user's step when the method is built in (never called)."""
    return None


@jit
def no_hook(params: np.ndarray, state: np.ndarray, hp: np.ndarray, t: int) -> None:
    """A hook that does nothing: a rule's default ``begin_epoch`` and ``end_epoch``."""
    return None


#: What the kernels receive as the rule for a built-in method.
NO_RULE = (0, _no_step, no_hook, no_hook)


@dataclass(frozen=True, eq=False)
class Rule:
    """An update rule of your own, usable wherever a method name is (``fit``, ``sweep``, ``minimize``, ...).

    Parameters
    ----------
    name : str
        How results, tables and errors name it; not a built-in method's name.
    step : numba.njit function ``(params, grad, state, lr, hp, t) -> None``
        One update, in place: ``params`` float64[p]; ``grad`` the batch's
        mean gradient; ``state`` float64[len(state), max(p, 2)], zeros at the
        start of a run and kept across steps and epochs; ``lr`` the scheduled
        learning rate of this step; ``hp`` the hyperparameters as floats in
        the declared order (``hp[0]`` the base learning rate; flags are 1.0
        or 0.0); ``t`` the 1-based update count. Give it ``cache=True`` so
        that a new process loads it instead of compiling it.
    hyperparameters : mapping of name to default
        ``learning_rate`` first, then the rest, each a float or a flag
        (True/False); or :class:`fastopt.methods.Hyperparameter` rows for
        full control (description, optional values).
    state : tuple of str
        Names of the state rows (``FitResult.optimizer_state`` uses them).
    valid : mapping of name to (low, high) or Interval, optional
        Valid ranges: a pair is the closed interval [low, high].
        ``learning_rate`` must be positive; the others are otherwise any
        finite number.
    begin_epoch, end_epoch : numba.njit functions ``(params, state, hp, t) -> None``, optional
        Hooks run before and after every epoch (the schedule-free methods
        need them); ``t`` counts the updates made so far.
    reference : callable ``(p, g, state, lr, h, t) -> None``, optional
        The same step in plain NumPy, with ``h`` the hyperparameters as a
        dict by name: :func:`fastopt.reference.fit` runs it, and
        :func:`fastopt.check_rule` compares it with ``step``. Without it
        the reference fit calls ``step`` itself.
    search : mapping of name to (low, high, scale), optional
        The search space ``fastopt.study`` draws besides the learning rate,
        ``scale`` ``"log"`` or ``"linear"``.
    title : str, optional
        The name tables and figures print (default: ``name``).

    Raises
    ------
    TypeError
        ``step`` or a hook is not a Numba function that compiles for its
        signature (the message says what to fix).
    ValueError
        A bad name, hyperparameter, default, range or search space.
    """

    name: str
    step: Any
    hyperparameters: Mapping[str, Any]
    state: tuple[str, ...] = ()
    valid: Mapping[str, Any] = field(default_factory=dict)
    begin_epoch: Any = None
    end_epoch: Any = None
    reference: Callable[..., None] | None = None
    search: Mapping[str, tuple[float, float, str]] = field(default_factory=dict)
    title: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        rows = _hyperparameter_rows(self.hyperparameters, self.valid)
        state = _names("state", self.state)
        check_compiled(f"Rule {self.name!r} step", self.step, STEP_SIGNATURE, _STEP_TEXT, _STEP_ARGUMENTS)
        for hook in ("begin_epoch", "end_epoch"):
            function = getattr(self, hook)
            if function is not None:
                check_compiled(f"Rule {self.name!r} {hook}", function, HOOK_SIGNATURE, _HOOK_TEXT, _HOOK_ARGUMENTS)
        _advise_error_model(self.name, self.step, self.begin_epoch, self.end_epoch)
        if self.reference is not None and not callable(self.reference):
            kind = type(self.reference).__name__
            raise TypeError(f"reference must be a function (p, g, state, lr, h, t), got {kind}")
        search = _search(self.search, rows)
        object.__setattr__(self, "hyperparameters", MappingProxyType({h.name: h.default for h in rows}))
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "valid", MappingProxyType({h.name: h.valid for h in rows if h.valid is not None}))
        object.__setattr__(self, "search", MappingProxyType({name: (lo, hi, s) for name, lo, hi, s in search}))
        row = Method(
            name=self.name,
            title=self.title or self.name,
            hyperparameters=rows,
            state_names=state,
            formula=getattr(self.step, "__doc__", None) or f"{self.name}: a user's rule",
            torch="",
            code=USER,
            study_search=search,
            rule=self,
        )
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_kernel", (row.n_numbers, self.step, self.begin_epoch or no_hook,
                                             self.end_epoch or no_hook))  # fmt: skip

    @classmethod
    def from_method(cls, method: str, name: str | None = None) -> Rule:
        """A built-in method as a rule: its compiled step, hyperparameters, state rows, hooks and NumPy step.

        A starting point for a rule of your own (the step's source:
        ``inspect.getsource(fastopt.methods.adam.rule)``), and proof that a rule
        runs as a built-in does: ``fit(x, y, Rule.from_method("adam"))`` is
        ``fit(x, y, "adam")`` bit for bit. ``name`` defaults to ``"my_" + method``.
        Rprop (a pair, ``etas``) and Lookahead (a method) are refused: a rule's
        hyperparameters are numbers and flags. One difference remains: a
        ``one_cycle`` schedule that cycles ``beta1`` recomputes the built-in's
        cached ``beta1**t``, not the rule's (whose state rows are its own).
        """
        package = importlib.import_module(__package__)
        row = package.get_method(method)
        if row.code >= OFFSET or any(h.second is not None or h.choices for h in row.hyperparameters):
            raise ValueError(f"{row.name}'s hyperparameters are not all numbers and flags; it cannot be a Rule")
        module = package.ORDER[row.code]
        return cls(
            name or f"my_{row.name}",
            module.rule,
            {h.name: h for h in row.hyperparameters},
            state=row.state_names,
            begin_epoch=getattr(module, "begin_epoch", None),
            end_epoch=getattr(module, "end_epoch", None),
            reference=module.reference,
            search={n: (low, high, scale) for n, low, high, scale in row.study_search},
            title=row.title,
        )

    @property
    def row(self) -> Method:
        """The rule's registry row, as a built-in method's file ends with one."""
        return self._row  # type: ignore[attr-defined]

    @property
    def kernel(self) -> tuple[int, Any, Any, Any]:
        """What the kernels receive: ``(numbers in hp, step, begin_epoch, end_epoch)``."""
        return self._kernel  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Rule({self.name!r}, hyperparameters={dict(self.hyperparameters)}, state={self.state})"

    @property
    def fingerprint(self) -> str:
        """A digest of what defines the rule's runs: its functions' code, hyperparameters and state rows.

        The study resumes a rule's runs only under the same fingerprint, so an
        edited rule of the same name runs again.
        """
        digest = hashlib.sha256(repr((self.name, self.row.hyperparameters, self.state)).encode())
        for function in (self.step, self.begin_epoch, self.end_epoch):
            if function is not None:
                digest_code(digest, function)
        return digest.hexdigest()[:12]

    def __deepcopy__(self, memo: dict[int, Any]) -> Rule:
        return self  # immutable: scikit-learn's clone keeps the very rule

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rule, self._arguments())

    def with_reference(self, reference: Callable[..., None] | None) -> Rule:
        """The same rule with another NumPy ``reference`` step."""
        arguments = list(self._arguments())
        arguments[7] = reference
        return Rule(*arguments)

    def _arguments(self) -> tuple[Any, ...]:
        """The constructor's arguments, in order, that build this rule again (the hyperparameters as rows)."""
        rows = {h.name: h for h in self.row.hyperparameters}
        return (self.name, self.step, rows, self.state, {}, self.begin_epoch, self.end_epoch, self.reference,
                dict(self.search), self.title)  # fmt: skip


class RuleWarning(UserWarning):
    """A rule that works, compiled in a way that makes it slower or less safe than it could be."""


def _advise_error_model(name: str, *functions: Any) -> None:
    """Warn about functions compiled with Numba's default ``error_model="python"``."""
    compiled = [f for f in functions if isinstance(f, numba.core.registry.CPUDispatcher)]
    python = [f.py_func.__name__ for f in compiled if f.targetoptions.get("error_model", "python") != "numpy"]
    if python:
        warnings.warn(
            f"Rule {name!r}: {', '.join(python)} compiled with Numba's default error_model='python', which checks "
            "every division for zero: the checks keep loops from vectorizing (a user's Adam ran 1.27x slower on "
            "the tutorial's network) and a division by zero raises ZeroDivisionError out of the fit instead of "
            "being reported as divergence; decorate it @numba.njit(cache=True, error_model='numpy'), as "
            "fastopt's own rules are",
            RuleWarning,
            stacklevel=4,
        )


def digest_code(digest: Any, function: Any) -> None:
    """Add a (compiled) function's bytecode and constants, nested functions' too, to the hashlib ``digest``.

    No memory addresses: the same source gives the same digest in every process.
    """
    _digest(digest, getattr(function, "py_func", function).__code__)


def _digest(digest: Any, code: Any) -> None:
    digest.update(code.co_name.encode() + code.co_code)
    for constant in code.co_consts:
        if hasattr(constant, "co_code"):
            _digest(digest, constant)
        else:
            digest.update(repr(constant).encode())


def is_rule(method: object) -> bool:
    """Whether ``method`` is a user's :class:`Rule` (rather than a method name)."""
    return isinstance(method, Rule)


def _check_name(name: object) -> None:
    from_registry = {row.name for row in _builtin_rows()}
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"Rule name must be an identifier such as 'signum', got {name!r}")
    if name.lower() in from_registry:
        raise ValueError(f"Rule name {name!r} is a built-in method's; give your rule its own name")


def _builtin_rows() -> tuple[Method, ...]:
    registry: tuple[Method, ...] = importlib.import_module(__package__).REGISTRY
    return registry


def _names(what: str, names: Any) -> tuple[str, ...]:
    if isinstance(names, str) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise ValueError(f"{what} must be a tuple of names, e.g. ('m',); got {names!r}")
    names = tuple(names)
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names must differ, got {names!r}")
    return names


def _interval(name: str, value: Any) -> Interval:
    if isinstance(value, Interval):
        return value
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"valid[{name!r}] must be a pair (low, high) or a fastopt.methods.Interval, got {value!r}"
        ) from None
    if not low <= high:
        raise ValueError(f"valid[{name!r}] must have low <= high, got {value!r}")
    return Interval(low, high, low_closed=True, high_closed=True)


def _hyperparameter_rows(given: Mapping[str, Any], valid: Mapping[str, Any]) -> tuple[Hyperparameter, ...]:
    if not isinstance(given, Mapping) or not given:
        raise ValueError("hyperparameters must be a mapping of names to defaults, learning_rate first")
    names = list(given)
    if names[0] != "learning_rate":
        raise ValueError(f"hyperparameters must start with 'learning_rate' (hp[0]), got {names[0]!r} first")
    _names("hyperparameters", names)
    if set(valid) - set(names):
        raise ValueError(f"valid names {sorted(set(valid) - set(names))} are not hyperparameters of the rule")
    rows = []
    for name, default in given.items():
        if isinstance(default, Hyperparameter):
            row = default
            if row.name != name or row.choices is not None or row.second is not None:
                raise ValueError(f"hyperparameters[{name!r}] must be a number, a flag or a Hyperparameter named so")
        elif isinstance(default, (bool, np.bool_)):
            row = Hyperparameter(name, bool(default), None, "a flag")
        else:
            interval = POSITIVE if name == "learning_rate" else _REAL
            if name in valid:
                interval = _interval(name, valid[name])
            row = Hyperparameter(name, _number(name, default, interval), interval, "")
        rows.append(row)
    return tuple(rows)


def _number(name: str, value: Any, valid: Interval) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"the default of {name!r} must be a number or a flag, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value not in valid:
        raise ValueError(f"the default of {name!r} must be a finite number {valid}, got {value!r}")
    return value


def _search(search: Mapping[str, Any], rows: tuple[Hyperparameter, ...]) -> tuple[tuple[str, float, float, str], ...]:
    numbers = {h.name: h for h in rows if h.valid is not None}
    out = []
    for name, space in dict(search).items():
        if name not in numbers or name == "learning_rate":
            raise ValueError(f"search: {name!r} must be a numeric hyperparameter of the rule, not learning_rate")
        try:
            low, high, scale = space
            low, high = float(low), float(high)
        except (TypeError, ValueError):
            raise ValueError(f"search[{name!r}] must be (low, high, 'log' or 'linear'), got {space!r}") from None
        valid = numbers[name].valid
        assert valid is not None
        if scale not in _SCALES or not low < high or low not in valid or high not in valid or (
                scale == "log" and low <= 0):  # fmt: skip
            bounds = "" if valid is _REAL else f", both {valid}"
            raise ValueError(f"search[{name!r}] must be (low, high, scale) with low < high{bounds}, and scale "
                             f"'log' (low > 0) or 'linear'; got {space!r}")  # fmt: skip
        out.append((name, low, high, scale))
    return tuple(out)


def hyperparameter_values(rule: Rule, h: Mapping[str, HyperValue]) -> np.ndarray:
    """``h`` (by name) as the ``hp`` array the compiled step receives."""
    values = [math.inf if h[name] is None else h[name] for name in rule.hyperparameters]  # None: switched off
    return np.array(values, dtype=np.float64)
