"""The compiled training loop: shuffle, minibatches, gradient, update, stop.

One kernel owns the whole loop of SPEC.md, so that no Python runs per epoch
or per batch, and it allocates nothing after its start (one index array and
one gradient vector). The model is ``f(X) = X @ w + b`` with flat parameters
``params = [w_1 .. w_d, b]`` and loss the mean squared error.
Numba options are in :mod:`fastopt.jit`.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import jit
from .loss import epoch_loss
from .schedules import learning_rate_at
from .shuffle import shuffle
from .update_rules import (
    ADAGRAD,
    ADAM,
    ADAMW,
    MOMENTUM,
    NESTEROV,
    RMSPROP,
    SGD,
    adagrad,
    adam,
    adamw,
    momentum,
    nesterov,
    rmsprop,
    sgd,
)

__all__ = ["STATUSES", "CONVERGED", "MAX_EPOCHS", "DIVERGED", "RUNNING", "fit_kernel", "sweep_kernel", "train_epoch"]

# Status codes returned by the kernel; STATUSES[code] is the user-facing name.
STATUSES = ("converged", "max_epochs", "diverged")
CONVERGED, MAX_EPOCHS, DIVERGED = range(3)
RUNNING = -1  # inside the kernels only


@jit
def batch_gradient(
    X: np.ndarray, y: np.ndarray, index: np.ndarray, start: int, stop: int, params: np.ndarray, grad: np.ndarray
) -> None:
    """Gradient of the MSE over rows ``index[start:stop]``, written into ``grad``.

    ``grad_j = 2/B * sum_i (f(x_i) - y_i) * x_ij`` and ``grad_b = 2/B * sum_i
    (f(x_i) - y_i)``, with B = stop - start rows (the descent direction is
    ``-grad``; the tutorial's sign error is not repeated).
    """
    d = X.shape[1]
    scale = 2.0 / (stop - start)
    bias = params[d]
    grad_b = 0.0
    for j in range(d):
        grad[j] = 0.0
    for k in range(start, stop):
        row = index[k]
        residual = 0.0
        for j in range(d):
            residual += X[row, j] * params[j]
        residual = residual + bias - y[row]
        for j in range(d):
            grad[j] += residual * X[row, j]
        grad_b += residual
    for j in range(d):
        grad[j] *= scale
    grad[d] = grad_b * scale


@jit
def batch_gradient_1d(
    X: np.ndarray, y: np.ndarray, index: np.ndarray, start: int, stop: int, params: np.ndarray, grad: np.ndarray
) -> None:
    """:func:`batch_gradient` for one feature, with the sums kept in registers.

    The general loop keeps ``grad`` in memory; with one feature that
    store-to-load chain makes it about twice as slow.
    """
    scale = 2.0 / (stop - start)
    w = params[0]
    bias = params[1]
    grad_w = 0.0
    grad_b = 0.0
    for k in range(start, stop):
        row = index[k]
        residual = X[row, 0] * w + bias - y[row]
        grad_w += residual * X[row, 0]
        grad_b += residual
    grad[0] = grad_w * scale
    grad[1] = grad_b * scale


@jit
def _all_finite(values: np.ndarray) -> bool:
    for v in values:  # noqa: SIM110 (a loop compiles to tighter code than all() of a generator)
        if not math.isfinite(v):
            return False
    return True


@jit
def train_epoch(
    X: np.ndarray,
    y: np.ndarray,
    M: np.ndarray,
    M_abs: np.ndarray,
    code: int,
    hp: np.ndarray,
    lr: float,
    params: np.ndarray,
    state: np.ndarray,
    index: np.ndarray,
    batch_size: int,
    grad: np.ndarray,
    t: int,
) -> tuple[float, int]:
    """One pass over the rows in ``index`` order, one update per batch; returns ``(loss, t)``.

    ``grad`` is scratch space of the parameters' size; ``t`` counts updates
    made before this epoch; the loss is the training MSE afterwards.
    """
    n = X.shape[0]
    one_feature = X.shape[1] == 1
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if one_feature:
            batch_gradient_1d(X, y, index, start, stop, params, grad)
        else:
            batch_gradient(X, y, index, start, stop, params, grad)
        t += 1
        # The dispatch sits here rather than in a helper: a call that is
        # not inlined passes every array by value and costs ~40 ns, more
        # than the whole update of a one-feature model.
        if code == SGD:
            sgd(params, grad, state, lr, hp, t)
        elif code == MOMENTUM:
            momentum(params, grad, state, lr, hp, t)
        elif code == NESTEROV:
            nesterov(params, grad, state, lr, hp, t)
        elif code == RMSPROP:
            rmsprop(params, grad, state, lr, hp, t)
        elif code == ADAGRAD:
            adagrad(params, grad, state, lr, hp, t)
        elif code == ADAM:
            adam(params, grad, state, lr, hp, t)
        elif code == ADAMW:
            adamw(params, grad, state, lr, hp, t)
    return epoch_loss(X, y, params, M, M_abs), t


@jit
def epoch_status(loss: float, params: np.ndarray, previous: float, threshold: float) -> int:
    """``DIVERGED`` if the loss or a parameter is not finite, ``CONVERGED`` by the stopping rule, else ``RUNNING``."""
    if not (math.isfinite(loss) and _all_finite(params)):
        return DIVERGED
    if abs(previous - loss) < threshold:
        return CONVERGED
    return RUNNING


@jit
def fit_kernel(
    X: np.ndarray,
    y: np.ndarray,
    M: np.ndarray,
    M_abs: np.ndarray,
    code: int,
    hp: np.ndarray,
    schedule_code: int,
    schedule_args: np.ndarray,
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
) -> tuple[int, int, int]:
    """Run epochs ``start_epoch .. stop_epoch - 1`` of minibatch training in place.

    A run may be split into consecutive calls (to report progress between
    them); the result is the same as one call, because everything that
    carries over between epochs lives in the arrays passed in.

    Parameters
    ----------
    X : float64[n, d], C-contiguous
    y : float64[n]
    M, M_abs : float64[d + 2, d + 2] or float64[0, 0]
        Moments for the epoch loss (see :mod:`fastopt.loss`); empty arrays
        make every epoch loss a direct pass over the rows.
    code : int
        Registry code of the update rule.
    hp : float64[h]
        Hyperparameters in registry order; ``hp[0]`` is the base learning rate.
    schedule_code, schedule_args : int, float64[2]
        Learning-rate schedule (see :mod:`fastopt.schedules`); the rate of
        each epoch is a pure function of the epoch number.
    params : float64[d + 1]
        Parameters, updated in place.
    state : float64[k, d + 1]
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
        Receives the training MSE after each epoch; also read for the
        previous epoch's loss when resuming.
    path : float64[epochs, d + 1] or float64[0, d + 1]
        Receives the parameters after each epoch when it has rows.
    start_epoch, stop_epoch : int
        The epochs to run, counted from 0 over the whole run.
    t : int
        Updates made before ``start_epoch``.

    Returns
    -------
    epochs_done, t, status : int, int, int
        Epochs completed over the whole run, updates made, and an index into
        :data:`STATUSES` (``MAX_EPOCHS`` when ``stop_epoch`` was reached).
    """
    grad = np.empty_like(params)
    record_path = path.shape[0] > 0
    previous = loss_history[start_epoch - 1] if start_epoch > 0 else np.inf
    for epoch in range(start_epoch, stop_epoch):
        lr = learning_rate_at(schedule_code, schedule_args, hp[0], epoch)
        if shuffle_rows:
            shuffle(index, rng_state)
        loss, t = train_epoch(X, y, M, M_abs, code, hp, lr, params, state, index, batch_size, grad, t)
        loss_history[epoch] = loss
        if record_path:
            path[epoch, :] = params
        status = epoch_status(loss, params, previous, threshold)
        if status != RUNNING:
            return epoch + 1, t, status
        previous = loss
    return stop_epoch, t, MAX_EPOCHS


@jit
def sweep_kernel(
    X: np.ndarray,
    y: np.ndarray,
    M: np.ndarray,
    M_abs: np.ndarray,
    use_moments: np.ndarray,
    codes: np.ndarray,
    hps: np.ndarray,
    schedule_codes: np.ndarray,
    schedule_args: np.ndarray,
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
) -> None:
    """Run K configurations that share one permutation stream, epoch by epoch.

    Each epoch draws one permutation (when ``shuffle_rows``) and every
    configuration still running trains on it, so configurations that share
    a seed pay for one shuffle instead of K. Each configuration's run is
    bit-for-bit the run :func:`fit_kernel` makes with the same seed: the
    permutation stream depends on the seed alone, not on the method, the
    learning rate or the batch size.

    Parameters are those of :func:`fit_kernel`, stacked along a first axis
    of length K (``hps`` and ``states`` padded to the longest method), plus:

    use_moments : bool[K]
        Whether configuration k computes its epoch loss from ``M`` (as
        :func:`fastopt.loss.use_moments` decides for its epochs).
    epochs : int64[K]
        Maximum epochs of each configuration.
    loss_history : float64[K, max(epochs)] or float64[K, 0]
        Per-epoch losses, kept only when it has columns.
    epochs_run, steps, statuses : int64[K]
        Outputs; ``statuses`` must start at ``RUNNING``.
    last_loss : float64[K]
        Output: the loss after the last epoch run (NaN before any).
    """
    K = codes.shape[0]
    grad = np.empty(params.shape[1])
    no_moments = np.empty((0, 0))
    keep_history = loss_history.shape[1] > 0
    previous = np.full(K, np.inf)
    active = 0
    for k in range(K):
        if epochs[k] == 0:
            statuses[k] = MAX_EPOCHS
        else:
            active += 1
    epoch = 0
    while active > 0:
        if shuffle_rows:
            shuffle(index, rng_state)
        for k in range(K):
            if statuses[k] != RUNNING:
                continue
            lr = learning_rate_at(schedule_codes[k], schedule_args[k], hps[k, 0], epoch)
            m, m_abs = (M, M_abs) if use_moments[k] else (no_moments, no_moments)
            loss, t = train_epoch(
                X, y, m, m_abs, codes[k], hps[k], lr, params[k], states[k], index, batch_sizes[k], grad, steps[k]
            )
            steps[k] = t
            epochs_run[k] = epoch + 1
            last_loss[k] = loss
            if keep_history:
                loss_history[k, epoch] = loss
            status = epoch_status(loss, params[k], previous[k], thresholds[k])
            if status == RUNNING and epoch + 1 == epochs[k]:
                status = MAX_EPOCHS
            if status != RUNNING:
                statuses[k] = status
                active -= 1
            previous[k] = loss
        epoch += 1
