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

from ..engine.groups import Cancelled, Task, data_key, moments_by_data, run_task

__all__ = ["check_client", "run_on_dask"]

#: Seconds between two looks at the cancel event (each is a round trip to the scheduler).
_POLL_SECONDS = 0.2


def check_client(client: Any) -> None:
    """A ``TypeError`` naming ``client`` unless it is a ``distributed.Client``; a ``ValueError`` if it is closed."""
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
    if client.status in ("closing", "closed"):
        raise ValueError(
            f"client is {client.status}: connect a new dask.distributed.Client, or pass client=None to use threads"
        )


def run_on_dask(client: Any, tasks: list[Task], keep_history: bool, n_jobs: int) -> list[list[dict[str, Any]]]:
    """Send chunks of tasks to the cluster and gather their rows, in task order.

    Every distinct data array the tasks train on (the data, or its
    standardized versions) goes to every worker once. It is scattered under
    a fresh key each call (``hash=False``): a key derived from the content
    would be shared with the previous call on the same data, whose release
    races this upload. Interrupted (Ctrl-C), the workers stop between chunks
    of epochs and the futures are cancelled.
    """
    from distributed import Event

    workers = max(1, len(client.scheduler_info().get("workers", {})) or n_jobs)
    arrays = {id(a): a for task in tasks for a in (task.problems[0].X, task.problems[0].y)}
    remote = dict(zip(arrays, client.scatter(list(arrays.values()), broadcast=True, hash=False), strict=True))
    chunks = [tasks[i::workers] for i in range(workers)]
    chunks = [chunk for chunk in chunks if chunk]
    cancel_name = f"fastopt-sweep-{uuid.uuid4().hex}"
    # Tasks travel without their arrays (by id); the worker re-attaches its copies.
    futures = [
        client.submit(_remote_chunk, remote, _strip(chunk), keep_history, cancel_name, pure=False) for chunk in chunks
    ]
    try:
        outputs = client.gather(futures)
    except BaseException:
        Event(cancel_name, client=client).set()
        client.cancel(futures)
        raise
    finally:
        client.cancel(list(remote.values()))
    by_task = {}
    for chunk, chunk_outputs in zip(chunks, outputs, strict=True):
        for task, rows in zip(chunk, chunk_outputs, strict=True):
            by_task[id(task)] = rows
    return [by_task[id(task)] for task in tasks]


def _strip(chunk: list[Task]) -> list[tuple[Task, int, int]]:
    """Tasks without their arrays, with the ids of the arrays to re-attach."""
    return [
        (Task(task.indices, [dataclasses.replace(q, X=None, y=None) for q in task.problems]), *data_key(task))  # type: ignore[arg-type]
        for task in chunk
    ]


def _remote_chunk(
    arrays: dict[int, np.ndarray], chunk: list[tuple[Task, int, int]], keep_history: bool, cancel_name: str
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

    tasks = [
        Task(t.indices, [dataclasses.replace(q, X=arrays[x_id], y=arrays[y_id]) for q in t.problems])
        for t, x_id, y_id in chunk
    ]
    moments = moments_by_data(tasks)  # once per worker's share
    try:
        return [run_task(task, *moments[data_key(task)], keep_history, should_stop) for task in tasks]
    except Cancelled:
        return None
