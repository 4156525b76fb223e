"""The compiled drivers: shuffle, epochs, stopping rule, divergence, for every model.

:func:`fit_kernel` runs one fit, :func:`sweep_kernel` many that share a
permutation stream. Each epoch is one call of the model's epoch function
(:data:`EPOCHS`, one signature for all: :data:`EPOCH_SIGNATURE`):

- ``LINEAR_SQUARED``: the linear model with the squared error,
  :func:`fastopt.engine.linear.linear_epoch`, the library's hot loop, untouched by
  the other models;
- ``NETWORK``: any built-in model and loss, :func:`fastopt.engine.network.network_epoch`;
- ``OBJECTIVE``: a user's :class:`~fastopt.models.objective.Objective`,
  :func:`fastopt.models.objective.objective_epoch`.

:func:`fit_kernel` receives the epoch as a first-class function and calls it
by address: the driver is compiled once for every model and rule, and the
epoch apart from it for the call's rule (:func:`fastopt.engine.variants.epoch_for_call`).
:func:`sweep_kernel` calls the epochs directly and is compiled as a variant
for the kinds and rules of a sweep (:func:`fastopt.engine.variants.for_call`).
The drivers are compiled for one explicit signature each
(:func:`fastopt.engine.jit.one_signature`): the user's functions arrive as
first-class function values, so every new process loads them from Numba's
cache whatever the model. No Python runs per epoch or per batch, and nothing
is allocated after a driver starts. Numba options are in :mod:`fastopt.engine.jit`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..methods import MIN_STATE_WIDTH
from ..models.objective import objective_epoch
from ..schedules import after_epoch
from .jit import jit, one_signature
from .linear import linear_epoch
from .network import gradient_sign, network_epoch, work_size
from .record import store_row
from .shuffle import shuffle
from .signatures import EPOCH_SIGNATURE, EPOCH_TYPE, fit_signature, sweep_signature
from .status import DIVERGED, LINEAR_SQUARED, MAX_EPOCHS, NETWORK, OBJECTIVE, RUNNING, STALLED, all_finite

__all__ = [
    "epoch_status",
    "fit_kernel",
    "sweep_kernel",
    "scratch",
    "EPOCH_SIGNATURE",
    "EPOCH_TYPE",
    "EPOCHS",
]


@jit(inline="always")  # once per epoch: inlined, one compiled function fewer
def epoch_status(loss: float, params: np.ndarray, previous: float, threshold: float) -> int:
    """``DIVERGED`` if the loss or a parameter is not finite, ``STALLED`` by the stopping rule, else ``RUNNING``."""
    if not (math.isfinite(loss) and all_finite(params)):
        return DIVERGED
    if abs(previous - loss) < threshold:
        return STALLED
    return RUNNING


def scratch(
    specs: Sequence[np.ndarray], n_rows: int, batch_sizes: Sequence[int], n_params: int, dtype: str = "float64"
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """``(grad, work, capacity, order, rows)``: the scratch the epochs of models ``specs`` (with their
    ``batch_sizes``) need on ``n_rows`` rows, allocated once per call of a driver
    (:func:`~fastopt.engine.signatures.epoch_signature`).

    ``grad`` (of the run's ``dtype``, as ``work``) has ``n_params`` entries; a network's ``work`` holds
    ``capacity`` rows, its batch and at least 256 for the epoch loss, of its largest layout
    (:func:`fastopt.engine.network.work_size`), ``order`` is ``arange(n_rows)`` for its epoch loss; an
    objective's ``rows`` holds a batch's row numbers.
    """
    networks = [spec for spec in specs if spec[0] == NETWORK]
    network_batches = [b for spec, b in zip(specs, batch_sizes, strict=True) if spec[0] == NETWORK]
    objective_batches = [b for spec, b in zip(specs, batch_sizes, strict=True) if spec[0] == OBJECTIVE]
    capacity = max((max(min(b, n_rows), min(n_rows, 256)) for b in network_batches), default=0)
    work = np.empty(max((work_size(spec, capacity) for spec in networks), default=0), dtype=dtype)
    order = np.arange(n_rows if networks else 0, dtype=np.uint32)
    rows = np.empty(min(n_rows, max(objective_batches, default=0)), dtype=np.int64)
    return np.empty(n_params, dtype=dtype), work, capacity, order, rows


#: Each model kind's epoch, by ``spec[0]``.
EPOCHS = {LINEAR_SQUARED: linear_epoch, NETWORK: network_epoch, OBJECTIVE: objective_epoch}


@one_signature(fit_signature(), fit_signature)
def fit_kernel(
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
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    rng_state: np.ndarray,
    batch_size: int,
    threshold: float,
    shuffle_rows: bool,
    loss_history: np.ndarray,
    path: np.ndarray,
    start_epoch: int,
    stop_epoch: int,
    t: int,
    path_every: int,
    path_steps: bool,
    first_step: int,
    run_epoch: Any,
    grad: np.ndarray,
    work: np.ndarray,
    capacity: int,
    order: np.ndarray,
    rows: np.ndarray,
) -> tuple[int, int, int]:
    """Run epochs ``start_epoch .. stop_epoch - 1`` of minibatch training in place.

    A run may be split into consecutive calls (to report progress between
    them); the result is the same as one call, because everything that
    carries over between epochs lives in the arrays passed in.

    Parameters
    ----------
    X : read-only float64[n, d], C-contiguous
    y : read-only float64[n] (class labels as 0.0, 1.0, ... for classification losses)
    spec : int64[4 + layers]
        The model: ``[kind, loss code, activation, n_0 .. n_L]`` (see
        :mod:`fastopt.engine.network`).
    gradient, loss : first-class functions
        A user's :class:`~fastopt.models.objective.Objective` (``kind == OBJECTIVE``),
        else :data:`fastopt.models.objective.BUILT_IN`.
    net_gradient, net_loss : first-class functions
        A network's (``kind == NETWORK``; compiled for its architecture,
        :func:`fastopt.engine.variants.network_for_call`), else :data:`~fastopt.engine.network.NO_FUNCTIONS`:
        its epoch calls them by address.
    M, M_abs : float64[d + 2, d + 2] or float64[0, 0]
        Moments for the linear model's epoch loss (see :mod:`fastopt.engine.linear`);
        empty arrays make every epoch loss a direct pass over the rows.
    code : int
        Registry code of the update rule.
    user : (n, step, begin_epoch, end_epoch)
        A user's :class:`~fastopt.methods.rule.Rule` (``code % LOOKAHEAD == USER``),
        else :data:`fastopt.methods.rule.NO_RULE` (see :data:`~fastopt.methods.rule.RULE_TYPE`).
    hp : float64[h]
        Hyperparameters in registry order; ``hp[0]`` is the base learning rate. A copy: ``one_cycle``
        writes the momentum it cycles into it.
    schedule : float64[s]
        Learning-rate schedule, :func:`fastopt.schedules.kernel_schedule`'s
        encoding; updated in place by a stateful schedule (reduce_on_plateau).
    params : float64[p]
        Parameters, updated in place.
    state : float64[k, max(p, 2)]
        The rule's state (zeros at the start of a run), updated in place.
    index : uint32[n]
        Row order, shuffled in place each epoch (``arange(n)`` at the start).
    rng_state : uint64[4]
        Generator state for the permutations, advanced in place.
    batch_size : int
        Rows per minibatch; the last batch of an epoch may be shorter.
    threshold : float
        Stop once ``|previous loss - loss| < threshold``; 0 never stops.
    shuffle_rows : bool
        Draw a fresh permutation of the rows before every epoch.
    loss_history : float64[epochs]
        Receives the training loss after each epoch; also read for the
        previous epoch's loss when resuming.
    path : float64[rows, p] or float64[0, p]
        Receives the parameters, when it has rows: after every ``path_every``-th
        epoch (row ``(epoch + 1) // path_every - 1``) or, with ``path_steps``,
        after every ``path_every``-th update of the run (row
        ``(updates since first_step) // path_every - 1``).
    start_epoch, stop_epoch : int
        The epochs to run, counted from 0 over the whole run.
    t : int
        Updates made before ``start_epoch``.
    path_every, path_steps, first_step : int, bool, int
        How ``path`` is filled (above); ``first_step`` is the run's update count at its start.
    run_epoch : first-class function of :data:`EPOCH_SIGNATURE`
        The model kind's epoch, compiled for the call's rule (:func:`fastopt.engine.variants.epoch_for_call`).
        The driver calls it by address, once per epoch: compiled and cached apart from it, so a driver
        serves every model and rule.
    grad, work, capacity, order, rows
        The epochs' scratch, :func:`scratch`'s.

    Returns
    -------
    epochs_done, t, status : int, int, int
        Epochs completed over the whole run, updates made, and an index into
        :data:`~fastopt.engine.status.STATUSES` (``MAX_EPOCHS`` when ``stop_epoch`` was reached).
    """
    record_epochs = path.shape[0] > 0 and not path_steps
    step_path = path if path_steps else path[:0]
    every = path_every if path_steps else 0
    previous = loss_history[start_epoch - 1] if start_epoch > 0 else np.inf
    sign = gradient_sign(spec)
    for epoch in range(start_epoch, stop_epoch):
        if shuffle_rows:
            shuffle(index, rng_state)
        loss_value, t = run_epoch(
            X, y, spec, gradient, loss, net_gradient, net_loss, M, M_abs, code, user, hp, schedule, epoch, params,
            state, index, batch_size, grad, work, capacity, order, rows, t, sign, step_path, every, first_step,
        )  # fmt: skip
        after_epoch(schedule, loss_value)
        loss_history[epoch] = loss_value
        if record_epochs and (epoch + 1) % path_every == 0:
            store_row(path, (epoch + 1) // path_every - 1, params)
        status = epoch_status(loss_value, params, previous, threshold)
        if status != RUNNING:
            return epoch + 1, t, status
        previous = loss_value
    return stop_epoch, t, MAX_EPOCHS


@one_signature(sweep_signature(), sweep_signature)
def sweep_kernel(
    X: np.ndarray,
    y: np.ndarray,
    specs: np.ndarray,
    spec_lengths: np.ndarray,
    n_params: np.ndarray,
    gradient: Any,
    loss: Any,
    net_gradient: Any,
    net_loss: Any,
    M: np.ndarray,
    M_abs: np.ndarray,
    use_moments: np.ndarray,
    codes: np.ndarray,
    user: Any,
    hps: np.ndarray,
    schedules: np.ndarray,
    params: np.ndarray,
    states: np.ndarray,
    index: np.ndarray,
    rng_state: np.ndarray,
    batch_sizes: np.ndarray,
    thresholds: np.ndarray,
    epochs: np.ndarray,
    shuffle_rows: bool,
    loss_history: np.ndarray,
    epochs_run: np.ndarray,
    steps: np.ndarray,
    statuses: np.ndarray,
    last_loss: np.ndarray,
    start_epoch: int,
    stop_epoch: int,
    grad: np.ndarray,
    work: np.ndarray,
    capacity: int,
    order: np.ndarray,
    rows: np.ndarray,
) -> int:
    """Run epochs ``start_epoch .. stop_epoch - 1`` of K configurations that share one permutation stream.

    Each epoch draws one permutation (when ``shuffle_rows``) and every
    configuration still running trains on it, so configurations that share
    a seed pay for one shuffle instead of K. Each configuration's run is
    bit-for-bit the run :func:`fit_kernel` makes with the same seed: the
    permutation stream depends on the seed alone, not on the method, the
    model, the learning rate or the batch size.

    Parameters are those of :func:`fit_kernel`, stacked along a first axis
    of length K and padded to the longest: configuration k uses
    ``specs[k, :spec_lengths[k]]``, ``params[k, :n_params[k]]`` and, as its
    ``(r, max(p_k, 2))`` state, the first ``r * max(p_k, 2)`` entries of
    ``states[k]`` (float64[K, r * max(p_max, 2)]); plus:

    use_moments : bool[K]
        Whether configuration k computes its epoch loss from ``M`` (as
        :func:`fastopt.engine.linear.use_moments` decides for its epochs).
    codes : int64[K]
        Registry code of each configuration's update rule.
    user : (n, step, begin_epoch, end_epoch)
        The user's rule of the configurations whose code is ``USER`` (one rule per call), else ``NO_RULE``.
    epochs : int64[K]
        Maximum epochs of each configuration.
    loss_history : float64[K, stop_epoch - start_epoch] or float64[K, 0]
        This call's per-epoch losses (column 0 is ``start_epoch``), kept
        only when it has columns.
    epochs_run, steps, statuses : int64[K]
        Outputs; ``statuses`` must start at ``RUNNING``.
    last_loss : float64[K]
        Output: the loss after the last epoch run (NaN before any).
    start_epoch, stop_epoch : int
        As for :func:`fit_kernel`: a sweep may be split into consecutive
        calls (for Ctrl-C and progress) with the same result.
    grad, work, capacity, order, rows
        The epochs' scratch, :func:`scratch`'s for all the configurations (``grad`` of the longest parameters).

    Returns
    -------
    int
        Configurations still running.
    """
    K = codes.shape[0]
    state_rows = states.shape[1] // max(params.shape[1], MIN_STATE_WIDTH)
    no_moments = np.empty((0, 0))
    no_path = np.empty((0, 0))  # a sweep records no paths
    hps = hps.copy()  # one_cycle writes the momentum it cycles into them
    keep_history = loss_history.shape[1] > 0
    previous = np.full(K, np.inf)
    active = 0
    for k in range(K):
        if statuses[k] == RUNNING and epochs[k] == 0:
            statuses[k] = MAX_EPOCHS
        if statuses[k] == RUNNING:
            active += 1
            if epochs_run[k] > 0:
                previous[k] = last_loss[k]
    for epoch in range(start_epoch, stop_epoch):
        if active == 0:
            break
        if shuffle_rows:
            shuffle(index, rng_state)
        for k in range(K):
            if statuses[k] != RUNNING:
                continue
            p = n_params[k]
            own_params = params[k, :p]
            width = max(p, MIN_STATE_WIDTH)
            own_state = states[k, : state_rows * width].reshape((state_rows, width))
            spec = specs[k, : spec_lengths[k]]
            m, m_abs = (M, M_abs) if use_moments[k] else (no_moments, no_moments)
            # A branch per model kind, each a call the variant keeps or leaves out: reached through one
            # function, the line's epoch optimised less well (23 -> 31 us per epoch on the benchmark).
            if spec[0] == LINEAR_SQUARED:
                loss_value, t = linear_epoch(
                    X, y, spec, gradient, loss, net_gradient, net_loss, m, m_abs, codes[k], user, hps[k],
                    schedules[k], epoch, own_params, own_state, index, batch_sizes[k], grad[:p], work, capacity,
                    order, rows, steps[k], gradient_sign(spec), no_path, 0, 0,
                )  # fmt: skip
            elif spec[0] == NETWORK:
                loss_value, t = network_epoch(
                    X, y, spec, gradient, loss, net_gradient, net_loss, m, m_abs, codes[k], user, hps[k],
                    schedules[k], epoch, own_params, own_state, index, batch_sizes[k], grad[:p], work, capacity,
                    order, rows, steps[k], gradient_sign(spec), no_path, 0, 0,
                )  # fmt: skip
            else:
                loss_value, t = objective_epoch(
                    X, y, spec, gradient, loss, net_gradient, net_loss, m, m_abs, codes[k], user, hps[k],
                    schedules[k], epoch, own_params, own_state, index, batch_sizes[k], grad[:p], work, capacity,
                    order, rows, steps[k], gradient_sign(spec), no_path, 0, 0,
                )  # fmt: skip
            after_epoch(schedules[k], loss_value)
            steps[k] = t
            epochs_run[k] = epoch + 1
            last_loss[k] = loss_value
            if keep_history:
                loss_history[k, epoch - start_epoch] = loss_value
            status = epoch_status(loss_value, own_params, previous[k], thresholds[k])
            if status == RUNNING and epoch + 1 == epochs[k]:
                status = MAX_EPOCHS
            if status != RUNNING:
                statuses[k] = status
                active -= 1
            previous[k] = loss_value
    return active
