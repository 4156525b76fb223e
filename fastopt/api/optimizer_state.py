"""``fit(..., optimizer_state=...)``: a rule's state to resume from, checked and in the kernel's layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine.param_groups import split_state
from ..methods import Method, resume_state, state_width
from ..models.scaling import Scaling
from ..torch import is_optimizer, state_from_torch
from .checks import check_array, check_integer

__all__ = ["check_optimizer_state"]


def check_optimizer_state(
    value: Any,
    row: Method,
    hyper: Mapping[str, Any],
    n_params: int,
    scaling: Scaling | None,
    bias: np.ndarray | None = None,
) -> tuple[np.ndarray | None, int]:
    """``optimizer_state`` as ``(the rule's state array, updates made)``; ``(None, 0)`` when not given.

    ``value`` is a mapping (what :attr:`FitResult.optimizer_state` holds: one array of
    ``n_params`` per state row named in the method's registry row, except its cached rows,
    and ``"step"``, the updates made) or a ``torch.optim`` optimizer (see :mod:`fastopt.torch`).
    ``bias`` marks the biases of a run with two parameter groups (:func:`~fastopt.engine.param_groups.split_state`).
    """
    if value is None:
        return None, 0
    if scaling is not None:
        raise ValueError("optimizer_state is for standardize=False (the state would be in standardized units)")
    if is_optimizer(value):
        value = state_from_torch(value, row.name)
    if not isinstance(value, Mapping):
        raise TypeError(f"optimizer_state must be a mapping or a torch.optim optimizer, got {type(value).__name__}")
    rows = [name for name in row.state_names if name not in row.cached_rows]
    unknown = sorted(set(value) - {*rows, "step"})
    if unknown:
        raise ValueError(
            f"optimizer_state has {', '.join(map(repr, unknown))}, which {row.name} does not keep; "
            f"its state is: {', '.join(map(repr, [*rows, 'step']))}"
        )
    step = check_integer("optimizer_state['step']", value.get("step", 0), 0, maximum=None)
    state = np.zeros((len(row.state_names), state_width(n_params)))
    for name in rows:
        if name in value:
            array = check_array(f"optimizer_state[{name!r}]", value[name], (1,))
            if array.shape != (n_params,):
                raise ValueError(f"optimizer_state[{name!r}] must have shape ({n_params},), got {array.shape}")
            state[row.state_names.index(name), :n_params] = array
    if bias is None:
        resume_state(row, state, hyper, step)
        return state, step
    grouped = split_state(state, bias)
    n_rows = state.shape[0]
    resume_state(row, grouped[:n_rows], hyper, step)
    resume_state(row, grouped[n_rows:], {**hyper, "weight_decay": 0.0}, step)
    return grouped, step
