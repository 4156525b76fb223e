"""Output folders and files that are written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["output_folder", "folder_lock", "write_file", "partial_name", "save_png", "OutputError"]


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
        probe = partial_name(folder / "fastopt-write-test")
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"out folder {str(folder)!r} is not writable: {error.strerror or error}") from None
    return folder


#: The lock a run holds in its out folder while it writes there (see :func:`folder_lock`).
LOCK_NAME = ".fastopt.lock"


@contextlib.contextmanager
def folder_lock(folder: Path | None, owner: str) -> Iterator[None]:
    """Hold ``folder/.fastopt.lock`` while ``owner`` (e.g. "study") works in ``folder``; None: no lock.

    A second run on the same folder, in this process or another, is refused
    with a ``RuntimeError`` naming the process that holds it, instead of the
    two overwriting each other's files. A lock left by a process that no
    longer runs (killed, machine restarted) is taken over.
    """
    if folder is None:
        yield
        return
    lock = folder / LOCK_NAME
    for _ in range(3):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            holder = _lock_holder(lock)
            if holder is None or _running(holder):
                raise RuntimeError(
                    f"{folder} is in use by another {owner} (process {holder or 'starting'}); wait for it to "
                    f"finish, or choose another out folder"
                ) from None
            lock.unlink(missing_ok=True)  # its process is gone
    else:
        raise RuntimeError(f"could not lock {folder} for a {owner}: other runs keep taking it")
    with os.fdopen(handle, "w") as file:
        file.write(str(os.getpid()))
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _lock_holder(lock: Path) -> int | None:
    """The process id written in ``lock``: 0 if the lock has gone or is unreadable and a minute old (take it),
    None if it is still being written (another run has just taken it)."""
    try:
        return int(lock.read_text())
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        try:
            return 0 if time.time() - lock.stat().st_mtime > 60 else None
        except OSError:
            return 0


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: no signal, only the check that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def write_file(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(partial)`` on a hidden file next to ``path``, then rename it to ``path``.

    A file under its final name is therefore always complete: a full disk,
    an error or Ctrl-C while writing leaves the previous file (if any) and no
    partial one. The hidden name is unique to this call (two processes
    writing one folder never share it) and ends like ``path`` (writers such as
    Pillow's take the format from the name). An ``OSError`` is raised again
    naming ``path``.
    """
    partial = partial_name(path)
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(f"could not write {path}: {error.strerror or error}") from None
        raise


def partial_name(path: Path) -> Path:
    """``dir/.name.<pid>-<random>.partial.ext`` for ``dir/name.ext``: hidden, unique, with ``path``'s suffix."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}")


def save_png(figure: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG (whatever ``path`` ends with) at fastopt's resolution."""
    figure.savefig(path, dpi=120, format="png")
