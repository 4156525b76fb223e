"""Sweep tasks: configurations that share a seed, run together in one compiled kernel.

Configurations with the same seed (and shuffle setting) draw the same
permutation every epoch, so :func:`run_task` trains them side by side in
:func:`fastopt.engine.kernels.sweep_kernel`, which shuffles once per epoch for all
of them. Tasks run in threads (:mod:`fastopt.api.sweep`) or on a Dask cluster
(:mod:`fastopt.api.cluster`), in chunks of epochs (:mod:`fastopt.engine.chunks`) so
that an interrupted sweep stops within a fraction of a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..api.validation import Problem
from ..methods import fresh_state, kernel_rule, state_width
from ..methods.rule import NO_RULE
from ..schedules import kernel_schedule
from .chunks import epoch_chunks
from .kernels import scratch, sweep_kernel
from .linear import moments_for, use_moments
from .param_groups import NO_DECAY
from .status import LINEAR_SQUARED, MAX_EPOCHS, RUNNING, STATUSES
from .variants import for_call, model_functions

__all__ = ["Task", "make_tasks", "run_task", "Cancelled", "data_key", "moments_by_data"]


@dataclass
class Task:
    """Configurations (by index) that share a seed and so a permutation stream."""

    indices: list[int]
    problems: list[Problem]


def data_key(task: Task) -> tuple[int, int]:
    """Which arrays a task trains on (every problem of a task shares its ``X`` and ``y``)."""
    return id(task.problems[0].X), id(task.problems[0].y)


def moments_by_data(tasks: list[Task]) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """The linear epoch loss's moments (:func:`fastopt.engine.linear.moments_for`) once per distinct data."""
    epochs: dict[tuple[int, int], list[int]] = {}
    for task in tasks:
        epochs.setdefault(data_key(task), []).extend(q.epochs for q in task.problems)
    first = {data_key(task): task.problems[0] for task in tasks}
    return {key: moments_for(first[key].X, first[key].y, runs) for key, runs in epochs.items()}


def make_tasks(problems: list[Problem], n_jobs: int, share_permutations: bool = True) -> list[Task]:
    groups: dict[Any, list[int]] = {}
    for i, problem in enumerate(problems):
        # Together only on the very same arrays (a standardized sweep has two versions of y), and with at
        # most one user's rule: the kernel receives one.
        key = (problem.seed, problem.shuffle, id(problem.X), id(problem.y), problem.method.rule)
        groups.setdefault(key if share_permutations else i, []).append(i)
    # Split groups so the threads have similar work; each part replays the
    # same permutation stream, so results do not change.
    most = max(1, math.ceil(len(problems) / (2 * n_jobs)))
    tasks = []
    for indices in groups.values():
        for start in range(0, len(indices), most):
            part = indices[start : start + most]
            tasks.append(Task(part, [problems[i] for i in part]))
    tasks.sort(key=lambda task: -sum(p.epochs * math.ceil(p.X.shape[0] / p.batch_size) for p in task.problems))
    return tasks


class Cancelled(Exception):
    """A task stopped between chunks because the sweep was interrupted."""


