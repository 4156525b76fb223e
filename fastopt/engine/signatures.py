"""The drivers' and the epochs' signatures, for a run of each float type (:mod:`fastopt.engine.precision`).

The drivers (:func:`fastopt.engine.kernels.fit_kernel`,
:func:`fastopt.engine.kernels.sweep_kernel`) are compiled for one explicit
signature each, and the model's epoch, the network's passes and the rule
arrive in them as first-class functions of fixed types: in float64 (the
constants below) or, for a float32 run, the same with its data, parameters,
state and scratch in float32.
"""

from __future__ import annotations

import functools
from typing import Any

from numba import types

from ..methods.rule import rule_type
from ..models.objective import GRADIENT_TYPE, LOSS_TYPE
from . import network

__all__ = ["epoch_signature", "fit_signature", "sweep_signature", "EPOCH_SIGNATURE", "EPOCH_TYPE"]

_F1, _F2 = types.float64[::1], types.float64[:, ::1]
_I1, _U32, _U64 = types.int64[::1], types.uint32[::1], types.uint64[::1]
_I, _F, _B = types.int64, types.float64, types.boolean


def _run_types(real: Any) -> tuple[Any, ...]:
    """``(X, y, net_gradient, net_loss, rule, real[p], real[r, p])``: the types that follow a run's float type
    ``real``; the hyperparameters, schedule, moments, loss history and path stay float64."""
    X, y = types.Array(real, 2, "C", readonly=True), types.Array(real, 1, "C", readonly=True)
    net_gradient = types.FunctionType(network.gradient_signature(real))
    net_loss = types.FunctionType(network.loss_signature(real))
    return X, y, net_gradient, net_loss, rule_type(real), real[::1], real[:, ::1]


@functools.cache  # built once per float type: a call reads it at every fit
def epoch_signature(real: Any = types.float64) -> Any:
    """``epoch(X, y, spec, gradient, loss, net_gradient, net_loss, M, M_abs, code, user, hp, schedule, epoch,
    params, state, index, batch_size, grad, work, capacity, order, rows, t, sign, path, every, first_step)
    -> (loss, t)``: one epoch of a model kind (:func:`fastopt.engine.linear.linear_epoch`,
    :func:`fastopt.engine.network.network_epoch`, :func:`fastopt.models.objective.objective_epoch`), each argument
    described with :func:`~fastopt.engine.kernels.fit_kernel`'s, for a run of float type ``real``."""
    X, y, net_gradient, net_loss, rule, P1, P2 = _run_types(real)
    return types.Tuple((_F, _I))(
        X, y, _I1, GRADIENT_TYPE, LOSS_TYPE, net_gradient, net_loss, _F2, _F2, _I, rule, _F1,
        _F1, _I, P1, P2, _U32, _I, P1, P1, _I, _U32, _I1, _I, _F, _F2, _I, _I,
    )  # fmt: skip


@functools.cache  # built once per float type: a call reads it at every fit
def fit_signature(real: Any = types.float64) -> Any:
    """:func:`~fastopt.engine.kernels.fit_kernel`'s signature for a run of float type ``real``."""
    X, y, net_gradient, net_loss, rule, P1, P2 = _run_types(real)
    return types.UniTuple(_I, 3)(
        X, y, _I1, GRADIENT_TYPE, LOSS_TYPE, net_gradient, net_loss, _F2, _F2, _I, rule,
        _F1, _F1, P1, P2, _U32, _U64,
        _I, _F, _B, _F1, _F2, _I, _I, _I, _I, _B, _I, types.FunctionType(epoch_signature(real)), P1, P1, _I, _U32,
        _I1,
    )  # fmt: skip


@functools.cache  # built once per float type: a call reads it at every fit
def sweep_signature(real: Any = types.float64) -> Any:
    """:func:`~fastopt.engine.kernels.sweep_kernel`'s signature for runs of float type ``real``."""
    X, y, net_gradient, net_loss, rule, P1, P2 = _run_types(real)
    return _I(
        X, y, types.int64[:, ::1], _I1, _I1, GRADIENT_TYPE, LOSS_TYPE, net_gradient, net_loss,
        _F2, _F2, types.boolean[::1], _I1, rule,
        _F2,
        _F2, P2, P2, _U32, _U64, _I1, _F1, _I1, _B, _F2, _I1, _I1, _I1, _F1, _I, _I, P1, P1, _I, _U32, _I1,
    )  # fmt: skip


#: :func:`epoch_signature` in float64, and the type of the epoch the float64 driver receives.
EPOCH_SIGNATURE = epoch_signature()
EPOCH_TYPE = types.FunctionType(EPOCH_SIGNATURE)
