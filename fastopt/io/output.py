"""Output folders and files that are written whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["output_folder", "write_file", "save_png", "OutputError"]


class OutputError(OSError):
    """A result was computed but could not be written; ``result`` holds it (e.g. the table to print)."""

    def __init__(self, message: str, result: Any = None):
        super().__init__(message)
        self.result = result


def output_folder(out: str | os.PathLike | None) -> Path | None:
    """Create ``out`` and make sure it is writable, before any work is done (None: no folder)."""
    if out is None:
        return None
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".fastopt-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"out folder {str(folder)!r} is not writable: {error.strerror or error}") from None
    return folder


def write_file(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(partial)`` on a hidden file next to ``path``, then rename it to ``path``.

    A file under its final name is therefore always complete: a full disk,
    an error or Ctrl-C while writing leaves the previous file (if any) and no
    partial one. An ``OSError`` is raised again naming ``path``.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(f"could not write {path}: {error.strerror or error}") from None
        raise


def save_png(figure: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG (whatever ``path`` ends with) at fastopt's resolution."""
    figure.savefig(path, dpi=120, format="png")
