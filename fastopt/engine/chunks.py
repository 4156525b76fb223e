"""Runs split into chunks of epochs, so that Ctrl-C and progress reach Python between them.

A compiled kernel cannot be interrupted: Python raises ``KeyboardInterrupt``
only once the kernel returns. Every long run is therefore a sequence of
kernel calls of about :data:`TARGET_SECONDS` each; everything that carries
over between epochs lives in the arrays the calls share, so the result is
bit for bit the result of one call. A call costs about 0.1 ms, so chunks
of tens of milliseconds cost nothing measurable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

__all__ = ["epoch_chunks", "TARGET_SECONDS"]

#: Wall time per kernel call: Ctrl-C is honoured within about this long.
TARGET_SECONDS = 0.025
# Rows x parameters of the first chunk: a few milliseconds of the linear model's work.
_FIRST_CHUNK_WORK = 4_000_000


def epoch_chunks(start: int, stop: int, work_per_epoch: int) -> Iterator[tuple[int, int]]:
    """Yield ``(first, last)`` epoch ranges covering ``start .. stop - 1``, each about :data:`TARGET_SECONDS`.

    The first chunk is sized from ``work_per_epoch`` (rows x parameters);
    each next one from the time the caller spent on the previous one
    (growing at most 4x per chunk). The caller may stop early (``break``).
    """
    size = max(1, _FIRST_CHUNK_WORK // max(work_per_epoch, 1))
    done = start
    while done < stop:
        last = min(done + size, stop)
        began = time.perf_counter()
        yield done, last
        seconds = time.perf_counter() - began
        done = last
        size = max(1, min(4 * size, int(size * TARGET_SECONDS / seconds))) if seconds > 0 else 4 * size
