"""The ``fastopt`` command line: ``fastopt compare`` and ``fastopt sweep`` (see ``fastopt --help``)."""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .benchmark import MLP_EPOCHS, TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS, TUTORIAL_SETTINGS
from .methods import METHODS
from .models import ACTIVATIONS

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``fastopt compare: error: ...`` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def add_methods(
    command: argparse.ArgumentParser, what: str, default: list[str] | None = None, count: str | int = "+"
) -> None:
    """``--methods`` (alias ``--method``), names in any case; the same option in every command."""
    default = list(TUTORIAL_SETTINGS) if default is None else default
    command.add_argument(
        "--methods",
        "--method",
        nargs=count,
        type=str.lower,
        choices=METHODS,
        default=default,
        metavar="METHOD",
        help=f"{what}, from: {', '.join(METHODS)}, in any case (default: {' '.join(default)})",
    )


def add_stopping_threshold(command: argparse.ArgumentParser, default: float, note: str = "") -> None:
    """``--stopping-threshold``: the tolerance rule, the same option in every command."""
    command.add_argument(
        "--stopping-threshold",
        type=non_negative_float,
        default=default,
        help=f"stop a fit when its epoch loss changes by less (default: {default:g}; 0 runs every epoch"
        + (f"; {note})" if note else ")"),
    )


def add_model(command: argparse.ArgumentParser) -> None:
    """``--model``, ``--hidden`` and ``--activation``: the same options in every command."""
    command.add_argument(
        "--model", choices=("linear", "mlp"), default="linear", help="the line, or a network (default: linear)"
    )
    command.add_argument(
        "--hidden",
        nargs="+",
        type=positive_int,
        metavar="N",
        help="with --model mlp: units per hidden layer (default: 50, the tutorial's network)",
    )
    command.add_argument(
        "--activation", choices=ACTIVATIONS, help="with --model mlp: hidden activation (default: relu)"
    )


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1)."""
    value = non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .compare import DEFAULT_PEER_EPOCHS, DEFAULT_REFERENCE_EPOCHS

    parser = _Parser(prog="fastopt", description="First-order optimizers as Numba kernels.")
    parser.add_argument("--version", action="version", version=f"fastopt {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    compare = commands.add_parser(
        "compare",
        help="the tutorial's benchmark: every method on the diamonds line fit (or the tutorial's network)",
        description=(
            "Fit the diamonds carat->price line with each method (the tutorial's settings), "
            "print runtime, epochs, train MSE, test RMSE ($) and the speed-up over the NumPy "
            "reference, and with --out write results.csv, results.json and the figures. "
            "--model mlp trains the tutorial's network (50 ReLU units) on every diamonds column instead, "
            "with a linear model and closed-form OLS on the same columns as rows to beat."
        ),
    )
    add_methods(compare, "methods to compare")
    add_model(compare)
    compare.add_argument(
        "--epochs",
        type=positive_int,
        help=f"epochs per run (default: {TUTORIAL_EPOCHS:,} for the line, {MLP_EPOCHS} for the network)",
    )
    compare.add_argument(
        "--batch-size",
        type=positive_int,
        default=TUTORIAL_BATCH_SIZE,
        help="rows per minibatch (default: %(default)s)",
    )
    add_stopping_threshold(compare, 0.0, "the tutorial used 1e-6")
    compare.add_argument("--seed", type=_non_negative_int, default=0, help="seed of every run (default: %(default)s)")
    compare.add_argument("--out", metavar="DIR", help="folder for results.csv, results.json and the figures")
    compare.add_argument(
        "--reference-epochs",
        type=positive_int,
        help=f"epochs to time the NumPy reference for; its runtime is scaled (default: {DEFAULT_REFERENCE_EPOCHS}, "
        "or --epochs when fewer)",
    )
    compare.add_argument("--no-reference", action="store_true", help="skip the NumPy reference")
    compare.add_argument("--peers", action="store_true", help="add torch.optim and scikit-learn rows when installed")
    compare.add_argument(
        "--peer-epochs",
        type=positive_int,
        default=DEFAULT_PEER_EPOCHS,
        help="epochs to time each peer for (default: %(default)s)",
    )
    compare.add_argument("--quiet", action="store_true", help="no progress bars")
    compare.set_defaults(run=_run_compare)

    sweep = commands.add_parser(
        "sweep",
        help="fit every combination of methods, learning rates, batch sizes and seeds",
        description=(
            "Sweep learning rate x batch size x seed for each method on the diamonds line fit (or on your "
            "own CSV data, standardized the tutorial's way), on every core; write sweep.csv and sweep.png "
            "(a heatmap of test RMSE per method) and print the best configuration of each method."
        ),
    )
    add_methods(sweep, "methods to sweep")
    sweep.add_argument(
        "--learning-rate",
        nargs="+",
        type=positive_float,
        default=[1e-3, 1e-2, 1e-1],
        metavar="LR",
        help="learning rates (default: 1e-3 1e-2 1e-1)",
    )
    sweep.add_argument(
        "--batch-size",
        nargs="+",
        type=positive_int,
        default=[32, 64],
        metavar="N",
        help="batch sizes (default: 32 64)",
    )
    sweep.add_argument("--seed", type=_non_negative_int, default=0, help="the first seed (default: %(default)s)")
    sweep.add_argument(
        "--seeds", type=positive_int, default=3, help="how many seeds, from --seed on, per configuration (default: 3)"
    )
    sweep.add_argument("--epochs", type=positive_int, default=1000, help="epochs per fit (default: %(default)s)")
    add_stopping_threshold(sweep, 1e-6)
    sweep.add_argument("--n-jobs", type=positive_int, default=None, help="threads (default: all cores)")
    sweep.add_argument("--out", metavar="DIR", help="folder for sweep.csv and sweep.png")
    sweep.add_argument("--csv", metavar="FILE", help="your own data instead of diamonds (needs --x and --y)")
    sweep.add_argument("--x", nargs="+", metavar="COL", help="feature columns of --csv")
    sweep.add_argument("--y", metavar="COL", help="target column of --csv")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(run=_run_sweep)

    from . import fit_command, gallery_command, study_command

    fit_command.add_parser(commands)
    gallery_command.add_parser(commands)
    study_command.add_parser(commands)
    return parser


def compared_model(args: argparse.Namespace) -> Any:
    """``--model``, with ``--hidden`` and ``--activation`` for a network."""
    if args.model == "linear":
        if args.hidden or args.activation:
            raise ValueError("--hidden and --activation go with --model mlp")
        return "linear"
    from .models import MLP

    return MLP(hidden=tuple(args.hidden or (50,)), activation=args.activation or "relu")


def _run_compare(args: argparse.Namespace) -> None:
    from .compare import compare
    from .output import OutputError
    from .report import format_table

    try:
        table = compare(
            args.methods,
            model=compared_model(args),
            epochs=args.epochs,
            batch_size=args.batch_size,
            stopping_threshold=args.stopping_threshold,
            seed=args.seed,
            reference=not args.no_reference,
            reference_epochs=args.reference_epochs,
            peers=args.peers,
            peer_epochs=args.peer_epochs,
            out=args.out,
            progress=not args.quiet,
        )
    except OutputError as error:  # computed, not written: show the table, then the error
        print(format_table(error.result))
        raise
    print(format_table(table))
    if args.out:
        print(f"wrote {', '.join(table.attrs['files'])} to {args.out}")


def _sweep_data(args: argparse.Namespace) -> tuple[Any, str]:
    """The diamonds split, or a CSV file split and standardized the same way; plus the target's name."""
    from .datasets import standardized_split, tutorial_split
    from .tables import read_columns

    if args.csv is None:
        if args.x or args.y:
            raise ValueError("--x and --y go with --csv")
        return tutorial_split(), "test RMSE ($)"
    if not args.x or not args.y:
        raise ValueError("--csv needs --x COL [COL ...] and --y COL")
    columns = read_columns(args.csv, args.x, args.y, 2, "a train and a test set")
    data = columns.to_numpy(dtype=float)
    return standardized_split(data, columns=list(columns.columns), name=args.csv), f"test RMSE ({args.y})"