def run_task(
    task: Task,
    M: np.ndarray,
    M_abs: np.ndarray,
    keep_history: bool,
    should_stop: Callable[[], bool] | None = None,
) -> list[dict[str, Any]]:
    """Run one task in :func:`sweep_kernel`, in chunks of epochs; one result dict per configuration.

    ``should_stop`` is polled between chunks (every few tens of
    milliseconds): when it returns True the task raises :class:`Cancelled`.
    """
    problems = task.problems
    first = problems[0]
    X, y = first.X, first.y
    K = len(problems)
    n_params = np.array([len(q.init) for q in problems], dtype=np.int64)
    spec_lengths = np.array([len(q.spec) for q in problems], dtype=np.int64)
    hps = stacked([q.hp for q in problems])
    specs = stacked([q.spec for q in problems]).astype(np.int64)
    params = stacked([q.init for q in problems])  # of the runs' dtype, as the states below
    # Two parameter groups split a configuration's rows in halves (fastopt.engine.param_groups).
    state_rows = max(1, max(len(q.method.state_names) * (2 if q.spec[NO_DECAY] else 1) for q in problems))
    states = np.zeros((K, state_rows * state_width(int(n_params.max()))), dtype=first.dtype)
    for k, q in enumerate(problems):  # configuration k's state: its first rows of width state_width(p_k)
        width = state_width(len(q.init))
        fresh = fresh_state(q.method, q.hyperparameters, width)
        own = states[k, : state_rows * width].reshape(state_rows, width)
        for first_row in (0, state_rows // 2) if q.spec[NO_DECAY] else (0,):
            own[first_row : first_row + len(fresh)] = fresh
    functions = model_functions([q.spec for q in problems], first.model, first.dtype)
    epochs = np.array([q.epochs for q in problems], dtype=np.int64)
    epochs_run = np.zeros(K, dtype=np.int64)
    steps = np.zeros(K, dtype=np.int64)
    statuses = np.where(epochs == 0, MAX_EPOCHS, RUNNING).astype(np.int64)
    last_loss = np.full(K, np.nan)
    schedules = stacked([kernel_schedule(q.schedule, q.method, float(q.hp[0])) for q in problems])
    moments = np.array(
        [q.spec[0] == LINEAR_SQUARED and use_moments(X.shape[0], X.shape[1], q.epochs) for q in problems]
    )
    codes = np.array([q.method.code for q in problems], dtype=np.int64)
    user = next((kernel_rule(q.method) for q in problems if q.method.rule is not None), NO_RULE)
    index, rng_state = np.arange(X.shape[0], dtype=np.uint32), first.rng_state.copy()
    batch_sizes = np.array([q.batch_size for q in problems], dtype=np.int64)
    thresholds = np.array([q.threshold for q in problems])
    work = scratch(
        [q.spec for q in problems], X.shape[0], [q.batch_size for q in problems], int(n_params.max()), first.dtype
    )
    histories = []  # one (K, chunk) block per chunk: memory follows the epochs actually run
    kernel = for_call(
        sweep_kernel, kinds=specs[:, 0], codes=codes, two_groups=bool(specs[:, NO_DECAY].any()),
        scheduled=any(q.schedule is not None for q in problems), dtype=first.dtype,
    )  # fmt: skip
    start = time.perf_counter()
    for first_epoch, last_epoch in epoch_chunks(0, int(epochs.max()), X.shape[0] * int(n_params.sum())):
        if should_stop is not None and should_stop():
            raise Cancelled
        history = np.full((K, last_epoch - first_epoch if keep_history else 0), np.nan)
        active = kernel(
            X, y, specs, spec_lengths, n_params, *functions, M, M_abs, moments, codes, user, hps, schedules,
            params, states, index, rng_state, batch_sizes, thresholds, epochs, first.shuffle, history,
            epochs_run, steps, statuses, last_loss, first_epoch, last_epoch, *work,
        )  # fmt: skip
        histories.append(history)
        if active == 0:
            break
    seconds = time.perf_counter() - start
    total_steps = max(int(steps.sum()), 1)
    history = np.concatenate(histories, axis=1) if keep_history and histories else np.empty((K, 0))
    rows = []
    for k in range(K):
        row = dict(
            epochs_run=int(epochs_run[k]),
            n_steps=int(steps[k]),
            status=STATUSES[statuses[k]],
            train_loss=float(last_loss[k]),
            runtime_s=seconds * steps[k] / total_steps,
            params=params[k, : n_params[k]].astype(np.float64),  # a float32 run's values, exactly
        )
        if keep_history:
            row["loss_history"] = history[k, : epochs_run[k]].copy()
        rows.append(row)
    return rows


def stacked(arrays: list[np.ndarray]) -> np.ndarray:
    """Rows of different lengths as one zero-padded C-contiguous 2-D array."""
    out = np.zeros((len(arrays), max(len(a) for a in arrays)), dtype=arrays[0].dtype)
    for k, a in enumerate(arrays):
        out[k, : len(a)] = a
    return out
