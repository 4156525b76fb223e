"""The one set of Numba options every compiled function in fastopt uses.

- ``cache=True``: compiled code is kept on disk, so a new process loads it
  instead of compiling again.
- ``nogil=True``: kernels release the GIL, so fits may run in threads.
- ``error_model="numpy"``: division by zero yields inf/NaN (caught by the
  divergence check) instead of raising. It also lets LLVM drop the array
  reference counting around calls between kernels, which otherwise costs
  about 50 ns per call, more than a whole minibatch step.
- no ``fastmath``: it lets ``isfinite`` return True for NaN and would
  silently disable the divergence check.
- a cache entry is valid for fastopt's sources as a whole: any edit to any
  of its files recompiles every function (Numba alone would only notice
  edits to the file that defines a function, not to the functions it calls).
- a damaged cache file counts as a cache miss (the function compiles again)
  instead of breaking every call; a cache that cannot be saved (full disk)
  costs the next process a compile, with one warning; with no writable
  cache folder at all (read-only install and home) fastopt compiles in
  memory, with one warning. ``NUMBA_CACHE_DIR`` moves the cache (Numba
  otherwise uses ``__pycache__`` next to the source, or a per-user folder).
- a Ctrl-C while Numba loads cached code is not lost: Numba rebuilds the
  code in llvmlite's callbacks, which print and drop an exception raised in
  them, so fastopt notes the signal and raises ``KeyboardInterrupt`` once
  the load is done (:func:`keeping_ctrl_c`).
- with ``NUMBA_DISABLE_JIT=1`` (CI's coverage run) functions run as plain
  Python with the same semantics (see :func:`_as_compiled`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numba
import numpy as np
from numba import njit
from numba.core.caching import FunctionCache, IndexDataCacheFile

__all__ = ["jit", "one_signature", "load_once", "check_compiled", "keeping_ctrl_c", "NOTICE_AFTER"]

#: Seconds a driver's first load may take before fastopt says that it is compiling (a cache hit takes < 0.5 s).
NOTICE_AFTER = 2.0


def jit(function: Callable[..., Any] | None = None, *, inline: Literal["never", "always"] = "never") -> Any:
    """Compile ``function`` with fastopt's Numba options (see module docstring).

    ``inline="always"`` inlines a helper into its callers at Numba's IR level,
    for helpers whose callers LLVM would not inline them into. Used bare
    (``@jit``) or with arguments (``@jit(inline="always")``).
    """

    def compile_(f: Callable[..., Any]) -> Any:
        if getattr(numba.config, "DISABLE_JIT", False):
            return _as_compiled(f)

        def compiled(cache: bool) -> Any:
            return njit(f, cache=cache, nogil=True, error_model="numpy", inline=inline)

        try:
            return _tolerate_broken_cache(compiled(cache=True))
        except RuntimeError as error:  # "cannot cache function ...: no locator available"
            if "no locator available" not in str(error):
                raise
            _warn_once(
                "fastopt: Numba finds no writable folder for its cache (a read-only install and home folder?), "
                "so fastopt compiles in memory, again in every process; set NUMBA_CACHE_DIR to a writable "
                "folder to keep the compiled code"
            )
            return compiled(cache=False)

    return compile_ if function is None else compile_(function)


def one_signature(signature: Any, of_type: Callable[[Any], Any] | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Compile a kernel for exactly ``signature``, on its first call, and for nothing else.

    Used for the driver kernels, which take the user's objective functions as
    first-class function values (see :mod:`fastopt.models.objective`): typed by an
    explicit signature they are one compiled function, found in the on-disk
    cache by every new process, whatever functions are passed. The data
    arrays are part of that signature as read-only arrays, so a caller's
    writable array, read-only view or pandas column all reach the same code.
    Arguments of any other type raise ``TypeError`` (a bug in fastopt).
    ``of_type(real)``, when given, is the signature for runs of another float
    type (:mod:`fastopt.engine.precision`), which a copy of the kernel is
    compiled for (:func:`fastopt.engine.variants.in_dtype`); it is the
    kernel's ``signature_for``.
    """

    def decorate(f: Callable[..., Any]) -> Any:
        dispatcher = jit(f)
        if getattr(numba.config, "DISABLE_JIT", False):
            return dispatcher
        lock = threading.Lock()

        @functools.wraps(f)
        def call(*args: Any) -> Any:
            if dispatcher._can_compile:
                with lock:
                    if dispatcher._can_compile:
                        load_once(dispatcher, signature, f.__name__)
            return dispatcher(*args)

        call.dispatcher = dispatcher  # type: ignore[attr-defined]
        call.py_func = f  # type: ignore[attr-defined]
        call.signature = signature  # type: ignore[attr-defined]
        call.signature_for = of_type  # type: ignore[attr-defined]
        return call

    return decorate


def load_once(dispatcher: Any, signature: Any, name: str) -> Any:
    """Compile ``dispatcher`` for ``signature`` (or load it from the cache), then for nothing else; return it."""
    # Loaded from the cache this takes well under a second; compiling takes seconds, which a user should not
    # mistake for a hang.
    notice = threading.Timer(NOTICE_AFTER, _compiling_notice, (name,))
    notice.daemon = True
    notice.start()
    try:
        dispatcher.compile(signature)
    finally:
        notice.cancel()
    dispatcher.disable_compile()
    return dispatcher


