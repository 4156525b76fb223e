"""``fastopt.sweep``: many fits at once, on every core or on a Dask cluster.

A grid expands into configurations (:func:`expand_grid`); configurations
that share a seed also share each epoch's permutation, so they run together
in one compiled kernel (:func:`fastopt.engine.kernels.sweep_kernel`) that shuffles
once per epoch for all of them. Groups run in threads (the kernels release
the GIL) or as tasks on a ``dask.distributed`` cluster. Row i of the result
equals ``fastopt.fit(**configurations[i])`` bit for bit, whatever ``n_jobs``
is and whichever group finishes first.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.groups import Task, data_key, make_tasks, moments_by_data, run_task
from ..engine.linear import mse
from ..engine.precision import check_dtype
from ..engine.status import LINEAR_SQUARED
from ..io.progress import progress_bar
from ..methods import REGISTRY, get_method
from ..methods.rule import is_rule
from ..models.architectures import Architecture
from ..models.losses import REGRESSION_LOSSES, SQUARED_ERROR, get_loss
from ..models.matrix_form import mean_loss
from ..models.objective import Objective
from ..models.scaling import Scaling
from .checks import check_flag, read_only
from .cluster import check_client, run_on_dask
from .unscaled import column_names, warn_if_unscaled
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
    "maximize",
    "decay_biases",
)
_HYPERPARAMETERS = sorted({h.name for m in REGISTRY for h in m.hyperparameters} - set(RUN_KEYS))


def _values(where: str, value: Any) -> list:
    """The list of values at ``where`` (e.g. ``grid['seed']``); a clear error for anything else."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValueError(
            f"{where} must be a list of values, got {type(value).__name__} {value!r} "
            f"(write [{value!r}] for a single value)"
        )
    values = list(value)
    if not values:
        raise ValueError(f"{where} is an empty list; give at least one value")
    for i, a in enumerate(values):
        for b in values[:i]:
            if _same(a, b):
                raise ValueError(
                    f"{where} lists {a!r} twice; each value once (repeats of one configuration "
                    "give the same result: vary the seed to repeat a run)"
                )
    return values


def _same(a: Any, b: Any) -> bool:
    """``a == b`` where that is a plain truth value (not for arrays, or objects that refuse to compare)."""
    try:
        return a is b or bool(a == b)
    except (TypeError, ValueError):
        return False


def _hyperparameters_of(methods: Sequence[Any]) -> list[str]:
    """The built-in methods' hyperparameter names, then those only the users' rules among ``methods`` take."""
    own = [h for m in methods if is_rule(m) for h in m.hyperparameters if h not in _HYPERPARAMETERS]
    return _HYPERPARAMETERS + [h for h in dict.fromkeys(own) if h not in RUN_KEYS]


