"""``fastopt.compare``: the tutorial's benchmark done right.

Every method fits the diamonds line (carat -> price) with the tutorial's
settings, or, with ``model="mlp"``, the tutorial's network on every diamonds
column; the table reports the runtime, the epochs actually run, the final
training MSE, the test RMSE in dollars and the speed-up per epoch over the
NumPy reference, which is timed on fewer epochs and scaled (an estimate,
marked as such). Optional peers (torch.optim, scikit-learn) are timed the
same way. With ``out``, the table, machine information and the figures are
written there.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..api.checks import check_integer
from ..api.optimize import fit, run_problem
from ..api.result import FitResult
from ..api.validation import Problem, as_features, prepare
from ..datasets import DIAMONDS_FEATURES, TutorialSplit, tutorial_split
from ..io.output import OutputError, output_folder
from ..io.progress import progress_bar
from ..methods import METHODS, get_method
from ..models.architectures import MLP, Architecture, mean_squared_error
from ..models.closed_form import least_squares
from ..reference import run_problem as run_reference
from . import peers as peer_libraries
from .benchmark import MLP_EPOCHS, TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS, TUTORIAL_NETWORK, TUTORIAL_SETTINGS
from .report import machine_info, write_outputs

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare", "DEFAULT_REFERENCE_EPOCHS", "DEFAULT_PEER_EPOCHS", "COLUMNS"]

#: The NumPy reference costs about 3-4 ms per epoch here: 200 epochs keep
#: the whole default command well under 20 s.
DEFAULT_REFERENCE_EPOCHS = 200
#: torch.optim costs about 30 ms per epoch on this problem.
DEFAULT_PEER_EPOCHS = 20
#: paths.png draws every update of this many first epochs (250 updates each on the tutorial's line).
PATH_EPOCHS = 2

#: Columns of the returned table (and of results.csv), in order.
COLUMNS = (
    "label",
    "implementation",
    "method",
    "model",
    "runtime_s",
    "runtime_is_estimate",
    "epochs",
    "train_mse",
    "test_rmse_dollars",
    "seconds_per_epoch",
    "reference_runtime_s",
    "speedup_vs_reference",
    "status",
    "n_steps",
    "timed_epochs",
    "hyperparameters",
    "seeds",
    "test_rmse_min",
    "test_rmse_max",
)


class _Progress:
    """One tqdm bar per run; silent when quiet or when stderr is not a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def bar(self, label: str, total: int) -> Any:
        return progress_bar(self.enabled, total=total, desc=f"{label:<40}", unit="epoch", leave=False)


def _updater(bar: Any) -> Callable[[int], None]:
    done = [0]

    def update(epochs_done: int) -> None:
        bar.update(epochs_done - done[0])
        done[0] = epochs_done

    return update


def _resolve_model(model: Any) -> MLP | str:
    """``"linear"``, or the MLP to compare (``"mlp"`` is the tutorial's network)."""
    if isinstance(model, MLP) or model == "linear":
        return model
    if model == "mlp":
        return TUTORIAL_NETWORK
    raise ValueError(f"model must be 'linear', 'mlp' or a fastopt.MLP, got {model!r}")


