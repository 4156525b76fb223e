"""Pieces several update rules share: compiled helpers, and their NumPy counterparts for the references.

The compiled ones are ``inline="always"``: each sits in the innermost loop of
a rule, where a call costs more than the arithmetic it saves.
"""

from __future__ import annotations

import numpy as np

from ..engine.jit import jit

__all__ = [
    "FLUSH_BELOW", "clip", "flushed", "running_power", "replayed_power", "penalty", "lerp", "gradient", "penalized",
]  # fmt: skip

#: Running products below this are set to 0: there ``1 - x`` is exactly 1.0 (x < 2**-54 suffices), so no
#: result changes, and the product never reaches the subnormal range, where a running product stays for
#: good (a few units of the smallest subnormal times beta round back to themselves) and every update does
#: subnormal arithmetic, which Intel Xeons do very slowly (+35 % per epoch measured for Adam once
#: beta2**t is subnormal, from update ~708,000). RAdam's and AdaBelief's rho_t = rho_inf - 2 t x / (1 - x)
#: is unchanged too: at the flush, 2 t x < half an ulp of rho_inf for every beta2 > 2/3, and for smaller
#: beta2 rho_inf < 5, where rho_t is only compared with 5.
FLUSH_BELOW = 2.0**-60


@jit
def clip(g: float, c: float) -> float:
    """``g`` clipped to ``[-c, c]``, written as comparisons so that NaN passes through (and is caught as divergence)."""
    if g > c:
        return c
    if g < -c:
        return -c
    return g


@jit(inline="always")
def flushed(x: float) -> float:
    """``x``, or 0.0 below :data:`FLUSH_BELOW` (a select, not a branch, so rules stay inlined)."""
    return x * (x >= FLUSH_BELOW)


@jit(inline="always")
def running_power(row: np.ndarray, slot: int, base: float, t: int) -> float:
    """``base**t`` kept as a running product in ``row[slot]`` (a pow call per step costs more than the update).

    The product differs from ``base**t`` by at most t rounding errors, far
    below 1e-10 of the result, and is flushed to 0 below
    :data:`FLUSH_BELOW`. When a schedule changes the base (``one_cycle``
    cycles beta1), the dispatch's ``rate_at`` recomputes it.
    """
    row[slot] = flushed(base if t == 1 else row[slot] * base)
    return row[slot]


@jit
def replayed_power(base: float, t: int) -> float:
    """What :func:`running_power` holds after ``t`` updates with a constant ``base`` (0.0 for ``t = 0``).

    For a resumed run: the same products and flushes as an unbroken one, so it continues bit for bit.
    """
    row = np.zeros(1)
    for k in range(1, t + 1):
        if running_power(row, 0, base, k) == 0.0:  # flushed: stays 0
            break
    return row[0]


@jit(inline="always")
def penalty(params: np.ndarray, lr: float, wd: float, decoupled: bool) -> float:
    """Decoupled decay (``p *= 1 - lr * wd``, returning 0) or the L2 coefficient to add to ``g`` (``wd``)."""
    if not decoupled:
        return wd
    decay = 1.0 - lr * wd
    for i in range(params.shape[0]):
        params[i] *= decay
    return 0.0


@jit(inline="always")
def lerp(start: float, end: float, weight: float) -> float:
    """``start + weight * (end - start)``, rounded as ``torch.lerp`` rounds it."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# NumPy, for the reference steps (hyperparameters by name, as in FitResult.hyperparameters).


def gradient(p: np.ndarray, g: np.ndarray, h: dict) -> np.ndarray:
    """The gradient a rule uses: clipped (where the method clips), plus the L2 term."""
    clip_value = h.get("clip_value")
    if clip_value is not None:
        g = np.clip(g, -clip_value, clip_value)
    return g + h.get("weight_decay", 0.0) * p


def penalized(p: np.ndarray, g: np.ndarray, lr: float, h: dict) -> np.ndarray:
    """Decoupled decay applied to ``p`` (returning ``g``), or the L2 term added to ``g``."""
    if h.get("decoupled_weight_decay"):
        p *= 1 - lr * h["weight_decay"]
        return g
    return g + h["weight_decay"] * p
