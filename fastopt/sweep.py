"""``fastopt.sweep``: many fits at once, on every core or on a Dask cluster.

A grid expands into configurations (:func:`expand_grid`); configurations
that share a seed also share each epoch's permutation, so they run together
in one compiled kernel (:func:`fastopt.kernels.sweep_kernel`) that shuffles
once per epoch for all of them. Groups run in threads (the kernels release
the GIL) or as tasks on a ``dask.distributed`` cluster. Row i of the result
equals ``fastopt.fit(**configurations[i])`` bit for bit, whatever ``n_jobs``
is and whichever group finishes first.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .kernels import LINEAR_SQUARED, RUNNING, STATUSES, sweep_kernel
from .linear import moments_for, mse, use_moments
from .losses import SQUARED_ERROR
from .methods import REGISTRY, get_method
from .objective import BUILT_IN, Objective
from .reference import mean_loss
from .schedules import kernel_schedule
from .validation import InvalidParameterError, Problem, check_data, prepare

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["sweep", "expand_grid", "RUN_KEYS"]

#: Grid keys that are not hyperparameters: they set up the run itself.
RUN_KEYS = (
    "method",
    "learning_rate",
    "batch_size",
    "epochs",
    "seed",
    "stopping_threshold",
    "schedule",
    "shuffle",
    "model",
    "loss",
)
_HYPERPARAMETERS = sorted({h.name for m in REGISTRY for h in m.hyperparameters} - set(RUN_KEYS))


def _values(key: str, value: Any) -> list:
    """The list of values a grid key takes; a clear error for anything else."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValueError(
            f"grid[{key!r}] must be a list of values, got {type(value).__name__} {value!r} "
            f"(write [{value!r}] for a single value)"
        )
    values = list(value)
    if not values:
        raise ValueError(f"grid[{key!r}] is an empty list; give at least one value")
    return values


def _check_key(key: Any, methods: Sequence[str]) -> None:
    if not isinstance(key, str):
        raise ValueError(f"grid keys must be strings, got {key!r}")
    if key in RUN_KEYS:
        return
    if key not in _HYPERPARAMETERS:
        raise ValueError(
            f"unknown grid key {key!r}; valid keys are {', '.join(RUN_KEYS)} and the hyperparameters "
            f"{', '.join(_HYPERPARAMETERS)}"
        )
    without = [m for m in methods if key not in get_method(m).defaults]
    if without:
        raise InvalidParameterError(
            f"grid key {key!r} is not a hyperparameter of {', '.join(map(repr, without))}; give it per method, "
            f"e.g. grid={{'method': {{{without[0]!r}: {{}}, 'adam': {{{key!r}: [...]}}}}, ...}}"
        )


def _product(grid: Mapping[str, list]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, combination, strict=True)) for combination in itertools.product(*(grid[k] for k in keys))]


def expand_grid(grid: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Expand a grid into the list of configurations it describes, in order.

    Parameters
    ----------
    grid : dict of lists, or list of dicts
        A dict maps keys (:data:`RUN_KEYS` and hyperparameter names) to lists
        of values and means their cartesian product, in key order.
        ``"method"`` may also map each method name to a dict of lists of its
        own hyperparameters, e.g. ``{"adam": {"beta1": [0.8, 0.9]},
        "rmsprop": {"beta": [0.9, 0.99]}, "sgd": {}}``: each method's own
        grid is crossed with the shared keys. A list of dicts gives the
        configurations explicitly (one value per key).

    Returns
    -------
    list of dict
        Each a set of keyword arguments for :func:`fastopt.fit` (without
        ``x`` and ``y``).

    Raises
    ------
    ValueError
        Naming the key: unknown keys, empty lists, values that are not lists,
        hyperparameters that a method in the grid does not take.
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid is empty; give at least one key, e.g. {'method': ['adam']}")
        shared = {k: v for k, v in grid.items() if k != "method"}
        for key in shared:
            if not isinstance(key, str):
                raise ValueError(f"grid keys must be strings, got {key!r}")
        methods = grid.get("method", ["adam"])
        if isinstance(methods, Mapping):
            own = dict(methods)
            if not own:
                raise ValueError("grid['method'] is an empty dict; give at least one method")
        else:
            own = {name: {} for name in _values("method", methods)}
        for name, sub in own.items():
            get_method(name)
            if not isinstance(sub, Mapping):
                raise ValueError(f"grid['method'][{name!r}] must be a dict of lists, got {type(sub).__name__}")
            for key in sub:
                _check_key(key, [name])
        shared_values = {k: _values(k, v) for k, v in shared.items()}
        for key in shared_values:
            _check_key(key, list(own))
        configurations = []
        for name, sub in own.items():
            sub_values = {k: _values(f"method'][{name!r}][{k!r}", v) for k, v in sub.items()}
            for combination in _product({**shared_values, **sub_values}):
                configurations.append({"method": name, **combination})
        return configurations
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Iterable):
        raise ValueError(f"grid must be a dict of lists or a list of dicts, got {type(grid).__name__}")
    configurations = []
    for i, config in enumerate(grid):
        if not isinstance(config, Mapping):
            raise ValueError(f"grid[{i}] must be a dict of settings, got {type(config).__name__}")
        config = dict(config)
        config.setdefault("method", "adam")
        for key in config:
            _check_key(key, [config["method"]] if key != "method" else [])
        configurations.append(config)
    if not configurations:
        raise ValueError("grid is an empty list; give at least one configuration")
    return configurations


