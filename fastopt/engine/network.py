"""Compiled forward and backward passes of the built-in models on a flat parameter array.

A model reaches the kernels as ``spec``, an int64 array::

    spec = [kind, loss_code, activation, maximize, no_decay, n_0, n_1, .., n_L]

with ``kind`` one of :data:`fastopt.engine.status.KINDS`, ``loss_code`` a row of
:data:`fastopt.models.losses.REGISTRY`, ``activation`` an index into
:data:`fastopt.models.ACTIVATIONS`, ``maximize`` 1 when the run ascends the loss
(``fit(maximize=True)``: every minibatch gradient is negated before the rule,
as torch.optim's ``maximize=True`` does; else 0), ``no_decay`` 0, or 1 + the slot of
``weight_decay`` in ``hp`` when the biases are a parameter group without weight decay
(:mod:`fastopt.engine.param_groups`), and ``n_0 .. n_L`` the layer sizes (input,
hidden layers, outputs). Parameters are laid out as in
:mod:`fastopt.models` (per layer: weight ``(out, in)`` row-major, then bias).

Layout of a batch: activations are stored unit by batch (``A[unit, row]``),
deltas batch by unit (``dZT[row, unit]``), all 2-D views of one scratch
buffer, ``work``. Every product of a layer is one primitive,
:func:`fastopt.engine.vector.row_combination` (a bias plus a weighted sum of
rows, its accumulators in vector registers, a ReLU applied as it stores):
the forward pass combines rows of the layer's inputs along the batch; the
backward pass to the inputs combines rows of the weights per row of the
batch; the weight gradient combines rows of the deltas (along the outputs)
or of a transposed copy of the inputs (along the inputs), whichever is
longer. Every sum over rows is taken in row order and every sum over units
in unit order: the result does not depend on the vector width, and two
runs are bit-for-bit identical. Nothing is allocated per batch.

The epoch calls the batch gradient (:func:`network_gradient`) and the epoch
loss (:func:`network_loss`) by address. A fit passes them compiled for its
architecture (:func:`fastopt.engine.variants.network_for_call`): ``spec`` is
then a constant (:func:`layout`), every layer size and loop bound known as
they compile, the same code computing the same bits faster.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numba import types

from ..methods.dispatch import apply_rule, begin_epoch, end_epoch, rate_at
from ..models.losses import row_loss
from .jit import jit
from .param_groups import BEGIN_EPOCH, END_EPOCH, NO_DECAY, STEP, grouped, make_groups
from .record import record_step
from .vector import NO_FLOOR, RELU_FLOOR, row_combination

__all__ = [
    "work_size", "network_epoch", "network_gradient", "network_loss", "SPEC_HEADER", "MAXIMIZE", "NO_DECAY",
    "gradient_sign", "layout", "GRADIENT_SIGNATURE", "LOSS_SIGNATURE", "GRADIENT_TYPE", "LOSS_TYPE", "FUNCTIONS",
    "NO_FUNCTIONS", "gradient_signature", "loss_signature",
]  # fmt: skip

#: ``spec[0:5]`` are kind, loss code, activation, maximize and no_decay; the layer sizes follow.
SPEC_HEADER = NO_DECAY + 1
#: Where ``spec`` says whether the run maximizes.
MAXIMIZE = 3

_I1, _U32, _I, _F = types.int64[::1], types.uint32[::1], types.int64, types.float64


@functools.cache  # built once per float type: a call reads it at every fit
def gradient_signature(real: Any = types.float64) -> Any:
    """:func:`network_gradient`'s signature, its data, parameters, gradient and scratch of float type ``real``."""
    X, y = types.Array(real, 2, "C", readonly=True), types.Array(real, 1, "C", readonly=True)
    return _F(X, y, _U32, _I, _I, _I1, real[::1], real[::1], real[::1], _I, _F)


@functools.cache  # built once per float type: a call reads it at every fit
def loss_signature(real: Any = types.float64) -> Any:
    """:func:`network_loss`'s signature, its data, parameters and scratch of float type ``real``."""
    X, y = types.Array(real, 2, "C", readonly=True), types.Array(real, 1, "C", readonly=True)
    return _F(X, y, _I1, real[::1], real[::1], _I, _U32)


