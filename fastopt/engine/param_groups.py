"""Two parameter groups, the weights and the biases, for ``fit(..., decay_biases=False)``.

PyTorch's common recipe is two param groups, ``[{"params": weights}, {"params": biases,
"weight_decay": 0.0}]``: the optimizer steps each group on its own, with the group's
hyperparameters and its own per-parameter state. fastopt does the same: when
``spec[NO_DECAY]`` is ``k + 1`` (``k`` the slot of ``weight_decay`` in ``hp``), every update
gathers the weights and their gradient into one contiguous buffer and the biases into
another, applies the rule to each (the biases with ``hp[k] = 0``) and scatters the results
back. Every rule, the built-ins and a user's, sees a plain parameter vector, as it would in
a run of that group alone, so nothing in any rule knows about groups.

The state of a grouped run has twice the method's rows: rows ``[0, r)`` are the weights'
state, rows ``[r, 2r)`` the biases', each group's values in its first columns (the width
stays ``max(p, 2)``, which holds either group and any scalars a rule keeps in two columns).
:func:`split_state` and :func:`merge_state` convert to and from the one-row-per-state-name
layout a user sees (:attr:`fastopt.FitResult.optimizer_state`).

Biases are the last ``n_out`` parameters of each layer (see :mod:`fastopt.engine.network`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..methods.dispatch import apply_rule, begin_epoch, end_epoch
from .jit import jit

__all__ = [
    "NO_DECAY",
    "STEP",
    "BEGIN_EPOCH",
    "END_EPOCH",
    "is_bias",
    "make_groups",
    "grouped",
    "split_state",
    "merge_state",
]

#: Where ``spec`` holds 1 + the slot of ``weight_decay`` in ``hp`` for a run whose biases are not decayed, else 0.
NO_DECAY = 4
_SIZES = NO_DECAY + 1  # the layer sizes follow (fastopt.engine.network.SPEC_HEADER)


@jit
def is_bias(spec: np.ndarray) -> np.ndarray:
    """bool[p]: which parameters are biases, in the layout of ``spec``'s layers (weights ``(out, in)``, then bias)."""
    total = 0
    for layer in range(_SIZES, spec.shape[0] - 1):
        total += (spec[layer] + 1) * spec[layer + 1]
    mask = np.zeros(total, dtype=np.bool_)
    offset = 0
    for layer in range(_SIZES, spec.shape[0] - 1):
        n_in, n_out = spec[layer], spec[layer + 1]
        offset += n_in * n_out
        mask[offset : offset + n_out] = True
        offset += n_out
    return mask


@jit
def make_groups(
    spec: np.ndarray, hp: np.ndarray, params: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(weights' indices, biases' indices, parameter buffer, gradient buffer, the biases' hp)`` for a grouped run.

    Empty arrays when ``spec[NO_DECAY]`` is 0; the buffers hold the larger group, of ``params``' dtype.
    """
    if spec[NO_DECAY] == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, params.dtype), np.empty(0, params.dtype), hp
    mask = is_bias(spec)
    biases = np.flatnonzero(mask)
    weights = np.flatnonzero(~mask)
    size = max(weights.shape[0], biases.shape[0])
    return weights, biases, np.empty(size, params.dtype), np.empty(size, params.dtype), hp.copy()


@jit(inline="always")
def _gather(source: np.ndarray, index: np.ndarray, out: np.ndarray) -> np.ndarray:
    part = out[: index.shape[0]]
    for k in range(index.shape[0]):
        part[k] = source[index[k]]
    return part


@jit(inline="always")
def _scatter(part: np.ndarray, index: np.ndarray, target: np.ndarray) -> None:
    for k in range(index.shape[0]):
        target[index[k]] = part[k]


@jit(inline="always")
def _biases_hp(spec: np.ndarray, hp: np.ndarray, own: np.ndarray) -> np.ndarray:
    # Copied at every use: one_cycle writes the momentum it cycles into hp between updates.
    own[:] = hp
    own[spec[NO_DECAY] - 1] = 0.0
    return own


#: What :func:`grouped` applies to each group: the rule's step, or the method's epoch hooks.
STEP, BEGIN_EPOCH, END_EPOCH = 0, 1, 2


@jit
def grouped(
    which: int,
    code: int,
    user: Any,
    params: np.ndarray,
    grad: np.ndarray,
    state: np.ndarray,
    lr: float,
    hp: np.ndarray,
    t: int,
    spec: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """On each group, the weights with ``hp`` and the biases without decay: the rule's step
    (:func:`~fastopt.methods.dispatch.apply_rule`, ``which == STEP``) or the method's ``begin_epoch``
    or ``end_epoch`` hook (``grad`` and ``lr`` unused there)."""
    weights, biases, p_buffer, g_buffer, own = groups
    rows = state.shape[0] // 2
    for group in range(2):
        index = weights if group == 0 else biases
        values = _gather(params, index, p_buffer)
        own_state = state[group * rows : (group + 1) * rows]
        own_hp = hp if group == 0 else _biases_hp(spec, hp, own)
        if which == STEP:
            apply_rule(code, user, values, _gather(grad, index, g_buffer), own_state, lr, own_hp, t)
        elif which == BEGIN_EPOCH:
            begin_epoch(code, user, values, own_state, own_hp, t)
        else:
            end_epoch(code, user, values, own_state, own_hp, t)
        _scatter(values, index, params)


def split_state(state: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A grouped run's state ``(2 r, width)`` from the user's layout ``(r, width)`` (one row per state name).

    Each row's weights go to the first columns of the weights' rows, its biases to those of the
    biases' rows; the rest stay as in ``state`` (cached scalars are rebuilt afterwards, per group).
    """
    grouped = np.concatenate([state, state])
    rows, n_w, n_b = state.shape[0], int(np.count_nonzero(~bias)), int(np.count_nonzero(bias))
    grouped[:rows, :n_w] = state[:, : bias.shape[0]][:, ~bias]
    grouped[rows:, :n_b] = state[:, : bias.shape[0]][:, bias]
    return grouped


def merge_state(grouped: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The inverse of :func:`split_state` for the per-parameter values: ``(r, width)`` in the parameters' layout."""
    rows = grouped.shape[0] // 2
    n_w, n_b = int(np.count_nonzero(~bias)), int(np.count_nonzero(bias))
    state = grouped[:rows].copy()
    state[:, : bias.shape[0]][:, ~bias] = grouped[:rows, :n_w]
    state[:, : bias.shape[0]][:, bias] = grouped[rows:, :n_b]
    return state
