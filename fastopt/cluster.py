"""Sweeps on a ``dask.distributed`` cluster: the data goes once to every worker, tasks go in chunks.

``distributed`` is imported only here, only when ``sweep(..., client=...)``
is called.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

import numpy as np

from .groups import Cancelled, Task, run_task
from .linear import moments_for

__all__ = ["check_client", "run_on_dask"]

#: Seconds between two looks at the cancel event (each is a round trip to the scheduler).
_POLL_SECONDS = 0.2


def check_client(client: Any) -> None:
    """A ``TypeError`` naming ``client`` unless it is a ``distributed.Client``."""
    try:
        from distributed import Client
    except ImportError:  # then nothing is a Client
        is_client = False
    else:
        is_client = isinstance(client, Client)
    if not is_client:
        raise TypeError(
            f"client must be a dask.distributed.Client (or None to use threads), got {type(client).__name__} {client!r}"
        )


def run_on_dask(
    client: Any, X: np.ndarray, Y: np.ndarray, tasks: list[Task], keep_history: bool, n_jobs: int
) -> list[list[dict[str, Any]]]:
    """Send chunks of tasks to the cluster and gather their rows, in task order.

    The data is scattered under a fresh key each call (``hash=False``): a
    key derived from the content would be shared with the previous call on
    the same data, whose release races this upload. Interrupted (Ctrl-C),
    the workers stop between chunks of epochs and the futures are cancelled.
    """
    from distributed import Event

    workers = max(1, len(client.scheduler_info().get("workers", {})) or n_jobs)
    X_remote, Y_remote = client.scatter([X, Y], broadcast=True, hash=False)
    chunks = [tasks[i::workers] for i in range(workers)]
    chunks = [chunk for chunk in chunks if chunk]
    cancel_name = f"fastopt-sweep-{uuid.uuid4().hex}"
    # Tasks travel without their arrays; the worker re-attaches its copy of the data.
    futures = [
        client.submit(_remote_chunk, X_remote, Y_remote, _strip(chunk), keep_history, cancel_name, pure=False)
        for chunk in chunks
    ]
    try:
        outputs = client.gather(futures)
    except BaseException:
        Event(cancel_name, client=client).set()
        client.cancel(futures)
        raise
    finally:
        client.cancel([X_remote, Y_remote])
    by_task = {}
    for chunk, chunk_outputs in zip(chunks, outputs, strict=True):
        for task, rows in zip(chunk, chunk_outputs, strict=True):
            by_task[id(task)] = rows
    return [by_task[id(task)] for task in tasks]


def _strip(chunk: list[Task]) -> list[Task]:
    return [
        Task(task.indices, [dataclasses.replace(q, X=None, y=None) for q in task.problems])  # type: ignore[arg-type]
        for task in chunk
    ]


def _remote_chunk(
    X: np.ndarray, Y: np.ndarray, chunk: list[Task], keep_history: bool, cancel_name: str
) -> list[list[dict[str, Any]]] | None:
    from distributed import Event

    cancel = Event(cancel_name)
    last_look = [time.monotonic()]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_look[0] < _POLL_SECONDS:
            return False
        last_look[0] = now
        return bool(cancel.is_set())

    tasks = [Task(t.indices, [dataclasses.replace(q, X=X, y=Y) for q in t.problems]) for t in chunk]
    M, M_abs = moments_for(X, Y, [q.epochs for t in tasks for q in t.problems])  # once per worker's share
    try:
        return [run_task(task, M, M_abs, keep_history, should_stop) for task in tasks]
    except Cancelled:
        return None
