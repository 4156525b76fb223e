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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from numba import njit

__all__ = ["jit"]


def jit(function: Callable[..., Any] | None = None, *, inline: Literal["never", "always"] = "never") -> Any:
    """Compile ``function`` with fastopt's Numba options (see module docstring).

    ``inline="always"`` inlines a helper into its callers at Numba's IR level,
    for helpers whose callers LLVM would not inline them into. Used bare
    (``@jit``) or with arguments (``@jit(inline="always")``).
    """

    def compile_(f: Callable[..., Any]) -> Any:
        return njit(f, cache=True, nogil=True, error_model="numpy", inline=inline)

    return compile_ if function is None else compile_(function)
