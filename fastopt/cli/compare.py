"""``fastopt compare``: the tutorial's benchmark, every method on the diamonds line (or the tutorial's network)."""

from __future__ import annotations

import argparse
from typing import Any

from ..apps.benchmark import MLP_EPOCHS, TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS
from ..apps.compare import DEFAULT_PEER_EPOCHS, DEFAULT_REFERENCE_EPOCHS, compare
from ..apps.report import format_table
from ..io.output import OutputError
from .options import add_methods, add_model, add_stopping_threshold, compared_model, non_negative_int, positive_int

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """The ``compare`` sub-command."""
    command = commands.add_parser(
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
    add_methods(command, "methods to compare")
    add_model(command)
    command.add_argument(
        "--epochs",
        type=positive_int,
        help=f"epochs per run (default: {TUTORIAL_EPOCHS:,} for the line, {MLP_EPOCHS} for the network)",
    )
    command.add_argument(
        "--batch-size",
        type=positive_int,
        default=TUTORIAL_BATCH_SIZE,
        help="rows per minibatch (default: %(default)s)",
    )
    add_stopping_threshold(command, 0.0, "the tutorial used 1e-6")
    command.add_argument("--seed", type=non_negative_int, default=0, help="seed of every run (default: %(default)s)")
    command.add_argument(
        "--seeds", type=positive_int, default=1, help="runs of each method from --seed on: the test RMSE's spread"
    )
    command.add_argument("--out", metavar="DIR", help="folder for results.csv, results.json and the figures")
    command.add_argument(
        "--reference-epochs",
        type=positive_int,
        help=f"epochs to time the NumPy reference for; its runtime is scaled (default: {DEFAULT_REFERENCE_EPOCHS}, "
        "or --epochs when fewer)",
    )
    command.add_argument("--no-reference", action="store_true", help="skip the NumPy reference")
    command.add_argument("--peers", action="store_true", help="add torch.optim and scikit-learn rows when installed")
    command.add_argument(
        "--peer-epochs",
        type=positive_int,
        default=DEFAULT_PEER_EPOCHS,
        help="epochs to time each peer for (default: %(default)s)",
    )
    command.add_argument("--quiet", action="store_true", help="no progress bars")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    try:
        table = compare(
            args.methods,
            model=compared_model(args),
            epochs=args.epochs,
            batch_size=args.batch_size,
            stopping_threshold=args.stopping_threshold,
            seed=args.seed,
            seeds=args.seeds,
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