def check_compiled(name: str, function: Any, signature: Any, text: str, arguments: str = "") -> None:
    """Refuse anything but a Numba function that compiles for ``signature`` (read ``text``), with a clear message."""
    if getattr(numba.config, "DISABLE_JIT", False):  # functions run as Python (the coverage run)
        if not callable(function):
            raise TypeError(f"{name} must be a function, got {type(function).__name__}")
        return
    if not isinstance(function, numba.core.registry.CPUDispatcher):
        raise TypeError(
            f"{name} must be compiled with @numba.njit (got {type(function).__name__} "
            f"{getattr(function, '__name__', function)!r}); decorate it: @numba.njit def {text}"
        )
    try:
        function.compile(signature)
    except Exception as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        # Numba's first line names the compiler pass; the second says what failed to type.
        first_line = (lines[1] if len(lines) > 1 and lines[0].startswith("Failed in") else lines[0]) if lines else ""
        raise TypeError(
            f"{name} {getattr(function, '__name__', '')!r} does not compile as {text}"
            f"{' with ' + arguments if arguments else ''}: {first_line or type(error).__name__}"
        ) from None


def _compiling_notice(name: str) -> None:
    """One line on stderr while a driver compiles (first use after an install or an upgrade)."""
    print(
        f"fastopt: compiling {name} for first use (once per install; up to a minute, then loaded from "
        "Numba's cache in under a second)",
        file=sys.stderr,
        flush=True,
    )


def _as_compiled(f: Callable[..., Any]) -> Callable[..., Any]:
    """With ``NUMBA_DISABLE_JIT=1`` (the coverage run): the plain function, with compiled semantics.

    Compiled code wraps uint64 arithmetic and lets floats overflow to inf
    silently (divergence is checked explicitly); NumPy scalars would warn.
    """

    @functools.wraps(f)
    def plain(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return f(*args, **kwargs)

    plain.py_func = f  # type: ignore[attr-defined]
    return plain


class _TolerantCacheFile(IndexDataCacheFile):
    """Numba's cache file, reading a corrupted or unreadable entry as a cache miss.

    Numba raises (an ``UnpicklingError``, say) when a cache file is damaged,
    and every later call of the function fails. Treated as a miss, the
    function compiles again and the damaged file is overwritten.
    """

    def load(self, key: Any) -> Any:
        try:
            return super().load(key)
        except Exception:
            return None

    def _load_index(self) -> dict[Any, Any]:
        try:
            return dict(super()._load_index())
        except Exception:
            return {}

    def save(self, key: Any, data: Any) -> None:
        # Saving is best effort: a full disk or a lost folder must not fail the fit that compiled.
        try:
            super().save(key, data)
        except OSError as error:
            _warn_once(
                f"fastopt: could not save compiled code to Numba's cache ({error.strerror or error}); "
                "this process runs normally, the next one compiles again"
            )


@contextlib.contextmanager
def keeping_ctrl_c() -> Any:
    """Raise ``KeyboardInterrupt`` after the block if a Ctrl-C arrived during it and was dropped.

    Python runs the SIGINT handler in whatever Python code runs next, and a
    ctypes callback (llvmlite's, while Numba rebuilds cached code) prints and
    drops the ``KeyboardInterrupt`` raised there: the run would go on. Only on
    the main thread (where Python runs signal handlers) and only while SIGINT
    has Python's default handler (a program's own handler is left alone).
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received: list[int] = []

    def note(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:  # the block ended normally: the KeyboardInterrupt was dropped on the way
        raise KeyboardInterrupt


class _KeepsCtrlC(FunctionCache):
    """Numba's cache of a function, loading under :func:`keeping_ctrl_c`."""

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        with keeping_ctrl_c():
            return super().load_overload(sig, target_context)


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    """One ``RuntimeWarning`` per message and process (there are dozens of compiled functions)."""
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


@functools.cache
def _package_stamp() -> str:
    """A digest of every source file of fastopt.

    Numba keys a cache entry on the stamp of the file that defines the
    function only, so an edited callee in another file (a rule in
    ``fastopt/methods/adam.py`` inlined into a driver in ``kernels.py``) would leave
    the driver's stale machine code in use, silently. With this digest in
    every entry's stamp, any change to fastopt's sources recompiles all of it.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _tolerate_broken_cache(dispatcher: Any) -> Any:
    """Install :class:`_TolerantCacheFile` in a dispatcher, stamp its entries with :func:`_package_stamp` and
    load them under :func:`keeping_ctrl_c`.

    Each is a no-op if Numba's internals differ.
    """
    cache = getattr(dispatcher, "_cache", None)
    if type(cache) is FunctionCache:
        cache.__class__ = _KeepsCtrlC
    cache_file = getattr(cache, "_cache_file", None)
    if type(cache_file) is IndexDataCacheFile:
        cache_file.__class__ = _TolerantCacheFile
        cache_file._source_stamp = (cache_file._source_stamp, _package_stamp())
    return dispatcher
