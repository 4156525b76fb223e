"""Compile a driver for what one call needs: its model kinds and update rules, each variant cached on disk.

A driver (:func:`fastopt.engine.kernels.fit_kernel`, ...) is written once for
every model kind and every rule: it dispatches on integer codes. Compiled as
it is, the first fit compiles all of them (about a minute). A *variant* of
the driver is a copy of its Python function, and of every function it calls
that reaches a left-out piece, whose globals name a no-op instead of each
model epoch and rule the call does not use. The copies keep the source's
code object, so their results are those of the full driver, bit for bit;
each copy gets its own qualified name (``fit_kernel.line.adam``), which is
what Numba's on-disk cache keys a function's files on, so every variant is
compiled once per install and loaded from the cache afterwards.
"""

from __future__ import annotations

import math
import threading
import types as pytypes
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numba

from .jit import jit, load_once

__all__ = ["absent", "absent_epoch", "variant", "compiled_variants", "MAX_COMPILED_VARIANTS"]


@jit
def absent(*args: Any) -> None:
    """Stands in for a rule or hook that a variant leaves out (never called: its code is not dispatched to)."""
    return None


@jit
def absent_epoch(*args: Any) -> tuple[float, int]:
    """Stands in for a model's epoch that a variant leaves out (never called)."""
    return math.nan, 0


#: Variants of one driver a process compiles (not loaded from the cache) before it uses the whole driver:
#: a run over many methods (a study, the test suite) compiles the whole driver once (about a minute) instead
#: of a variant (seconds) per method. The whole driver runs the same code, so the results are the same.
MAX_COMPILED_VARIANTS = 6

_lock = threading.RLock()
_variants: dict[tuple[int, str], Any] = {}
_compiled: dict[int, int] = {}


def variant(driver: Any, name: str, leave_out: Mapping[Any, Any]) -> Callable[..., Any]:
    """``driver`` (a :func:`~fastopt.engine.jit.one_signature` kernel) with every function in ``leave_out``
    replaced by its value, compiled for the driver's signature; the whole ``driver`` once this process has
    compiled :data:`MAX_COMPILED_VARIANTS` of its variants.

    ``name`` names the variant (it becomes part of the cache files' names);
    ``leave_out`` maps compiled functions (found by identity, as globals or
    as attributes of modules the functions use) to their stand-ins.
    """
    if getattr(numba.config, "DISABLE_JIT", False):
        return driver
    key = (id(driver), name)
    with _lock:
        found = _variants.get(key)
        if found is None:
            if _compiled.get(id(driver), 0) >= MAX_COMPILED_VARIANTS:
                return driver
            copies: dict[int, Any] = {}
            reaches: dict[int, bool] = {}
            py_func, namespace = _copy(driver.py_func, name)
            _redirect(driver.py_func, namespace, name, leave_out, copies, reaches)
            found = load_once(jit(py_func), driver.signature, driver.py_func.__name__)
            if sum(found.stats.cache_misses.values()):
                _compiled[id(driver)] = _compiled.get(id(driver), 0) + 1
            _variants[key] = found
    return found


def compiled_variants(driver: Any) -> dict[str, Any]:
    """The variants of ``driver`` this process has compiled or loaded, by name (Numba dispatchers)."""
    with _lock:
        return {name: found for (key, name), found in _variants.items() if key == id(driver)}


def _is_ours(obj: Any) -> bool:
    return isinstance(obj, numba.core.registry.CPUDispatcher) and obj.py_func.__module__.startswith("fastopt")


def _names(code: pytypes.CodeType) -> Iterable[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            yield from _names(const)


def _reaches(function: Any, leave_out: Mapping[Any, Any], reaches: dict[int, bool]) -> bool:
    """Whether ``function`` (a Python function) calls, directly or not, something in ``leave_out``."""
    key = id(function)
    if key in reaches:
        return reaches[key]
    reaches[key] = False  # recursion guard
    found = False
    names = set(_names(function.__code__))
    for name in names:
        obj = function.__globals__.get(name)
        if obj is None:
            continue
        if _leaves(obj, leave_out) or (_is_ours(obj) and _reaches(obj.py_func, leave_out, reaches)):
            found = True
        elif isinstance(obj, pytypes.ModuleType) and obj.__name__.startswith("fastopt"):
            for attribute in names:
                member = getattr(obj, attribute, None)
                if member is not None and (
                    _leaves(member, leave_out) or (_is_ours(member) and _reaches(member.py_func, leave_out, reaches))
                ):
                    found = True
    reaches[key] = found
    return found


def _leaves(obj: Any, leave_out: Mapping[Any, Any]) -> bool:
    try:
        return obj in leave_out
    except TypeError:  # unhashable
        return False


def _copy(function: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """A copy of the Python ``function``, named for the variant, with its own globals (returned to fill in)."""
    namespace = dict(function.__globals__)
    copy = pytypes.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
    )
    copy.__qualname__ = f"{function.__qualname__}.{name}"
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy, namespace


def _redirect(
    function: Any,
    namespace: dict[str, Any],
    name: str,
    leave_out: Mapping[Any, Any],
    copies: dict[int, Any],
    reaches: dict[int, bool],
) -> None:
    """Point ``namespace`` (a copy's globals) at the stand-ins and at copies of the functions that reach them."""
    names = set(_names(function.__code__))
    for global_name in names:
        obj = namespace.get(global_name)
        if obj is None:
            continue
        if _leaves(obj, leave_out):
            namespace[global_name] = leave_out[obj]
        elif _is_ours(obj) and _reaches(obj.py_func, leave_out, reaches):
            namespace[global_name] = _copied_dispatcher(obj, name, leave_out, copies, reaches)
        elif isinstance(obj, pytypes.ModuleType) and _reaches_through(obj, names, leave_out, reaches):
            module = pytypes.ModuleType(obj.__name__, obj.__doc__)
            module.__dict__.update(obj.__dict__)
            for attribute in names:
                member = getattr(obj, attribute, None)
                if member is None:
                    continue
                if _leaves(member, leave_out):
                    setattr(module, attribute, leave_out[member])
                elif _is_ours(member) and _reaches(member.py_func, leave_out, reaches):
                    setattr(module, attribute, _copied_dispatcher(member, name, leave_out, copies, reaches))
            namespace[global_name] = module


def _reaches_through(module: Any, names: set[str], leave_out: Mapping[Any, Any], reaches: dict[int, bool]) -> bool:
    if not module.__name__.startswith("fastopt"):
        return False
    for attribute in names:
        member = getattr(module, attribute, None)
        if member is not None and (
            _leaves(member, leave_out) or (_is_ours(member) and _reaches(member.py_func, leave_out, reaches))
        ):
            return True
    return False


def _copied_dispatcher(
    dispatcher: Any, name: str, leave_out: Mapping[Any, Any], copies: dict[int, Any], reaches: dict[int, bool]
) -> Any:
    key = id(dispatcher)
    if key not in copies:
        copy, namespace = _copy(dispatcher.py_func, name)
        copies[key] = jit(copy, inline=dispatcher.targetoptions.get("inline", "never"))
        _redirect(dispatcher.py_func, namespace, name, leave_out, copies, reaches)
    return copies[key]
