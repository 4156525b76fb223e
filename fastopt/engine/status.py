"""The codes the compiled drivers speak in: how a run ended, which epoch function runs, and the finite check.

Kept apart from :mod:`fastopt.engine.kernels` so that the argument checks and the result, which need
these codes, do not load the drivers.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import jit

__all__ = [
    "STATUSES",
    "STALLED",
    "MAX_EPOCHS",
    "DIVERGED",
    "RUNNING",
    "KINDS",
    "LINEAR_SQUARED",
    "NETWORK",
    "OBJECTIVE",
    "all_finite",
]

# Status codes returned by the kernel; STATUSES[code] is the user-facing name.
STATUSES = ("stalled", "max_epochs", "diverged")
STALLED, MAX_EPOCHS, DIVERGED = range(3)
RUNNING = -1  # inside the kernels only

#: ``spec[0]``: which epoch function runs.
KINDS = ("linear_squared", "network", "objective")
LINEAR_SQUARED, NETWORK, OBJECTIVE = range(3)


@jit(inline="always")  # a few lines in every driver: inlined, not a compiled function of its own
def all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite (neither NaN nor infinite)."""
    for v in values:  # noqa: SIM110 (a loop compiles to tighter code than all() of a generator)
        if not math.isfinite(v):
            return False
    return True
