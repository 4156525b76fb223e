"""A study's ``runs.csv``: every finished run, its key, and reading the file back to resume.

``runs.csv`` has one row per run (problem, the problem's fingerprint, stage:
tune/best/defaults, schedule, method, trial, seed, settings as JSON,
validation and test metric, status, runtime, epochs to the target, loss
history as JSON); a rerun of the study skips the runs it finds there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.status import STATUSES
from ..io.output import write_file
from ..io.tables import read_table

__all__ = ["RUN_COLUMNS", "FRESH_SEEDS", "rerun_seeds", "seed_set_of", "run_key", "load_runs", "save_runs", "concat"]

#: Seeds of the reruns start here, apart from the tuning seeds 0, 1, ...
FRESH_SEEDS = 1000
#: Seed set s reruns with seeds FRESH_SEEDS + s * SEED_SET_STRIDE + 0, 1, ... (disjoint for up to this many seeds).
SEED_SET_STRIDE = 100_000


def rerun_seeds(seed_set: int, seeds: int) -> range:
    """The seeds of seed set ``seed_set``'s reruns: disjoint from every other set's and from the tuning seeds."""
    start = FRESH_SEEDS + seed_set * SEED_SET_STRIDE
    return range(start, start + seeds)


def seed_set_of(seeds: Any) -> np.ndarray:
    """The seed set each rerun seed belongs to (-1 for a tuning seed)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    return np.where(seeds >= FRESH_SEEDS, (seeds - FRESH_SEEDS) // SEED_SET_STRIDE, -1)


RUN_COLUMNS = ["problem", "fingerprint", "stage", "schedule", "method", "trial", "seed", "settings", "validation",
                "test", "status", "runtime_s", "epochs_to_target", "loss_history"]  # fmt: skip

# Read as text, whatever they look like; the last two are JSON.
_TEXT_COLUMNS = ("problem", "fingerprint", "stage", "schedule", "method", "status", "settings", "loss_history")


def run_key(problem: str, fingerprint: str, run: dict[str, Any]) -> str:
    """What identifies a run across invocations: its problem and the problem's definition
    (:meth:`~fastopt.problems.StudyProblem.fingerprint`), stage, schedule, method, trial, seed and settings."""
    settings = json.dumps(run["settings"], sort_keys=True)
    stage = f"{run['stage']}|{run['schedule']}|{run['method']}|{run['trial']}|{run['seed']}"
    return f"{problem}|{fingerprint}|{stage}|{settings}"


def load_runs(folder: Path | None) -> dict[str, dict[str, Any]]:
    """The runs in ``folder/runs.csv`` (empty without one), by :func:`run_key`.

    Raises ``ValueError`` in one line naming the file, the column or line at
    fault and what to do, before any run starts: a damaged file (cut short,
    a garbage row, text in a number's cell, broken JSON, not text at all) or
    one without the columns this version writes.
    """
    if folder is None or not (folder / "runs.csv").is_file():
        return {}
    path = folder / "runs.csv"
    advice = "or delete the file to start the study over (its runs are then run again)"
    table = read_table(path, advice, text=_TEXT_COLUMNS)
    # A file from before fingerprints has none: its runs match nothing and are run again.
    missing = [c for c in RUN_COLUMNS if c != "fingerprint" and c not in table.columns]
    if missing:
        raise ValueError(
            f"{path} has no column(s) {', '.join(missing)}: another program or an older fastopt wrote it; {advice}"
        )
    rows = {}
    for line, row in enumerate(table.to_dict("records"), start=2):
        try:
            row = _checked_run(row)
        except ValueError as error:
            raise ValueError(f"{path} line {line}: {error}; {advice}") from None
        rows[run_key(row["problem"], str(row.get("fingerprint", "")), row)] = row
    return rows


def _checked_run(row: dict[str, Any]) -> dict[str, Any]:
    """One row of ``runs.csv`` with its JSON cells parsed; ``ValueError`` names the cell at fault."""
    for column in _TEXT_COLUMNS[:-2]:
        if column in row and not isinstance(row[column], str):  # an older file has no fingerprint
            raise ValueError(f"{column} is empty")
    if row["status"] not in STATUSES:
        raise ValueError(f"status is {row['status']!r}, not one of {', '.join(STATUSES)}")
    for column in ("trial", "seed", "validation", "test", "runtime_s", "epochs_to_target"):
        try:
            row[column] = float(row[column])
        except (TypeError, ValueError):
            raise ValueError(f"{column} is {row[column]!r}, not a number") from None
    for column in ("trial", "seed"):
        if not float(row[column]).is_integer():
            raise ValueError(f"{column} is {row[column]!r}, not an integer")
        row[column] = int(row[column])
    for column, kind in (("settings", dict), ("loss_history", list)):
        try:
            row[column] = json.loads(row[column])
        except (TypeError, ValueError):
            raise ValueError(f"{column} is not valid JSON: {str(row[column])[:40]!r}") from None
        if not isinstance(row[column], kind):
            raise ValueError(f"{column} is not a JSON {'object' if kind is dict else 'list'}")
    return row


def concat(parts: Sequence[Any]) -> Any:
    import pandas as pd

    frames = [p for p in parts if len(p)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RUN_COLUMNS)


def save_runs(folder: Path, parts: Sequence[Any]) -> None:
    """Write every run so far to ``folder/runs.csv`` (whole or not at all)."""

    table = concat(parts)[RUN_COLUMNS].copy()
    table["settings"] = [json.dumps(s, sort_keys=True) for s in table["settings"]]
    table["loss_history"] = [json.dumps([float(v) for v in h]) for h in table["loss_history"]]
    write_file(folder / "runs.csv", lambda path: table.to_csv(path, index=False))
