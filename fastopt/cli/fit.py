"""``fastopt fit``: fit a CSV file's columns and show the model in the data's units."""

from __future__ import annotations

import argparse
import functools
import json
from typing import Any

import numpy as np

from ..api.optimize import fit
from ..figures import comparison as plots
from ..figures.style import close_all
from ..io.output import output_folder, save_png, write_file
from ..io.tables import read_columns
from ..models.architectures import Architecture
from ..models.closed_form import least_squares
from ..models.losses import LOG_LOSS, LOSSES, get_loss
from .options import (
    add_methods,
    add_model,
    add_stopping_threshold,
    compared_model,
    fraction,
    positive_float,
    positive_int,
)

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """The ``fit`` sub-command, with the option spellings of ``compare`` and ``sweep``."""

    fit = commands.add_parser(
        "fit",
        help="fit your CSV data and print the model in your units",
        description=(
            "Fit --y from the --x columns of a CSV file with one method (standardized by default; the model "
            "is printed in the data's own units), next to least squares where that applies; with --out "
            "write fit.json and loss_curve.png."
        ),
    )
    fit.add_argument("--csv", metavar="FILE", required=True, help="the data")
    fit.add_argument("--x", nargs="+", metavar="COL", required=True, help="feature columns")
    fit.add_argument("--y", metavar="COL", required=True, help="target column")
    add_methods(fit, "the method", default=["adam"], count=1)
    add_model(fit)
    fit.add_argument(
        "--loss", type=str.lower, choices=[*LOSSES, "mse"], default="squared_error", help="(default: squared_error)"
    )
    fit.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train on standardized columns and report the model in the data's units (default: on)",
    )
    fit.add_argument("--learning-rate", type=positive_float, default=0.01, help="(default: %(default)s)")
    fit.add_argument("--epochs", type=positive_int, default=1000, help="(default: %(default)s)")
    fit.add_argument("--batch-size", type=positive_int, default=32, help="(default: %(default)s)")
    add_stopping_threshold(fit, 1e-6)
    fit.add_argument("--seed", type=int, default=0, help="seed of the run and of the test split (default: 0)")
    fit.add_argument(
        "--test-fraction", type=fraction, default=0.0, help="rows held out for a test error (default: 0, none)"
    )
    fit.add_argument("--out", metavar="DIR", help="folder for fit.json and loss_curve.png")
    fit.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:

    folder = output_folder(args.out)
    loss = get_loss(args.loss)
    columns = read_columns(args.csv, args.x, args.y, 2 if args.test_fraction > 0 else 1, "the fit", loss.classification)
    X, y = columns.x, columns.y.to_numpy()
    order = np.random.default_rng(args.seed).permutation(len(y))
    n_test = round(args.test_fraction * len(y))
    if args.test_fraction > 0 and not 1 <= n_test < len(y):
        raise ValueError(f"--test-fraction {args.test_fraction} leaves no train or no test rows of {len(y)}")
    train, test = np.sort(order[n_test:]), np.sort(order[:n_test])
    classes = columns.classes
    if classes is not None and len(classes) < 2:
        raise ValueError(f"--y {args.y} of {args.csv} has one label ({classes[0]!r}); a classifier needs two or more")
    if classes is not None and len(classes) > 2 and loss.code == LOG_LOSS:
        raise ValueError(
            f"--y {args.y} of {args.csv} has {len(classes)} labels; --loss log_loss is for two, "
            "use --loss cross_entropy"
        )
    result = fit(
        X.iloc[train], columns.y.iloc[train], args.methods[0], model=compared_model(args), loss=args.loss,
        n_classes=None if classes is None else len(classes), standardize=args.standardize,
        learning_rate=args.learning_rate, epochs=args.epochs, batch_size=args.batch_size,
        stopping_threshold=args.stopping_threshold, seed=args.seed,
    )  # fmt: skip
    regression = result.n_classes == 1
    arch = result.model
    assert isinstance(arch, Architecture)

    def error(rows: np.ndarray) -> float:
        if regression:
            return float(np.sqrt(np.mean((result.predict(X.iloc[rows]) - y[rows]) ** 2)))
        return float(np.mean(result.predict(X.iloc[rows]) == y[rows]))

    measure = f"RMSE ({args.y})" if regression else "accuracy"
    report: dict[str, Any] = {
        "csv": args.csv, "x": args.x, "y": args.y, "method": result.method, "model": arch.name,
        "loss": result.loss, "standardize": args.standardize, "hyperparameters": dict(result.hyperparameters),
        "epochs": args.epochs, "batch_size": args.batch_size, "stopping_threshold": args.stopping_threshold,
        "seed": args.seed, "status": result.status,
        "epochs_run": result.epochs_run, "gradient_norm": result.gradient_norm, "params": result.params.tolist(),
        "train_rows": len(train), "test_rows": len(test), f"train_{measure.split()[0].lower()}": error(train),
    }  # fmt: skip
    if classes is not None:
        report["classes"] = classes.tolist()  # output k of the model is the label classes[k]
    print(f"{result.method} on {args.csv}: {arch.name}, {result.loss}, {result.status} after "
          f"{result.epochs_run} epochs (gradient norm {result.gradient_norm:.3g})")  # fmt: skip
    if classes is not None:
        print(f"  classes of {args.y}, in output order: {', '.join(map(str, classes))}")
    if arch.is_linear and result.coef.ndim == 1:  # one output: a line or a binary logit
        terms = " ".join(f"{w:+.6g} * {name}" for w, name in zip(result.coef, args.x, strict=True))
        label = args.y if classes is None else f"logit P({args.y} = {classes[1]})"
        print(f"  {label} = {terms} {result.intercept:+.6g}")
        report.update(coef=dict(zip(args.x, result.coef.tolist(), strict=True)), intercept=result.intercept)
    else:
        print(f"  {result.params.shape[0]} parameters (see fit.json with --out)")
    lines = [("fastopt", error(train), error(test) if len(test) else None)]
    if regression and arch.is_linear:
        values = X.to_numpy()
        ols = least_squares(values[train], y[train])
        rmse = lambda rows: float(np.sqrt(np.mean((values[rows] @ ols[:-1] + ols[-1] - y[rows]) ** 2)))  # noqa: E731
        lines.append(("least squares", rmse(train), rmse(test) if len(test) else None))
        report.update(least_squares=ols.tolist(), least_squares_train_rmse=rmse(train))
    for name, train_error, test_error in lines:
        test_text = f", test {measure} {test_error:,.6g}" if test_error is not None else ""
        print(f"  {name:<14} train {measure} {train_error:,.6g}{test_text}")
    if len(test):
        report[f"test_{measure.split()[0].lower()}"] = lines[0][2]
    if folder is not None:
        trained = "standardized data" if args.standardize and regression else "data as given"
        figure = plots.loss_curves({result.method: result}, ylabel=f"training {result.loss} ({trained}, log scale)")
        try:
            write_file(folder / "fit.json", lambda path: path.write_text(json.dumps(report, indent=2) + "\n"))
            write_file(folder / "loss_curve.png", functools.partial(save_png, figure))
        finally:
            close_all()
        print(f"wrote fit.json and loss_curve.png to {folder}")
