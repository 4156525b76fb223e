"""The ``fastopt`` command line: ``fastopt compare`` (see ``fastopt --help``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .benchmark import TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS, TUTORIAL_SETTINGS
from .methods import METHODS

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``fastopt compare: error: ...`` and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .compare import DEFAULT_PEER_EPOCHS, DEFAULT_REFERENCE_EPOCHS

    parser = _Parser(prog="fastopt", description="First-order optimizers as Numba kernels.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    compare = commands.add_parser(
        "compare",
        help="the tutorial's benchmark: every method on the diamonds line fit",
        description=(
            "Fit the diamonds carat->price line with each method (the tutorial's settings), "
            "print runtime, epochs, train MSE, test RMSE ($) and the speed-up over the NumPy "
            "reference, and with --out write results.csv, results.json and three figures."
        ),
    )
    compare.add_argument("--methods", nargs="+", choices=METHODS, default=list(TUTORIAL_SETTINGS), metavar="METHOD",
                         help=f"methods to compare, from: {', '.join(METHODS)} (default: the tutorial's four)")
    compare.add_argument("--epochs", type=_positive_int, default=TUTORIAL_EPOCHS, help="epochs per run (default: %(default)s)")
    compare.add_argument("--batch-size", type=_positive_int, default=TUTORIAL_BATCH_SIZE, help="rows per minibatch (default: %(default)s)")
    compare.add_argument("--stopping-threshold", type=_non_negative_float, default=0.0,
                         help="stop when the epoch loss changes by less (default: 0, run every epoch; the tutorial used 1e-6)")
    compare.add_argument("--seed", type=_non_negative_int, default=0, help="seed of every run (default: %(default)s)")
    compare.add_argument("--out", metavar="DIR", help="folder for results.csv, results.json and the figures")
    compare.add_argument("--reference-epochs", type=_positive_int, default=DEFAULT_REFERENCE_EPOCHS,
                         help="epochs to time the NumPy reference for; its runtime is scaled (default: %(default)s)")
    compare.add_argument("--no-reference", action="store_true", help="skip the NumPy reference")
    compare.add_argument("--peers", action="store_true", help="add torch.optim and scikit-learn rows when installed")
    compare.add_argument("--peer-epochs", type=_positive_int, default=DEFAULT_PEER_EPOCHS,
                         help="epochs to time each peer for (default: %(default)s)")
    compare.add_argument("--quiet", action="store_true", help="no progress bars")
    compare.set_defaults(run=_run_compare)
    return parser


def _run_compare(args: argparse.Namespace) -> None:
    from .compare import compare, format_table

    table = compare(
        args.methods,
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
    print(format_table(table))
    if args.out:
        print(f"wrote results.csv, results.json, comparison.png, loss_curves.png and paths.png to {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, TypeError, RuntimeError, OSError) as error:
        print(f"fastopt {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