def compare(
    methods: Sequence[str] | None = None,
    *,
    model: str | MLP = "linear",
    epochs: int | None = None,
    batch_size: int = TUTORIAL_BATCH_SIZE,
    stopping_threshold: float | None = 0.0,
    seed: int = 0,
    seeds: int = 1,
    reference: bool = True,
    reference_epochs: int | None = None,
    peers: bool = False,
    peer_epochs: int = DEFAULT_PEER_EPOCHS,
    out: str | os.PathLike | None = None,
    progress: bool = False,
    split: TutorialSplit | None = None,
) -> pd.DataFrame:
    """Run the tutorial's benchmark and return its table as a DataFrame.

    Parameters
    ----------
    methods : str or sequence of str, optional
        Method(s) to compare; default the tutorial's four (``sgd``,
        ``momentum``, ``rmsprop``, ``adam``). Each uses the tutorial's
        learning rate (:data:`fastopt.apps.benchmark.TUTORIAL_SETTINGS`) or, for
        methods outside the tutorial, its own defaults.
    model : "linear", "mlp" or MLP, default "linear"
        ``"linear"``: the tutorial's carat -> price line. ``"mlp"`` (the
        tutorial's network, ``MLP(hidden=(50,))``) or any
        :class:`fastopt.MLP`: the network on every diamonds column
        (:data:`fastopt.datasets.DIAMONDS_FEATURES`), with a linear model
        (Adam, or the first method when Adam is not compared) trained the
        same way as a row to beat.
    epochs : int >= 1, optional
        Epochs per fastopt run; default 10,000 for the line, 100 for a
        network.
    batch_size : int >= 1, default 64
    stopping_threshold : float >= 0 or None, default 0
        0 runs every epoch, so the runtime means ``epochs`` epochs; the
        tutorial's 1e-6 stops early and ``epochs`` shows the epochs run.
    seed : int, default 0
        Seed of every run (initial parameters and shuffles).
    seeds : int >= 1, default 1
        Runs of each fastopt method, with seeds ``seed .. seed + seeds - 1``:
        the first is the one timed and shown; ``test_rmse_min`` and
        ``test_rmse_max`` give the spread of the test RMSE over all of them,
        which the figure draws (with one seed it says that a difference may
        be the last epoch's noise).
    reference : bool, default True
        Time the NumPy reference for ``reference_epochs`` epochs and report
        its per-epoch cost scaled to the epochs fastopt ran (an estimate).
    reference_epochs : int >= 1, optional
        Default: 200, or ``epochs`` when fewer.
    peers : bool, default False
        Add rows for torch.optim (on the same model) and, for the line,
        scikit-learn's SGDRegressor, each timed for ``peer_epochs`` epochs,
        when installed.
    out : path, optional
        Folder for ``results.csv``, ``results.json``, ``comparison.png``,
        ``loss_curves.png`` and, for the line, ``paths.png``; created if
        missing.
    progress : bool, default False
        Show a progress bar per run (only on a terminal).
    split : TutorialSplit, optional
        The data; default :func:`fastopt.datasets.tutorial_split` (with
        every column for a network).

    Returns
    -------
    pandas.DataFrame
        One row per method (and the linear row, and per peer), then the
        closed-form OLS row; columns :data:`COLUMNS`. ``attrs`` holds
        ``machine`` and ``settings``. Runtimes are in seconds, train MSE
        in standardized units, test RMSE in the target's units (the column
        is named ``test_rmse_dollars`` after the diamonds' prices;
        ``attrs["settings"]["units"]`` says which), speed-ups are per
        epoch over the NumPy reference.
    """
    import pandas as pd

    methods = list(TUTORIAL_SETTINGS) if methods is None else [methods] if isinstance(methods, str) else list(methods)
    if not methods:
        raise ValueError(f"methods must name at least one of: {', '.join(METHODS)}")
    for name in methods:
        get_method(name)
    model = _resolve_model(model)
    network = model != "linear"
    epochs = check_integer("epochs", (MLP_EPOCHS if network else TUTORIAL_EPOCHS) if epochs is None else epochs, 1)
    if reference_epochs is None:
        reference_epochs = min(DEFAULT_REFERENCE_EPOCHS, epochs)
    reference_epochs = check_integer("reference_epochs", reference_epochs, 1)
    peer_epochs = check_integer("peer_epochs", peer_epochs, 1)
    seeds = check_integer("seeds", seeds, 1, 1000)
    folder = output_folder(out)
    if split is None:
        split = tutorial_split(features=DIAMONDS_FEATURES if network else ("carat",))
    bars = _Progress(progress)

    def problem(
        method: str,
        n_epochs: int,
        threshold: float | None = stopping_threshold,
        record_path: bool | str = False,
        fit_model: MLP | str = model,
        run_seed: int = seed,
    ) -> Problem:
        settings = dict(TUTORIAL_SETTINGS.get(method, {}))
        learning_rate = settings.pop("learning_rate", None)
        return prepare(
            split.x_train, split.y_train, method,
            learning_rate=learning_rate, epochs=n_epochs, batch_size=batch_size,
            stopping_threshold=threshold, seed=run_seed, init=None, shuffle=True,
            record_path=record_path, hyperparameters=settings, model=fit_model,
        )  # fmt: skip

    def timed(runner: Callable[..., FitResult], label: str, fit_problem: Problem) -> tuple[FitResult, float]:
        with bars.bar(label, fit_problem.epochs) as bar:
            start = time.perf_counter()
            result = runner(fit_problem, None if bar.disable else _updater(bar))
            return result, time.perf_counter() - start

    # The linear model, trained the same way, is a row to beat for a network.
    runs = [(method, model, get_method(method).title) for method in methods]
    if network:
        linear_method = "adam" if "adam" in methods else methods[0]
        runs.append((linear_method, "linear", f"Linear model, {get_method(linear_method).title}"))

    # Compile (or load from cache) outside the timings: a fit of a few rows for
    # as many epochs takes the same code paths as the timed run, each method's
    # compiled rule and the loss moments included (which a one-epoch fit would not compile).
    for method, fit_model, _ in runs:
        fit(split.x_train[:64], split.y_train[:64], method, epochs=epochs, stopping_threshold=0, seed=seed,
            model=fit_model)  # fmt: skip

    rows: list[dict[str, Any]] = []
    results: dict[str, FitResult] = {}
    for method, fit_model, title in runs:
        result, seconds = timed(run_problem, title, problem(method, epochs, fit_model=fit_model))
        results[title] = result
        assert isinstance(result.model, Architecture)
        per_epoch = seconds / max(result.epochs_run, 1)
        row = dict(
            label=title,
            implementation="fastopt",
            method=get_method(method).name,
            model=result.model.name,
            runtime_s=seconds,
            runtime_is_estimate=False,
            epochs=result.epochs_run,
            train_mse=float(result.loss_history[-1]),
            test_rmse_dollars=split.rmse_dollars(result),
            seconds_per_epoch=per_epoch,
            reference_runtime_s=math.nan,
            speedup_vs_reference=math.nan,
            status=result.status,
            n_steps=result.n_steps,
            timed_epochs=result.epochs_run,
            hyperparameters=json.dumps(dict(result.hyperparameters)),
            seeds=seeds,
        )
        # The other seeds' runs (untimed): the spread of the test RMSE that a single run's value hides.
        spread = [split.rmse_dollars(result)] + [
            split.rmse_dollars(run_problem(problem(method, epochs, fit_model=fit_model, run_seed=seed + k)))
            for k in range(1, seeds)
        ]
        row.update(test_rmse_min=min(spread), test_rmse_max=max(spread))
        if reference:
            _, ref_seconds = timed(
                lambda p, cb: run_reference(p),
                f"{title} (NumPy reference)",
                problem(method, reference_epochs, 0.0, False, fit_model),
            )
            ref_per_epoch = ref_seconds / reference_epochs
            row.update(
                reference_runtime_s=ref_per_epoch * result.epochs_run, speedup_vs_reference=ref_per_epoch / per_epoch
            )
            row["_reference_per_epoch"] = ref_per_epoch
        rows.append(row)

    if peers:
        rows.extend(_peer_rows(split, methods, rows, results, epochs, batch_size, seed, peer_epochs, bars))

    ols = least_squares(split.x_train, split.y_train)
    rows.append(
        dict(
            label="Closed-form OLS",
            implementation="numpy.linalg.lstsq",
            method="ols",
            model="linear",
            **_errors(split, ols, Architecture((ols.shape[0] - 1, 1))),
            status="exact",
        )
    )
    table = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    table.attrs["machine"] = machine_info()
    table.attrs["settings"] = dict(
        methods=[get_method(m).name for m in methods], model=rows[0]["model"], epochs=epochs, batch_size=batch_size,
        stopping_threshold=stopping_threshold, seed=seed, seeds=seeds,
        reference_epochs=reference_epochs if reference else None, peer_epochs=peer_epochs if peers else None,
        train_rows=len(split.y_train), test_rows=len(split.y_test), units=split.units,
    )  # fmt: skip
    if folder is not None:
        # paths.png draws every update of the first epochs: runs of their own, the same as the timed runs' start.
        path_results = {
            title: run_problem(problem(method, min(PATH_EPOCHS, epochs), record_path="steps", fit_model=fit_model))
            for method, fit_model, title in runs
            if fit_model == "linear" and not network
        }
        try:
            table.attrs["files"] = write_outputs(folder, table, results, split, path_results)
        except OSError as error:
            raise OutputError(str(error), table) from None
    return table


