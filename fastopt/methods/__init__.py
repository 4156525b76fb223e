"""The optimization methods: one file per method, numbered by :data:`ORDER`.

Each method's file (``fastopt/methods/adam.py``, ...) holds everything
about it: its compiled ``rule`` (whose docstring is its formula), its NumPy
``reference`` step, its epoch hooks if it has any, the ``torch_optimizer``
that builds its PyTorch counterpart for ``compare --peers``, and its
registry ``ROW`` (hyperparameters, defaults, valid ranges, state, search
spaces and the exceptions the tests make for it; see :mod:`.rows`).

A method's code, the integer the kernels dispatch on, is its place in
:data:`ORDER`. The kernels' dispatch (:mod:`.dispatch`) is generated from
this list by ``scripts/make_dispatch.py``; validation, the reference, the
peers, the gallery, the study, the docs and the tests read the rows.
Adding a method is one new file and one line in :data:`ORDER`, then
``python scripts/make_dispatch.py`` (see CONTRIBUTING.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType, ModuleType
from typing import Any

import numpy as np

from . import (
    adabelief,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    adamw_schedule_free,
    asgd,
    lion,
    lookahead,
    momentum,
    nadam,
    nesterov,
    radam,
    rmsprop,
    rprop,
    sgd,
    sgd_schedule_free,
    yogi,
)
from .rows import NON_NEGATIVE, POSITIVE, UNIT, Exceptions, Hyperparameter, HyperValue, Interval, Method
from .rule import NO_RULE, USER, Rule, hyperparameter_values, no_hook

__all__ = [
    "HyperValue",
    "Interval",
    "Hyperparameter",
    "Method",
    "Exceptions",
    "NON_NEGATIVE",
    "POSITIVE",
    "UNIT",
    "ORDER",
    "REGISTRY",
    "METHODS",
    "LOOKAHEAD_OFFSET",
    "MIN_STATE_WIDTH",
    "get_method",
    "state_width",
    "Reference",
    "reference",
    "torch_optimizer",
    "resume_state",
    "fresh_state",
    "TORCH_OPTIMIZERS",
    "Rule",
    "kernel_rule",
    "by_address",
]

#: The built-in methods' files, in code order: the tutorial's four first. Append new methods at the end
#: (a method's code is its place here, and the golden files and saved sweeps record codes by name only,
#: but the order is what the kernels number).
ORDER: tuple[ModuleType, ...] = (
    sgd,
    momentum,
    rmsprop,
    adam,
    nesterov,
    adagrad,
    adamw,
    adamax,
    nadam,
    radam,
    adadelta,
    rprop,
    lion,
    asgd,
    adabelief,
    sgd_schedule_free,
    adamw_schedule_free,
    yogi,
)

LOOKAHEAD_OFFSET = lookahead.OFFSET
_RULES = tuple(replace(module.ROW, code=code) for code, module in enumerate(ORDER))
_FILES = {row.name: module for row, module in zip(_RULES, ORDER, strict=True)}
_BY_NAME = {row.name: row for row in _RULES}
#: The methods Lookahead may wrap: those whose hyperparameters are not named as Lookahead's own.
_LOOKAHEAD_BASES = tuple(row.name for row in _RULES if not {h.name for h in row.hyperparameters} & set(lookahead.OWN))

#: Every method's row, in code order, then Lookahead (over Adam, its default base).
REGISTRY: tuple[Method, ...] = (*_RULES, lookahead.row(_BY_NAME["adam"], _LOOKAHEAD_BASES))
METHODS: tuple[str, ...] = tuple(m.name for m in REGISTRY)
_BY_NAME["lookahead"] = REGISTRY[-1]

#: A rule's state has a column per parameter and at least this many: a row of scalars holds two.
MIN_STATE_WIDTH = 2


def state_width(n_params: int) -> int:
    """Columns of a rule's state for ``n_params`` parameters."""
    return max(n_params, MIN_STATE_WIDTH)


def get_method(name: object, base: object = None) -> Method:
    """Return the registry row for ``name`` (any case: ``"Adam"`` is ``"adam"``); a clear error otherwise.

    ``name`` may be a user's :class:`Rule`, whose row it returns. ``base`` names the
    method that ``"lookahead"`` wraps (default ``"adam"``), or is a :class:`Rule`;
    other methods take none.
    """
    if isinstance(name, Rule):
        if base is not None:
            raise ValueError(f"base={base!r} is for method='lookahead'; the rule {name.name!r} wraps no other method")
        return name.row
    if not isinstance(name, str):
        raise TypeError(
            f"method must be a string, one of {', '.join(METHODS)}, or a fastopt.Rule; got {type(name).__name__}"
        )
    try:
        row = _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid methods are: {', '.join(METHODS)}") from None
    if base is None:
        return row
    if row.name != "lookahead":
        raise ValueError(f"base={base!r} is for method='lookahead'; {row.name!r} wraps no other method")
    wrapped = base.row if isinstance(base, Rule) else _BY_NAME.get(base.lower()) if isinstance(base, str) else None
    clash = sorted({h.name for h in wrapped.hyperparameters} & set(lookahead.OWN)) if wrapped is not None else []
    if wrapped is not None and wrapped.name != "lookahead" and clash:
        names = ", ".join(clash)
        raise ValueError(
            f"Lookahead cannot wrap {wrapped.name}: Lookahead's {names} would shadow {wrapped.title}'s {names}"
        )
    if isinstance(base, Rule):
        return lookahead.row(base.row, (base.name,))
    if not isinstance(base, str) or base.lower() not in _LOOKAHEAD_BASES:
        raise ValueError(
            f"base must name the method Lookahead wraps, one of {', '.join(_LOOKAHEAD_BASES)}; got {base!r}"
        )
    return lookahead.row(_BY_NAME[base.lower()], _LOOKAHEAD_BASES)