#: :func:`network_gradient` and :func:`network_loss`, which the epoch calls by address
#: (:data:`FUNCTIONS`): compiled apart from it, and not again in it (float64; :func:`gradient_signature`).
GRADIENT_SIGNATURE, LOSS_SIGNATURE = gradient_signature(), loss_signature()
GRADIENT_TYPE, LOSS_TYPE = types.FunctionType(GRADIENT_SIGNATURE), types.FunctionType(LOSS_SIGNATURE)


@jit(inline="always")  # a short loop: inlined, one compiled function fewer
def _units(spec: np.ndarray) -> tuple[int, int]:
    """``(sum of all layer sizes, largest layer size)``: the scratch buffer's layout follows from them."""
    total = 0
    widest = 0
    for i in range(SPEC_HEADER, spec.shape[0]):
        total += spec[i]
        widest = max(widest, spec[i])
    return total, widest


@jit(inline="always")
def layout(spec: np.ndarray) -> np.ndarray:
    """``spec`` itself; in the passes compiled for one architecture (:func:`fastopt.engine.variants.network_for_call`),
    that architecture as a constant, so that every layer size and loop bound is known as they compile."""
    return spec


def work_size(spec: np.ndarray, batch: int) -> int:
    """Float64 scratch a batch of ``batch`` rows needs: every layer's activations, two deltas, a transpose, a 1.0
    (the layout :func:`network_gradient` reads from :func:`_units`)."""
    sizes = [int(n) for n in spec[SPEC_HEADER:]]
    return batch * (sum(sizes) + 3 * max(sizes)) + 1


@jit(inline="always")
def _view(work: np.ndarray, offset: int, units: int, batch: int) -> np.ndarray:
    return work[offset : offset + units * batch].reshape((units, batch))


@jit
def _forward(
    X: np.ndarray,
    index: np.ndarray,
    start: int,
    stop: int,
    spec: np.ndarray,
    params: np.ndarray,
    work: np.ndarray,
    capacity: int,
) -> None:
    """Forward pass over rows ``index[start:stop]``: layer l's activations in ``work`` at ``capacity * sum(n_<l)``."""
    spec = layout(spec)
    B = stop - start
    n_layers = spec.shape[0] - SPEC_HEADER - 1
    activation = spec[2]
    A = _view(work, 0, spec[SPEC_HEADER], B)
    for b in range(B):
        row = index[start + b]
        for j in range(spec[SPEC_HEADER]):
            A[j, b] = X[row, j]
    p = 0
    offset = 0
    for layer in range(n_layers):
        n_in = spec[SPEC_HEADER + layer]
        n_out = spec[SPEC_HEADER + layer + 1]
        inputs = offset
        offset += capacity * n_in
        bias = p + n_out * n_in
        hidden = layer < n_layers - 1
        floor = RELU_FLOOR if hidden and activation == 0 else NO_FLOOR  # a ReLU is applied as Z is stored
        for o in range(n_out):  # Z[o, b] = bias[o] + sum over i of W[o, i] * A_in[i, b]
            c = params[bias + o]
            row_combination(work, offset + o * B, 1, c, params, p + o * n_in, 1, work, inputs, B, n_in, B, floor)
        p += n_out * (n_in + 1)
        if hidden and activation != 0:
            Z = _view(work, offset, n_out, B)
            for o in range(n_out):
                for b in range(B):
                    Z[o, b] = math.tanh(Z[o, b])


@jit(inline="always")  # called twice, with two layouts: inlined, not compiled twice
def _times_derivative(dA: np.ndarray, A: np.ndarray, activation: int) -> None:
    """``dA *= act'`` at the outputs ``A`` (both batch by unit): ReLU passes where ``A > 0``, tanh' = 1 - A**2."""
    for b in range(dA.shape[0]):
        for i in range(dA.shape[1]):
            if activation == 0:  # a select, not a branch: the signs of A are close to random
                dA[b, i] = 0.0 if A[b, i] <= 0.0 else dA[b, i]
            else:
                dA[b, i] *= 1.0 - A[b, i] * A[b, i]