def _errors(split: TutorialSplit, params: np.ndarray, arch: Architecture) -> dict[str, float]:
    """Training MSE (standardized) and test RMSE (dollars) of the model ``arch`` with ``params``."""
    test_mse = mean_squared_error(params, arch, as_features(split.x_test), split.y_test)
    return dict(
        train_mse=mean_squared_error(params, arch, as_features(split.x_train), split.y_train),
        test_rmse_dollars=float(split.rmse_from_mse(test_mse)),
    )


def _peer_rows(
    split: TutorialSplit,
    methods: list[str],
    rows: list[dict[str, Any]],
    results: dict[str, FitResult],
    epochs: int,
    batch_size: int,
    seed: int,
    peer_epochs: int,
    bars: _Progress,
) -> list[dict[str, Any]]:
    """torch.optim on the compared model for each method it has, and (for the line) SGDRegressor."""
    compared = [(row, results[row["label"]]) for row in rows[: len(methods)]]
    arch = compared[0][1].model
    assert isinstance(arch, Architecture)
    reference_per_epoch = {row["method"]: row.get("_reference_per_epoch", math.nan) for row, _ in compared}
    peer_rows = []

    def row_for(run: peer_libraries.PeerRun, method: str) -> dict[str, Any]:
        per_epoch = run.seconds / run.epochs
        return dict(
            label=run.label,
            implementation=run.implementation,
            method=method,
            model=arch.name,
            runtime_s=per_epoch * epochs,
            runtime_is_estimate=True,
            epochs=run.epochs,
            **_errors(split, run.params, arch),
            seconds_per_epoch=per_epoch,
            reference_runtime_s=math.nan,
            speedup_vs_reference=reference_per_epoch.get(method, math.nan) / per_epoch,
            status="max_epochs",
            timed_epochs=run.epochs,
        )

    if peer_libraries.installed("torch"):
        for row, fast in compared:
            method = row["method"]
            if method not in peer_libraries.TORCH_OPTIMIZERS:
                continue
            with bars.bar(f"torch.optim {method}", peer_epochs) as bar:
                run = peer_libraries.torch_fit(
                    split.x_train, split.y_train, method, fast.hyperparameters, epochs=peer_epochs,
                    batch_size=batch_size, init=fast.init, seed=seed, model=arch,
                    progress=None if bar.disable else _updater(bar),
                )  # fmt: skip
            peer_rows.append(row_for(run, method))
    if arch.is_linear and peer_libraries.installed("sklearn"):
        run = peer_libraries.sklearn_fit(
            split.x_train, split.y_train, learning_rate=0.001, epochs=peer_epochs, seed=seed
        )
        peer_rows.append(row_for(run, "sgd"))
    return peer_rows
