"""The ``fastopt`` command line (:func:`main`); one module per sub-command, the shared options in
:mod:`~fastopt.cli.options`, the parser in :mod:`~fastopt.cli.commands`."""

from .commands import build_parser, main

__all__ = ["main", "build_parser"]