@jit
def network_gradient(
    X: np.ndarray,
    y: np.ndarray,
    index: np.ndarray,
    start: int,
    stop: int,
    spec: np.ndarray,
    params: np.ndarray,
    grad: np.ndarray,
    work: np.ndarray,
    capacity: int,
    sign: float,
) -> float:
    """Mean loss over rows ``index[start:stop]``; its gradient w.r.t. ``params``, times ``sign``, into ``grad``.

    The backward pass keeps each layer's deltas batch by unit (``dZT[row, unit]``),
    as the weight gradient along the outputs and the backward pass to the inputs
    combine them; only a weight gradient along the inputs needs a transposed
    copy, of the layer's inputs, which the activation's derivative then reads too.
    """
    spec = layout(spec)
    B = stop - start
    n_layers = spec.shape[0] - SPEC_HEADER - 1
    _forward(X, index, start, stop, spec, params, work, capacity)
    units, widest = _units(spec)
    layer_offset = capacity * (units - spec[spec.shape[0] - 1])  # the output layer's activations
    delta = capacity * units  # two delta buffers, the transpose, then a 1.0
    other = delta + capacity * widest
    transpose = other + capacity * widest
    one = transpose + capacity * widest
    work[one] = 1.0  # the weight of every term of a bias gradient's sum
    n_out = spec[spec.shape[0] - 1]
    Z = _view(work, layer_offset, n_out, B)
    dZ = _view(work, delta, B, n_out).T  # row_loss writes dZ[unit, row]: batch by unit in memory
    scale = sign / B  # maximize (sign -1): every delta, and so the gradient, negated exactly
    total = 0.0
    for b in range(B):
        total += row_loss(spec[1], Z, dZ, b, y[index[start + b]], scale)
    p_end = params.shape[0]
    for layer in range(n_layers - 1, -1, -1):
        n_in = spec[SPEC_HEADER + layer]
        n_out = spec[SPEC_HEADER + layer + 1]
        layer_offset -= capacity * n_in
        A_in = _view(work, layer_offset, n_in, B)
        p = p_end - n_out * (n_in + 1)
        p_end = p
        # gW[o, i] = sum over b of dZT[b, o] * A_in[i, b], in row order either way, along the
        # longer of outputs and inputs; gb[o] = sum over b of dZT[b, o].
        transposed = n_out <= n_in
        if transposed:
            T = _view(work, transpose, B, n_in)
            for i in range(n_in):
                for b in range(B):
                    T[b, i] = A_in[i, b]
            for o in range(n_out):  # row o of gW
                row_combination(
                    grad, p + o * n_in, 1, 0.0, work, delta + o, n_out, work, transpose, n_in, B, n_in, NO_FLOOR
                )
        else:
            for i in range(n_in):  # column i of gW
                inputs = layer_offset + i * B
                row_combination(grad, p + i, n_in, 0.0, work, inputs, 1, work, delta, n_out, B, n_out, NO_FLOOR)
        row_combination(grad, p + n_out * n_in, 1, 0.0, work, one, 0, work, delta, n_out, B, n_out, NO_FLOOR)
        if layer > 0:
            for b in range(B):  # dAT[b, i] = sum over o of dZT[b, o] * W[o, i]
                dA_row = other + b * n_in
                row_combination(
                    work, dA_row, 1, 0.0, work, delta + b * n_out, 1, params, p, n_in, n_out, n_in, NO_FLOOR
                )
            dA = _view(work, other, B, n_in)
            if transposed:
                _times_derivative(dA, _view(work, transpose, B, n_in), spec[2])
            else:
                _times_derivative(dA, A_in.T, spec[2])
            delta, other = other, delta
    return total * scale


@jit
def network_loss(X: np.ndarray, y: np.ndarray, spec: np.ndarray, params: np.ndarray, work: np.ndarray, capacity: int,
                 order: np.ndarray) -> float:  # fmt: skip
    """Mean loss over all rows, in row order (``order`` is ``arange(n)``), ``capacity`` rows at a time."""
    spec = layout(spec)
    n = X.shape[0]
    units, _ = _units(spec)
    n_out = spec[spec.shape[0] - 1]
    total = 0.0
    for start in range(0, n, capacity):
        stop = min(start + capacity, n)
        B = stop - start
        _forward(X, order, start, stop, spec, params, work, capacity)
        Z = _view(work, capacity * (units - n_out), n_out, B)
        dZ = _view(work, capacity * units, n_out, B)  # written, unused (scale 0)
        for b in range(B):
            total += row_loss(spec[1], Z, dZ, b, y[start + b], 0.0)
    return total / n