Step = Callable[..., None]


@dataclass(frozen=True)
class Reference:
    """A method's NumPy reference: its step ``(p, g, state, lr, h, t)`` and epoch hooks ``(p, state, h, t)``."""

    step: Step
    begin_epoch: Step
    end_epoch: Step


def _no_hook(p: Any, state: Any, h: Any, t: int) -> None:
    return None


def _base(method: Method) -> Method:
    """The method whose file holds the rule: Lookahead's base for Lookahead, else ``method`` itself."""
    if method.rule is not None:
        return method.rule.row
    return _BY_NAME[method.hyperparameters[-1].default] if method.name == "lookahead" else method


def kernel_rule(method: Method) -> tuple[int, Any, Any, Any]:
    """What the kernels receive as the rule of ``method``: a user's step and hooks, or :data:`NO_RULE`."""
    return NO_RULE if method.rule is None else method.rule.kernel


def by_address(method: Method) -> tuple[int, tuple[int, Any, Any, Any]]:
    """``(code, rule)`` for kernels that call ``method``'s step by address, as a user's rule's.

    A built-in's compiled ``rule`` and hooks arrive as a user's do (code
    ``USER``, Lookahead's ``LOOKAHEAD_OFFSET + USER``), with the same
    results bit for bit: kernels whose batches cost microseconds (networks,
    objectives, ``minimize``) then compile one epoch for every method, and
    a method once, apart from it.
    """
    if method.rule is not None:
        return method.code, method.rule.kernel
    base = _base(method)
    module = ORDER[base.code]
    hooks = (getattr(module, hook, None) or no_hook for hook in ("begin_epoch", "end_epoch"))
    return USER + (LOOKAHEAD_OFFSET if method.code >= LOOKAHEAD_OFFSET else 0), (base.n_numbers, module.rule, *hooks)


def _rule_reference(rule: Rule) -> Reference:
    """A user's rule as a reference: its NumPy step if it gave one, else its compiled functions called from Python."""

    def compiled(function: Any) -> Step:
        return lambda p, state, h, t: function(p, state, hyperparameter_values(rule, h), t)

    def step(p: np.ndarray, g: np.ndarray, state: np.ndarray, lr: float, h: dict, t: int) -> None:
        rule.step(p, g, state, float(lr), hyperparameter_values(rule, h), int(t))

    hooks = [_no_hook if f is None else compiled(f) for f in (rule.begin_epoch, rule.end_epoch)]
    return Reference(rule.reference or step, *hooks)


def reference(method: Method) -> Reference:
    """The NumPy reference of ``method`` (a registry row, Lookahead over any base included, or a user's rule)."""
    base = _base(method)
    if method.rule is not None:
        own = _rule_reference(method.rule)
    else:
        module = _FILES[base.name]
        own = Reference(
            module.reference,
            getattr(module, "reference_begin_epoch", _no_hook),
            getattr(module, "reference_end_epoch", _no_hook),
        )
    if method.code < LOOKAHEAD_OFFSET:
        return own
    return Reference(functools.partial(lookahead.reference, own.step), own.begin_epoch, own.end_epoch)


def fresh_state(method: Method, hyperparameters: Mapping[str, Any], width: int) -> np.ndarray:
    """A fresh run's state of ``method``, ``width`` columns: zeros, then its file's ``start_state`` if it has one
    (Adagrad's sum starts at ``initial_accumulator_value``)."""
    state = np.zeros((len(method.state_names), width))
    if method.rule is None:
        module = _FILES[_base(method).name]
        if hasattr(module, "start_state"):
            module.start_state(state, dict(hyperparameters))
    return state


def resume_state(method: Method, state: np.ndarray, hyperparameters: Mapping[str, Any], t: int) -> None:
    """Rebuild ``method``'s :attr:`~Method.cached_rows` in ``state`` for a run resumed after ``t`` updates.

    Raises ``ValueError`` for a method with cached rows and no ``resume`` in its file (its caches hold the
    run's history, e.g. the schedule-free methods' sum of weights, which ``t`` alone does not give).
    """
    if not method.cached_rows or t == 0:
        return
    base = _base(method)
    module = _FILES[base.name]
    if not hasattr(module, "resume"):
        raise ValueError(
            f"optimizer_state: {base.name} cannot resume after {t} updates (its state rows "
            f"{', '.join(base.cached_rows)} hold the run's history); pass step=0 or start afresh"
        )
    module.resume(state, dict(hyperparameters), t)


#: How each method is spelled in torch.optim, for the methods that have an equal there.
TORCH_OPTIMIZERS = MappingProxyType({row.name: row.peer for row in _RULES if row.peer is not None})


def torch_optimizer(method: str, torch: Any, parameters: list, hyperparameters: Any) -> Any:
    """The ``torch.optim`` optimizer equal to ``method`` over ``parameters``, or ValueError where none is."""
    row = get_method(method)
    if row.peer is None:
        raise ValueError(f"no torch.optim equivalent for method {method!r}")
    return _FILES[row.name].torch_optimizer(torch, parameters, dict(hyperparameters))