def _check_key(key: Any, methods: Sequence[Any]) -> None:
    if not isinstance(key, str):
        raise ValueError(f"grid keys must be strings, got {key!r}")
    if key in RUN_KEYS:
        return
    if key not in _hyperparameters_of(methods):
        raise ValueError(
            f"unknown grid key {key!r}; valid keys are {', '.join(RUN_KEYS)} and the hyperparameters "
            f"{', '.join(_hyperparameters_of(methods))}"
        )
    # Lookahead takes its base's hyperparameters, whichever base a configuration names: checked per run.
    rows = [get_method(m) for m in methods]
    without = [row.name for row in rows if key not in row.defaults and row.name != "lookahead"]
    if without:
        takers = [m.name for m in (*REGISTRY, *(row for row in rows if row.rule is not None)) if key in m.defaults]
        having = [row.name for row in rows if row.name not in without] or takers[:1]
        example = ", ".join([f"{m!r}: {{}}" for m in without] + [f"{m!r}: {{{key!r}: [...]}}" for m in having])
        raise InvalidParameterError(
            f"grid key {key!r} is not a hyperparameter of {', '.join(map(repr, without))} (methods that take it: "
            f"{', '.join(takers)}); give it per method, e.g. grid={{'method': {{{example}}}, ...}}"
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
        a value listed twice under one key (it would run one configuration
        twice; repeat a run with other seeds), hyperparameters that a method
        in the grid does not take.
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
            own = {name: {} for name in _values("grid['method']", methods)}
        for name, sub in own.items():
            get_method(name)
            if not isinstance(sub, Mapping):
                raise ValueError(f"grid['method'][{name!r}] must be a dict of lists, got {type(sub).__name__}")
            for key in sub:
                _check_key(key, [name])
        shared_values = {k: _values(f"grid[{k!r}]", v) for k, v in shared.items()}
        for key in shared_values:
            _check_key(key, list(own))
        configurations = []
        for name, sub in own.items():
            sub_values = {k: _values(f"grid['method'][{name!r}][{k!r}]", v) for k, v in sub.items()}
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
    standardize: bool = False,
    dtype: str = "float64",
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
    standardize : bool, default False
        As for :func:`fastopt.fit`: every configuration trains on the
        standardized training data; ``params``, the train and test losses
        are in the data's own units.
    dtype : {"float64", "float32"}, default "float64"
        As for :func:`fastopt.fit`: every configuration runs in this float type.

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
        ``attrs["configurations"][i]`` holds the complete keyword arguments
        of row i: ``fastopt.fit(x, y, **attrs["configurations"][i])`` runs it
        again, bit for bit (the sweep's defaults and seed 0 filled in).
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
    keep_history = check_flag("keep_history", keep_history)
    progress = check_flag("progress", progress)
    share_permutations = check_flag("share_permutations", share_permutations)
    if client is not None:
        check_client(client)
    defaults = dict(epochs=epochs, batch_size=batch_size, stopping_threshold=stopping_threshold, shuffle=shuffle)
    standardize = check_flag("standardize", standardize)
    dtype = check_dtype(dtype)
    scaled: dict[bool, tuple[Scaling, np.ndarray, np.ndarray]] = {}  # by "targets scaled": computed once
    # The data in the runs' dtype once, so that configurations on the same data share a permutation stream
    # (checked again: a value beyond float32's range is refused by name; standardized data is converted scaled).
    X_kernel, Y_kernel = (X, Y) if standardize or dtype == "float64" else check_data(X, Y, dtype=dtype)

    def standardized(regression: bool) -> tuple[Scaling, np.ndarray, np.ndarray]:
        if regression not in scaled:
            scaling = Scaling.of(X, Y, scale_targets=regression)
            scaled[regression] = scaling, read_only(scaling.features(X), dtype), read_only(scaling.targets(Y), dtype)
        return scaled[regression]

    problems, settings = [], []
    for i, config in enumerate(configurations):
        full: dict[str, Any] = {
            "learning_rate": None,
            "seed": 0,
            "schedule": None,
            "model": "linear",
            "maximize": False,
            "decay_biases": True,
        }
        full["loss"] = "squared_error"
        full.update({**defaults, **config})
        run = {k: full.pop(k) for k in RUN_KEYS}
        try:
            scaling, X_run, Y_run = None, X_kernel, Y_kernel
            if standardize:
                if objective is not None:
                    raise ValueError("standardize=True is for the built-in models; scale the data of an objective")
                scaling, X_run, Y_run = standardized(get_loss(run["loss"]).code in REGRESSION_LOSSES)
            problem = prepare(X_run, Y_run, init=None, record_path=False, hyperparameters=full, data_checked=True,
                              objective=objective, n_classes=n_classes, dtype=dtype, **run)  # fmt: skip
            problem = dataclasses.replace(problem, scaling=scaling)
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
                maximize=problem.maximize,
                decay_biases=problem.decay_biases,
                model="objective" if isinstance(problem.model, Objective) else problem.model.name,
                loss="objective" if isinstance(problem.model, Objective) else problem.loss.name,
                **problem.hyperparameters,
            )
        )
    if not standardize and objective is None:
        warn_if_unscaled(X, Y if all(q.n_classes == 1 for q in problems) else None, column_names(x, X.shape[1]))
    tasks = make_tasks(problems, n_jobs, share_permutations)
    results: list[dict[str, Any]] = [{} for _ in problems]
    bar = _progress_bar(len(problems), progress)
    try:
        if client is not None:
            outputs = run_on_dask(client, tasks, keep_history, n_jobs)
            bar.update(len(problems))
        else:
            outputs = _run_in_threads(tasks, keep_history, n_jobs, bar)
        for task, rows in zip(tasks, outputs, strict=True):
            for i, row in zip(task.indices, rows, strict=True):
                results[i] = row
    finally:
        bar.close()
    squared = objective is None and all(q.loss.code == SQUARED_ERROR for q in problems)
    train_column, test_column = ("train_mse", "test_mse") if squared else ("train_loss", "test_loss")
    rows = []
    for problem, setting, result in zip(problems, settings, results, strict=True):
        if problem.scaling is not None:  # back to the data's units, the train loss too
            assert isinstance(problem.model, Architecture)
            result["params"] = problem.scaling.to_original(result["params"], problem.model.sizes)
            if result["status"] != "diverged":
                result["train_loss"] = _test_loss(problem, result["params"], X, Y)
        row = {**setting, **result}
        row[train_column] = row.pop("train_loss")
        if x_test is not None:
            row[test_column] = _test_loss(problem, result["params"], X_test, Y_test)  # inf or NaN when diverged
        rows.append(row)
    table = pd.DataFrame(rows)
    order = ["method", "learning_rate", "batch_size", "epochs", "seed", "stopping_threshold", "schedule", "shuffle"]
    order += ["maximize"] if table["maximize"].any() else []  # a column only when some configuration ascends
    order += [] if table["decay_biases"].all() else ["decay_biases"]  # or leaves the biases undecayed
    hyperparameters = _hyperparameters_of([q.method.rule for q in problems])
    order += ["model", "loss"] + [h for h in hyperparameters if h in table.columns]
    order += ["epochs_run", "n_steps", "status", train_column] + ([test_column] if x_test is not None else [])
    order += ["runtime_s", "params"] + (["loss_history"] if keep_history else [])
    table = table[order]
    # Complete keyword arguments: fit(x, y, **configurations[i]) runs row i again.
    extras: dict[str, Any] = {k: v for k, v in (("objective", objective), ("n_classes", n_classes)) if v is not None}
    if standardize:
        extras["standardize"] = True
    if dtype != "float64":
        extras["dtype"] = dtype
    table.attrs["configurations"] = [{"seed": 0, **defaults, **config, **extras} for config in configurations]
    return table


def _run_in_threads(tasks: list[Task], keep_history: bool, n_jobs: int, bar: Any) -> list[list[dict[str, Any]]]:
    """Run the tasks on ``n_jobs`` threads (the kernels release the GIL); rows in task order.

    On Ctrl-C (or any error) the running tasks stop after their current
    chunk of epochs, queued ones never start, and every thread has ended
    before the exception leaves this function.
    """
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=n_jobs)
    try:
        moments = moments_by_data(tasks)
        futures = [pool.submit(run_task, task, *moments[data_key(task)], keep_history, cancel.is_set) for task in tasks]
        outputs = []
        for future in futures:
            outputs.append(future.result())
            bar.update(len(outputs[-1]))
        return outputs
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _progress_bar(total: int, enabled: bool) -> Any:
    # delay: nothing appears for sweeps that finish within a second.
    return progress_bar(enabled, total=total, unit="fit", desc="sweep", delay=1.0)
