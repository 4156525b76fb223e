"""``fastopt sweep``: every combination of methods, learning rates, batch sizes and seeds, on every core."""

from __future__ import annotations

import argparse
import functools
from typing import Any

import numpy as np

from ..api.sweep import sweep
from ..datasets import standardized_split, tutorial_split
from ..figures import comparison as plots
from ..figures.style import close_all
from ..io.output import output_folder, save_png, write_file
from ..io.tables import read_columns
from .options import add_methods, add_stopping_threshold, non_negative_int, positive_float, positive_int

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """The ``sweep`` sub-command."""
    command = commands.add_parser(
        "sweep",
        help="fit every combination of methods, learning rates, batch sizes and seeds",
        description=(
            "Sweep learning rate x batch size x seed for each method on the diamonds line fit (or on your "
            "own CSV data, standardized the tutorial's way), on every core; write sweep.csv and sweep.png "
            "(a heatmap of test RMSE per method) and print the best configuration of each method."
        ),
    )
    add_methods(command, "methods to sweep")
    command.add_argument(
        "--learning-rate",
        nargs="+",
        type=positive_float,
        default=[1e-3, 1e-2, 1e-1],
        metavar="LR",
        help="learning rates (default: 1e-3 1e-2 1e-1)",
    )
    command.add_argument(
        "--batch-size",
        nargs="+",
        type=positive_int,
        default=[32, 64],
        metavar="N",
        help="batch sizes (default: 32 64)",
    )
    command.add_argument("--seed", type=non_negative_int, default=0, help="the first seed (default: %(default)s)")
    command.add_argument(
        "--seeds", type=positive_int, default=3, help="how many seeds, from --seed on, per configuration (default: 3)"
    )
    command.add_argument("--epochs", type=positive_int, default=1000, help="epochs per fit (default: %(default)s)")
    add_stopping_threshold(command, 1e-6)
    command.add_argument("--n-jobs", type=positive_int, default=None, help="threads (default: all cores)")
    command.add_argument("--out", metavar="DIR", help="folder for sweep.csv and sweep.png")
    command.add_argument("--csv", metavar="FILE", help="your own data instead of diamonds (needs --x and --y)")
    command.add_argument("--x", nargs="+", metavar="COL", help="feature columns of --csv")
    command.add_argument("--y", metavar="COL", help="target column of --csv")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=run)


def _sweep_data(args: argparse.Namespace) -> tuple[Any, str]:
    """The diamonds split, or a CSV file split and standardized the same way; plus the target's name."""
    if args.csv is None:
        if args.x or args.y:
            raise ValueError("--x and --y go with --csv")
        return tutorial_split(), "test RMSE ($)"
    if not args.x or not args.y:
        raise ValueError("--csv needs --x COL [COL ...] and --y COL")
    columns = read_columns(args.csv, args.x, args.y, 2, "a train and a test set")
    data = np.column_stack([columns.x.to_numpy(), columns.y.to_numpy()])
    return standardized_split(data, columns=[*args.x, args.y], name=args.csv), f"test RMSE ({args.y})"


def run(args: argparse.Namespace) -> None:
    folder = output_folder(args.out)
    split, label = _sweep_data(args)
    grid = {"method": args.methods, "learning_rate": args.learning_rate, "batch_size": args.batch_size,
            "seed": list(range(args.seed, args.seed + args.seeds))}  # fmt: skip
    table = sweep(
        split.x_train, split.y_train, grid, epochs=args.epochs, stopping_threshold=args.stopping_threshold,
        x_test=split.x_test, y_test=split.y_test, n_jobs=args.n_jobs, progress=not args.quiet,
    )  # fmt: skip
    table["test_rmse"] = split.rmse_from_mse(table["test_mse"])
    summary = (
        table.groupby(["method", "learning_rate", "batch_size"], sort=False)
        .agg(
            test_rmse=("test_rmse", "mean"),
            seeds=("seed", "size"),
            diverged=("status", lambda s: int((s == "diverged").sum())),
            epochs_run=("epochs_run", "mean"),
            seconds=("runtime_s", "sum"),
        )
        .reset_index()
    )
    # A method whose every configuration diverged has no finite RMSE: it is named, not ranked.
    finite = summary[np.isfinite(summary["test_rmse"])]
    best = finite.loc[finite.groupby("method", sort=False)["test_rmse"].idxmin()]
    print(f"{len(table)} fits; best configuration per method ({label}, mean over {args.seeds} seed(s)):")
    formats = {"test_rmse": "{:,.2f}".format, "epochs_run": "{:,.1f}".format, "seconds": "{:.4f}".format}
    if len(best):
        print(best.to_string(index=False, formatters=formats))
    for method in dict.fromkeys(summary["method"]):
        if method not in set(best["method"]):
            print(f"{method}: every configuration diverged (no finite {label})")
    if folder is not None:
        csv = table.assign(params=[list(map(float, p)) for p in table["params"]])
        figure = plots.sweep_heatmap(table, "test_rmse", label)
        try:
            write_file(folder / "sweep.csv", lambda path: csv.to_csv(path, index=False))
            write_file(folder / "sweep.png", functools.partial(save_png, figure))
        finally:
            close_all()
        print(f"wrote sweep.csv and sweep.png to {folder}")
