"""A comparison's report: the console table, the machine it ran on, and the files ``--out`` writes."""

from __future__ import annotations

import functools
import json
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..figures import comparison as plots
from ..figures.style import close_all
from ..io.output import save_png, write_file
from ..version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from ..api.result import FitResult
    from ..datasets import TutorialSplit

__all__ = ["machine_info", "format_table", "write_outputs"]


def machine_info() -> dict[str, Any]:
    """CPU, cores and library versions, recorded next to every benchmark."""
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "fastopt": __version__,
    }
    for name in ("torch", "sklearn"):
        module = sys.modules.get(name)
        if module is not None:
            info[name] = module.__version__
    return info


def format_table(table: pd.DataFrame) -> str:
    """The console table: one line per row, estimates marked with ``~``; RMSE in the split's units."""
    units = table.attrs.get("settings", {}).get("units", "$")
    rmse = f"Test RMSE ({units})" if units else "Test RMSE"

    def seconds(value: float, estimate: bool) -> str:
        if value != value:  # NaN
            return "-"
        return ("~" if estimate else "") + (f"{value:.2f}" if value < 100 else f"{value:,.0f}")

    lines = [
        f"{'Method':<38} {'Runtime (s)':>11} {'Epochs':>7} {'Train MSE':>10} {rmse:>14} "
        f"{'NumPy ref. (s, est.)':>21} {'vs NumPy reference':>19}"
    ]
    for row in table.itertuples(index=False):
        epochs = "-" if row.epochs != row.epochs else f"{int(row.epochs)}"
        speedup = (
            "-"
            if row.speedup_vs_reference != row.speedup_vs_reference
            else (
                f"{row.speedup_vs_reference:,.0f}x"
                if row.speedup_vs_reference >= 10
                else f"{row.speedup_vs_reference:.2g}x"
            )
        )
        lines.append(
            f"{row.label:<38} {seconds(row.runtime_s, bool(row.runtime_is_estimate)):>11} {epochs:>7} "
            f"{row.train_mse:>10.4f} {row.test_rmse_dollars:>14,.2f} {seconds(row.reference_runtime_s, True):>21} "
            f"{speedup:>19}"
        )
    return "\n".join(lines)


def write_outputs(folder: Path, table: pd.DataFrame, results: dict[str, FitResult], split: TutorialSplit,
                  path_results: dict[str, FitResult] | None = None) -> list[str]:  # fmt: skip
    """Write results.csv, results.json and the figures into ``folder``; return the file names.

    ``paths.png`` (the (m, b) plane) is drawn for one-feature lines only, from ``path_results``
    (runs that recorded every update) or else ``results``.
    """

    payload = {
        "machine": table.attrs.get("machine", {}),
        "settings": table.attrs.get("settings", {}),
        "rows": json.loads(table.to_json(orient="records")),
    }
    # Every figure is drawn before the first file is written.
    figures = {"comparison.png": plots.comparison(table), "loss_curves.png": plots.loss_curves(results, split)}
    if all(result.params.shape == (2,) for result in results.values()):
        figures["paths.png"] = plots.paths(path_results or results, split)
    try:
        write_file(folder / "results.csv", lambda path: table.to_csv(path, index=False))
        write_file(folder / "results.json", lambda path: path.write_text(json.dumps(payload, indent=2) + "\n"))
        for name, figure in figures.items():
            write_file(folder / name, functools.partial(save_png, figure))
    finally:
        close_all()
    return ["results.csv", "results.json", *figures]