@dataclass
class _Task:
    """Configurations (by index) that share a seed and so a permutation stream."""

    indices: list[int]
    problems: list[Problem]


def _tasks(problems: list[Problem], n_jobs: int, share_permutations: bool = True) -> list[_Task]:
    groups: dict[Any, list[int]] = {}
    for i, problem in enumerate(problems):
        groups.setdefault((problem.seed, problem.shuffle) if share_permutations else i, []).append(i)
    # Split groups so the threads have similar work; each part replays the
    # same permutation stream, so results do not change.
    most = max(1, math.ceil(len(problems) / (2 * n_jobs)))
    tasks = []
    for indices in groups.values():
        for start in range(0, len(indices), most):
            part = indices[start : start + most]
            tasks.append(_Task(part, [problems[i] for i in part]))
    tasks.sort(key=lambda task: -sum(p.epochs * math.ceil(p.X.shape[0] / p.batch_size) for p in task.problems))
    return tasks


def _run_task(task: _Task, M: np.ndarray, M_abs: np.ndarray, keep_history: bool) -> list[dict[str, Any]]:
    """Run one task in :func:`sweep_kernel`; one result dict per configuration."""
    problems = task.problems
    first = problems[0]
    X, y = first.X, first.y
    K = len(problems)
    n_params = np.array([len(q.init) for q in problems], dtype=np.int64)
    spec_lengths = np.array([len(q.spec) for q in problems], dtype=np.int64)
    hps = _stacked([q.hp for q in problems])
    specs = _stacked([q.spec for q in problems]).astype(np.int64)
    params = _stacked([q.init for q in problems])
    state_rows = max(1, max(len(q.method.state_names) for q in problems))
    states = np.zeros((K, state_rows * max(int(n_params.max()), 2)))
    gradient, loss = (first.model.gradient, first.model.loss) if isinstance(first.model, Objective) else BUILT_IN
    epochs = np.array([q.epochs for q in problems], dtype=np.int64)
    history = np.full((K, int(epochs.max()) if keep_history else 0), np.nan)
    epochs_run = np.zeros(K, dtype=np.int64)
    steps = np.zeros(K, dtype=np.int64)
    statuses = np.full(K, RUNNING, dtype=np.int64)
    last_loss = np.full(K, np.nan)
    schedules = [kernel_schedule(q.schedule) for q in problems]
    start = time.perf_counter()
    sweep_kernel(
        X, y, specs, spec_lengths, n_params, gradient, loss, M, M_abs,
        np.array([q.spec[0] == LINEAR_SQUARED and use_moments(X.shape[0], X.shape[1], q.epochs) for q in problems]),
        np.array([q.method.code for q in problems], dtype=np.int64),
        hps,
        np.array([code for code, _ in schedules], dtype=np.int64),
        np.array([args for _, args in schedules]),
        params, states, np.arange(X.shape[0], dtype=np.uint32), first.rng_state.copy(),
        np.array([q.batch_size for q in problems], dtype=np.int64),
        np.array([q.threshold for q in problems]),
        epochs, first.shuffle, history, epochs_run, steps, statuses, last_loss,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    total_steps = max(int(steps.sum()), 1)
    rows = []
    for k in range(K):
        row = dict(
            epochs_run=int(epochs_run[k]),
            n_steps=int(steps[k]),
            status=STATUSES[statuses[k]],
            train_loss=float(last_loss[k]),
            runtime_s=seconds * steps[k] / total_steps,
            params=params[k, : n_params[k]].copy(),
        )
        if keep_history:
            row["loss_history"] = history[k, : epochs_run[k]].copy()
        rows.append(row)
    return rows


def _stacked(arrays: list[np.ndarray]) -> np.ndarray:
    """Rows of different lengths as one zero-padded C-contiguous 2-D array."""
    out = np.zeros((len(arrays), max(len(a) for a in arrays)), dtype=arrays[0].dtype)
    for k, a in enumerate(arrays):
        out[k, : len(a)] = a
    return out


def _test_loss(problem: Problem, params: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean loss on test data (inf or NaN for diverged parameters)."""
    if problem.spec[0] == LINEAR_SQUARED:
        return float(mse(X, y, params))
    with np.errstate(all="ignore"):
        return mean_loss(problem, params, X, y)


def _n_jobs(n_jobs: Any) -> int:
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == -1:
        return cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, -1 or None (all {cores} cores), got {n_jobs!r}")
    return int(n_jobs)


def sweep(
    x: Any,
    y: Any,
    grid: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    epochs: int = 100,
    batch_size: int = 32,
    stopping_threshold: float | None = 1e-6,
    shuffle: bool = True,
    x_test: Any = None,
    y_test: Any = None,
    n_jobs: int | None = None,
    keep_history: bool = False,
    progress: bool = True,
    client: Any = None,
    share_permutations: bool = True,
    objective: Objective | None = None,
    n_classes: int | None = None,
) -> pd.DataFrame:
    """Fit every configuration of ``grid`` and return one row per configuration.

    Parameters
    ----------
    x, y : array_like
        Training data, as for :func:`fastopt.fit` (checked once).
    grid : dict of lists, or list of dicts
        The configurations; see :func:`expand_grid`. Any argument of
        :func:`fastopt.fit` (method, learning_rate, batch_size, epochs, seed,
        stopping_threshold, schedule, shuffle, model, loss, hyperparameters)
        can be a dimension. A configuration without a seed gets seed 0.
    epochs, batch_size, stopping_threshold, shuffle
        Defaults for configurations whose grid does not set them.
    x_test, y_test : array_like, optional
        Test data; adds a ``test_mse`` column (``test_loss``, see Returns).
    n_jobs : int, optional
        Threads; default (None or -1) all cores.
    keep_history : bool, default False
        Keep each configuration's per-epoch losses (``loss_history``
        column); otherwise memory stays proportional to the configurations.
    progress : bool, default True
        Show a progress bar (on a terminal, once a sweep takes over a second).
    client : dask.distributed.Client, optional
        Run the configurations as tasks on this cluster; the result is the
        same DataFrame as a local sweep.
    share_permutations : bool, default True
        Run configurations that share a seed together, drawing each epoch's
        permutation once for all of them. False runs every configuration on
        its own (the same results, slower; for measuring what sharing gains).
    objective : Objective, optional
        Train your own model (see :func:`fastopt.fit`) in every configuration;
        the grid then has no ``model`` or ``loss`` key.
    n_classes : int, optional
        Classes for the classification losses (default: inferred from ``y``).

    Returns
    -------
    pandas.DataFrame
        Row i: the settings of configuration i (``method``, ``learning_rate``,
        ``batch_size``, ``epochs``, ``seed``, ``stopping_threshold``,
        ``schedule``, ``model``, ``loss``, and every hyperparameter the
        methods take, NaN where a method does not), then ``epochs_run``,
        ``n_steps``, ``status``, ``train_mse`` (after the last epoch run),
        ``test_mse`` (with test data), ``runtime_s`` (the configuration's share, by updates made, of
        its group's wall time), ``params`` (final ``[w_1 .. w_d, b]``) and
        ``loss_history`` (when kept). A diverging configuration does not stop
        the sweep: its row says ``status == "diverged"``.
        ``attrs["configurations"]`` holds the keyword arguments of each row.
        When a configuration trains another loss than the squared error (or
        an objective), the two loss columns are ``train_loss`` and
        ``test_loss``: each row's own training loss, mean over rows.
    """
    import pandas as pd

    configurations = expand_grid(grid)
    X, Y = check_data(x, y)
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if x_test is not None:
        X_test, Y_test = check_data(x_test, y_test, names=("x_test", "y_test"))
        if X_test.shape[1] != X.shape[1]:
            raise ValueError(f"x_test has {X_test.shape[1]} feature(s) but x has {X.shape[1]}")
    n_jobs = _n_jobs(n_jobs)
    defaults = dict(epochs=epochs, batch_size=batch_size, stopping_threshold=stopping_threshold, shuffle=shuffle)
    problems, settings = [], []
    for i, config in enumerate(configurations):
        full: dict[str, Any] = {"learning_rate": None, "seed": 0, "schedule": None, "model": "linear"}
        full["loss"] = "squared_error"
        full.update({**defaults, **config})
        run = {k: full.pop(k) for k in RUN_KEYS}
        try:
            problem = prepare(X, Y, init=None, record_path=False, hyperparameters=full, data_checked=True,
                              objective=objective, n_classes=n_classes, **run)  # fmt: skip
        except (ValueError, TypeError) as error:
            raise type(error)(f"configuration {i} {config}: {error}") from None
        problems.append(problem)
        settings.append(
            dict(
                method=problem.method.name,
                batch_size=problem.batch_size,
                epochs=problem.epochs,
                seed=problem.seed,
                stopping_threshold=problem.threshold,
                schedule=None if problem.schedule is None else repr(problem.schedule),
                shuffle=problem.shuffle,
                model="objective" if isinstance(problem.model, Objective) else problem.model.name,
                loss="objective" if isinstance(problem.model, Objective) else problem.loss.name,
                **problem.hyperparameters,
            )
        )
    tasks = _tasks(problems, n_jobs, share_permutations)
    results: list[dict[str, Any]] = [{} for _ in problems]
    bar = _progress_bar(len(problems), progress)
    try:
        if client is not None:
            outputs = _run_on_dask(client, X, Y, tasks, keep_history, n_jobs)
            bar.update(len(problems))
        else:
            M, M_abs = moments_for(X, Y, [q.epochs for q in problems])
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                futures = [pool.submit(_run_task, task, M, M_abs, keep_history) for task in tasks]
                outputs = []
                for future in futures:
                    outputs.append(future.result())
                    bar.update(len(outputs[-1]))
        for task, rows in zip(tasks, outputs, strict=True):
            for i, row in zip(task.indices, rows, strict=True):
                results[i] = row
    finally:
        bar.close()
    squared = objective is None and all(q.loss.code == SQUARED_ERROR for q in problems)
    train_column, test_column = ("train_mse", "test_mse") if squared else ("train_loss", "test_loss")
    rows = []
    for problem, setting, result in zip(problems, settings, results, strict=True):
        row = {**setting, **result}
        row[train_column] = row.pop("train_loss")
        if x_test is not None:
            row[test_column] = _test_loss(problem, result["params"], X_test, Y_test)  # inf or NaN when diverged
        rows.append(row)
    table = pd.DataFrame(rows)
    order = ["method", "learning_rate", "batch_size", "epochs", "seed", "stopping_threshold", "schedule", "shuffle"]
    order += ["model", "loss"] + [h for h in _HYPERPARAMETERS if h in table.columns]
    order += ["epochs_run", "n_steps", "status", train_column] + ([test_column] if x_test is not None else [])
    order += ["runtime_s", "params"] + (["loss_history"] if keep_history else [])
    table = table[order]
    table.attrs["configurations"] = configurations
    return table


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    # delay: nothing appears for sweeps that finish within a second;
    # disable=None: nothing appears when the output is not a terminal.
    return tqdm(total=total, unit="fit", desc="sweep", delay=1.0, disable=None if enabled else True)


def _run_on_dask(
    client: Any, X: np.ndarray, Y: np.ndarray, tasks: list[_Task], keep_history: bool, n_jobs: int
) -> list[list[dict[str, Any]]]:
    """Send chunks of tasks to the cluster; the data goes once to every worker."""
    workers = max(1, len(client.scheduler_info().get("workers", {})) or n_jobs)
    X_remote, Y_remote = client.scatter([X, Y], broadcast=True)
    chunks = [tasks[i::workers] for i in range(workers)]
    chunks = [chunk for chunk in chunks if chunk]
    # Tasks travel without their arrays; the worker re-attaches its copy of the data.
    futures = [
        client.submit(_remote_chunk, X_remote, Y_remote, _strip(chunk), keep_history, pure=False) for chunk in chunks
    ]
    outputs = client.gather(futures)
    by_task = {}
    for chunk, chunk_outputs in zip(chunks, outputs, strict=True):
        for task, rows in zip(chunk, chunk_outputs, strict=True):
            by_task[id(task)] = rows
    return [by_task[id(task)] for task in tasks]


def _strip(chunk: list[_Task]) -> list[_Task]:
    import dataclasses

    return [
        _Task(task.indices, [dataclasses.replace(q, X=None, y=None) for q in task.problems])  # type: ignore[arg-type]
        for task in chunk
    ]


def _remote_chunk(X: np.ndarray, Y: np.ndarray, chunk: list[_Task], keep_history: bool) -> list[list[dict[str, Any]]]:
    import dataclasses

    tasks = [_Task(t.indices, [dataclasses.replace(q, X=X, y=Y) for q in t.problems]) for t in chunk]
    M, M_abs = moments_for(X, Y, [q.epochs for t in tasks for q in t.problems])  # once per worker's share
    return [_run_task(task, M, M_abs, keep_history) for task in tasks]
