"""Compile a function for what one call needs: its model kinds and update rules, each variant cached on disk.

A driver or an epoch (:func:`fastopt.engine.kernels.fit_kernel`,
:func:`fastopt.engine.linear.linear_epoch`, ...) is written once for every
model kind and every rule: it dispatches on integer codes. Compiled as it
is, a first call compiles all of them (about a minute). A *variant* is a
copy of its Python function, and of every function it calls that reaches a
left-out piece, whose globals name a stand-in instead of each model epoch,
rule and hook the call does not use: a no-op with the piece's parameters,
inlined where it was called (:class:`Absent`), so nothing is compiled for
it. The copies keep the source's code object, so their results are those of
the whole function, bit for bit; each copy gets its own qualified name
(``linear_epoch.adam``), which is what Numba's on-disk cache keys a
function's files on, so every variant is compiled once per install and
loaded from the cache afterwards.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
import types as pytypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from .jit import jit, load_once

__all__ = [
    "Absent",
    "Fixed",
    "absent",
    "absent_epoch",
    "absent_count",
    "variant",
    "compiled_variants",
    "MAX_COMPILED_VARIANTS",
]


@dataclass(frozen=True)
class Absent:
    """What a variant calls in place of a left-out piece: a no-op taking the piece's parameters and returning
    ``returns`` (Python source), inlined into its caller, so a variant compiles nothing for it (never called:
    the code that calls it is not dispatched to)."""

    returns: str


@dataclass(frozen=True)
class Fixed:
    """What a variant calls in place of a function returning an int64 array: one returning ``value``, a
    constant when the variant compiles (its loops over it unrolled and its bounds known)."""

    value: tuple[int, ...]


#: A rule, hook or other piece returning nothing; a model's epoch (``(loss, t)``); a loop counting updates.
absent, absent_epoch, absent_count = Absent("None"), Absent("(math.nan, 0)"), Absent("0")


@functools.cache
def _stand_in(function: Any, returns: str, constant: tuple[int, ...] = ()) -> Any:
    """A function with ``function``'s parameters (and defaults) returning ``returns`` (Python source, which may
    name ``CONSTANT``, ``constant`` as an int64 array), inlined wherever it is called."""
    python = function.py_func
    names = list(inspect.signature(python).parameters)
    namespace: dict[str, Any] = {"math": math, "CONSTANT": np.array(constant, dtype=np.int64)}
    exec(f"def {python.__name__}({', '.join(names)}):\n    return {returns}\n", namespace)
    stand_in = namespace[python.__name__]
    stand_in.__defaults__ = python.__defaults__
    # Always inlined, so never compiled, nor cached, on its own (it has no source file for Numba's cache).
    return numba.njit(stand_in, cache=False, nogil=True, error_model="numpy", inline="always")


#: Variants of one driver a process compiles (not loaded from the cache) before it uses the whole driver:
#: a run over many methods (a study, the test suite) compiles the whole driver once (about a minute) instead
#: of a variant (seconds) per method. The whole driver runs the same code, so the results are the same.
MAX_COMPILED_VARIANTS = 6

_lock = threading.RLock()
_variants: dict[tuple[int, str], Any] = {}
_compiled: dict[int, int] = {}


def variant(
    function: Any, signature: Any, name: str, leave_out: Mapping[Any, Any], limit: int | None = None
) -> Callable[..., Any]:
    """``function`` (a compiled function) with every function in ``leave_out`` replaced by its value, compiled
    for ``signature``; the whole ``function`` once this process has compiled ``limit`` (by default
    :data:`MAX_COMPILED_VARIANTS`) of its variants.

    ``name`` names the variant (it becomes part of the cache files' names);
    ``leave_out`` maps compiled functions (found by identity, as globals or
    as attributes of modules the functions use) to their stand-ins. A stand-in that leads to something
    left out (a function written for variants, calling a placeholder the variant names) is copied too.
    """
    if getattr(numba.config, "DISABLE_JIT", False):
        return function
    key = (id(function), name)
    with _lock:
        found = _variants.get(key)
        if found is None:
            if _compiled.get(id(function), 0) >= (MAX_COMPILED_VARIANTS if limit is None else limit):
                return _whole(function, signature)
            copy = _Copier(name, leave_out).copy(function.py_func)
            found = load_once(jit(copy), signature, function.py_func.__name__)
            if sum(found.stats.cache_misses.values()):
                _compiled[id(function)] = _compiled.get(id(function), 0) + 1
            _variants[key] = found
    return found


def _whole(function: Any, signature: Any) -> Any:
    """``function`` itself, compiled for ``signature`` (a driver of :func:`~fastopt.engine.jit.one_signature` is)."""
    if hasattr(function, "dispatcher"):
        if signature != function.signature:
            raise ValueError(f"{function.__name__} is compiled for its own signature only, not {signature}")
        return function
    function.compile(signature)
    return function


def compiled_variants(driver: Any) -> dict[str, Any]:
    """The variants of ``driver`` this process has compiled or loaded, by name (Numba dispatchers)."""
    with _lock:
        return {name: found for (key, name), found in _variants.items() if key == id(driver)}


def _is_ours(obj: Any) -> bool:
    return isinstance(obj, numba.core.registry.CPUDispatcher) and obj.py_func.__module__.startswith("fastopt")


def _names(code: pytypes.CodeType) -> set[str]:
    """Every global or attribute name ``code`` (and the code nested in it) loads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            names |= _names(const)
    return names


class _Copier:
    """Copies of the functions of one variant: each once, pointing at the stand-ins and at each other."""

    def __init__(self, name: str, leave_out: Mapping[Any, Any]) -> None:
        self.name, self.leave_out = name, leave_out
        self.copies: dict[int, Any] = {}
        self.reaching: dict[int, bool] = {}

    def copy(self, function: Any) -> Any:
        """A copy of the Python ``function``, named for the variant, whose globals lead to the stand-ins."""
        copy, namespace = self._new(function)
        self._redirect(function, namespace)
        return copy

    def _new(self, function: Any) -> tuple[Any, dict[str, Any]]:
        namespace = dict(function.__globals__)
        copy = pytypes.FunctionType(
            function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
        )
        copy.__qualname__ = f"{function.__qualname__}.{self.name}"
        copy.__module__, copy.__doc__, copy.__kwdefaults__ = (
            function.__module__,
            function.__doc__,
            function.__kwdefaults__,
        )
        return copy, namespace

    def _changed(self, obj: Any, names: set[str]) -> bool:
        """Whether ``obj``, a global of a function that loads ``names``, leads to something left out."""
        if self._left_out(obj):
            return True
        if _is_ours(obj):
            return self._reaches(obj.py_func)
        if isinstance(obj, pytypes.ModuleType) and obj.__name__.startswith("fastopt"):
            return any(self._changed(getattr(obj, name), set()) for name in names if hasattr(obj, name))
        return False

    def _replacement(self, obj: Any, names: set[str]) -> Any:
        if self._left_out(obj):
            stand_in = self.leave_out[obj]
            if isinstance(stand_in, Absent):
                return _stand_in(obj, stand_in.returns)
            if isinstance(stand_in, Fixed):
                return _stand_in(obj, "CONSTANT", stand_in.value)
            if _is_ours(stand_in) and not self._left_out(stand_in) and self._reaches(stand_in.py_func):
                return self._replacement(stand_in, set())
            return stand_in
        if _is_ours(obj):
            key = id(obj)
            if key not in self.copies:
                copy, namespace = self._new(obj.py_func)
                self.copies[key] = jit(copy, inline=obj.targetoptions.get("inline", "never"))
                self._redirect(obj.py_func, namespace)  # after registering: a callee may lead back here
            return self.copies[key]
        module = pytypes.ModuleType(obj.__name__, obj.__doc__)  # a module whose members lead to the stand-ins
        module.__dict__.update(obj.__dict__)
        for name in names:
            if hasattr(obj, name) and self._changed(getattr(obj, name), set()):
                setattr(module, name, self._replacement(getattr(obj, name), set()))
        return module

    def _redirect(self, function: Any, namespace: dict[str, Any]) -> None:
        names = _names(function.__code__)
        for name in names:
            if name in namespace and self._changed(namespace[name], names):
                namespace[name] = self._replacement(namespace[name], names)

    def _reaches(self, function: Any) -> bool:
        """Whether the Python ``function`` calls, directly or not, something left out."""
        key = id(function)
        if key not in self.reaching:
            self.reaching[key] = False  # a function that calls itself
            names = _names(function.__code__)
            self.reaching[key] = any(
                self._changed(function.__globals__[name], names) for name in names if name in function.__globals__
            )
        return self.reaching[key]

    def _left_out(self, obj: Any) -> bool:
        try:
            return obj in self.leave_out
        except TypeError:  # unhashable
            return False