@jit(inline="always")
def gradient_sign(spec: np.ndarray) -> float:
    """-1.0 for a run that maximizes (``spec[MAXIMIZE]``), else 1.0: the factor of every minibatch gradient."""
    return -1.0 if spec[MAXIMIZE] != 0 else 1.0


@jit
def network_epoch(
    X: np.ndarray,
    y: np.ndarray,
    spec: np.ndarray,
    gradient: Any,
    loss: Any,
    net_gradient: Any,
    net_loss: Any,
    M: np.ndarray,
    M_abs: np.ndarray,
    code: int,
    user: Any,
    hp: np.ndarray,
    schedule: np.ndarray,
    epoch: int,
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    batch_size: int,
    grad: np.ndarray,
    work: np.ndarray,
    capacity: int,
    order: np.ndarray,
    rows: np.ndarray,
    t: int,
    sign: float,
    path: np.ndarray,
    every: int,
    first_step: int,
) -> tuple[float, int]:
    """Epoch ``epoch``: one pass over the rows in ``index`` order, one update per batch; returns ``(loss, t)``.

    ``work`` holds :func:`work_size` ``(spec, capacity)`` floats, ``capacity
    >= min(batch_size, n)``, ``order`` is ``arange(n)`` for the epoch loss, which is the mean training loss
    afterwards. The rate comes from ``schedule`` (see :func:`fastopt.schedules.learning_rate_at`). The
    arguments are those of every model's epoch (:data:`fastopt.engine.kernels.EPOCH_SIGNATURE`): ``gradient``,
    ``loss``, ``M``, ``M_abs`` and ``rows`` are the other models'; ``sign`` is :func:`gradient_sign`;
    ``net_gradient`` and ``net_loss`` are :func:`network_gradient` and :func:`network_loss` (:data:`FUNCTIONS`).
    """
    n = X.shape[0]
    per_step = schedule[0] != 0.0
    two_groups = spec[NO_DECAY] != 0
    groups = make_groups(spec, hp, params)
    if two_groups:
        grouped(BEGIN_EPOCH, code, user, params, grad, state, 0.0, hp, t, spec, groups)
    else:
        begin_epoch(code, user, params, state, hp, t)
    lr = rate_at(schedule, state, hp, epoch, t)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        net_gradient(X, y, index, start, stop, spec, params, grad, work, capacity, sign)
        if per_step:
            lr = rate_at(schedule, state, hp, epoch, t)
        t += 1
        if two_groups:
            grouped(STEP, code, user, params, grad, state, lr, hp, t, spec, groups)
        else:
            apply_rule(code, user, params, grad, state, lr, hp, t)
        record_step(path, every, t, first_step, params)
    if two_groups:
        grouped(END_EPOCH, code, user, params, grad, state, 0.0, hp, t, spec, groups)
    else:
        end_epoch(code, user, params, state, hp, t)
    return net_loss(X, y, spec, params, work, capacity, order), t


@jit
def _no_gradient(
    X: np.ndarray, y: np.ndarray, index: np.ndarray, start: int, stop: int, spec: np.ndarray, params: np.ndarray,
    grad: np.ndarray, work: np.ndarray, capacity: int, sign: float,
) -> float:  # fmt: skip
    """Stands in for :func:`network_gradient` in a run of another model (never called)."""
    return math.nan


@jit
def _no_loss(X: np.ndarray, y: np.ndarray, spec: np.ndarray, params: np.ndarray, work: np.ndarray, capacity: int,
             order: np.ndarray) -> float:  # fmt: skip
    """Stands in for :func:`network_loss` in a run of another model (never called)."""
    return math.nan


#: What the epochs receive as ``(net_gradient, net_loss)``: a network's, or stand-ins for the other models.
FUNCTIONS, NO_FUNCTIONS = (network_gradient, network_loss), (_no_gradient, _no_loss)