def _run_sweep(args: argparse.Namespace) -> None:
    import numpy as np

    from .output import output_folder, save_png, write_file
    from .sweep import sweep

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
        from . import plots

        csv = table.assign(params=[list(map(float, p)) for p in table["params"]])
        figure = plots.sweep_heatmap(table, "test_rmse", label)
        try:
            write_file(folder / "sweep.csv", lambda path: csv.to_csv(path, index=False))
            write_file(folder / "sweep.png", functools.partial(save_png, figure))
        finally:
            plots.close_all()
        print(f"wrote sweep.csv and sweep.png to {folder}")


def _show_warning(command: str, message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Warnings as one line on stderr, ``fastopt fit: ConvergenceWarning: ...``, without a source location."""
    print(f"fastopt {command}: {category.__name__}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr; 130 after Ctrl-C)."""
    from .result import ConvergenceWarning
    from .validation import UnscaledDataWarning

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `fastopt`: say what there is
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_show_warning, args.command)
            for category in (UnscaledDataWarning, ConvergenceWarning, RuntimeWarning):
                warnings.filterwarnings("default", category=category)  # shown, whatever filters the caller set
            args.run(args)
    except KeyboardInterrupt:
        # Runs stop within a fraction of a second (fastopt.chunks); files are written whole or not at all.
        print(f"fastopt {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, RuntimeError, OSError, ImportError) as error:
        print(f"fastopt {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
