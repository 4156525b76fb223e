"""The one matplotlib set-up every figure uses: the non-interactive Agg backend and seaborn's theme.

matplotlib and seaborn are imported here, on the first figure, and not when fastopt is imported: they
are the ``plots`` extra, and they cost about a second.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..io.extras import require
from ..io.output import save_png, write_file

__all__ = ["pyplot", "write_png", "close_all"]


def pyplot() -> tuple[Any, Any]:
    """``(matplotlib.pyplot, seaborn)``, with the Agg backend (no display needed) and the whitegrid theme."""
    matplotlib = require("matplotlib", "drawing figures", "plots")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    sns = require("seaborn", "drawing figures", "plots")

    sns.set_theme(style="whitegrid", context="notebook")
    return plt, sns


def write_png(figure: Any, path: Path) -> None:
    """Write ``figure`` as a PNG at ``path``, whole or not at all (:func:`~fastopt.io.output.write_file`), and close it.

    Closing releases the figure: long runs that write many figures keep no memory of them.
    """
    plt, _ = pyplot()
    try:
        write_file(path, functools.partial(save_png, figure))
    finally:
        plt.close(figure)


def close_all() -> None:
    """Release every figure (long runs that save many figures should call this)."""
    plt, _ = pyplot()
    plt.close("all")
