"""The ``fastopt`` command line: ``compare``, ``sweep``, ``fit``, ``gallery`` and ``study`` (see ``fastopt --help``).

Each sub-command is one module of this package with ``add_parser(commands)`` and ``run(args)``; the
options they share are in :mod:`fastopt.cli.options`.
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from ..api.result import ConvergenceWarning
from ..api.unscaled import UnscaledDataWarning
from ..version import __version__
from . import compare, fit, gallery, study, sweep

__all__ = ["main", "build_parser"]

#: The sub-commands, in the order ``fastopt --help`` lists them.
COMMANDS = (compare, sweep, fit, gallery, study)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``fastopt compare: error: ...`` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``fastopt`` and every sub-command."""
    parser = _Parser(prog="fastopt", description="First-order optimizers as Numba kernels.")
    parser.add_argument("--version", action="version", version=f"fastopt {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def _show_warning(command: str, message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Warnings as one line on stderr, ``fastopt fit: ConvergenceWarning: ...``, without a source location."""
    print(f"fastopt {command}: {category.__name__}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are one line on stderr; 130 after Ctrl-C)."""
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
