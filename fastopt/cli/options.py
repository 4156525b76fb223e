"""The options and argument types every sub-command shares, so that each is spelled one way."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from ..apps.benchmark import TUTORIAL_SETTINGS
from ..methods import METHODS, Rule
from ..models.architectures import ACTIVATIONS, MLP

__all__ = [
    "positive_int",
    "non_negative_int",
    "non_negative_float",
    "positive_float",
    "fraction",
    "add_methods",
    "add_stopping_threshold",
    "add_model",
    "compared_model",
]


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
non_negative_int = _whole_number(0)


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


def method_argument(text: str) -> str | Rule:
    """A method name (any case), or ``module:NAME`` naming a :class:`fastopt.Rule` importable from ``module``."""
    if ":" not in text:
        if text.lower() not in METHODS:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {text!r} (choose from {', '.join(METHODS)}, or module:NAME for a fastopt.Rule)"
            )
        return text.lower()
    module_name, _, name = text.partition(":")
    if os.getcwd() not in sys.path:  # as `python -m` would: a module in the folder the command runs in
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error in it is theirs to see, in one line
        raise argparse.ArgumentTypeError(f"{text}: cannot import {module_name!r}: {error}") from None
    rule = getattr(module, name, None)
    if not isinstance(rule, Rule):
        found = "nothing" if rule is None else f"a {type(rule).__name__}"
        raise argparse.ArgumentTypeError(f"{text}: {module_name}.{name} must be a fastopt.Rule, found {found}")
    return rule


def add_methods(
    command: argparse.ArgumentParser, what: str, default: list[str] | None = None, count: str | int = "+"
) -> None:
    """``--methods`` (alias ``--method``), names in any case or ``module:NAME`` for a user's rule; the same
    option in every command."""
    default = list(TUTORIAL_SETTINGS) if default is None else default
    command.add_argument(
        "--methods",
        "--method",
        nargs=count,
        type=method_argument,
        default=default,
        metavar="METHOD",
        help=f"{what}, from: {', '.join(METHODS)}, in any case, or module:NAME for a fastopt.Rule of your own "
        f"(default: {' '.join(default)})",
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


def compared_model(args: argparse.Namespace) -> Any:
    """``--model``, with ``--hidden`` and ``--activation`` for a network."""
    if args.model == "linear":
        if args.hidden or args.activation:
            raise ValueError("--hidden and --activation go with --model mlp")
        return "linear"
    return MLP(hidden=tuple(args.hidden or (50,)), activation=args.activation or "relu")
