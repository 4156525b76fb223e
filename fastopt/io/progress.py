"""Progress bars: one way for every command and function that shows them (tqdm)."""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


def progress_bar(enabled: bool, **options: Any) -> Any:
    """A tqdm bar with ``options`` (``total``, ``desc``, ``unit``, ...), or a silent one when not ``enabled``.

    An enabled bar is ``tqdm.auto``'s (a widget in a notebook that has ipywidgets) and turns itself off
    when the output is not a terminal (``disable=None``). A silent bar is plain tqdm's, so that a call
    with progress off never imports the notebook flavour, which warns where ipywidgets is missing.
    """
    if not enabled:
        from tqdm import tqdm

        return tqdm(disable=True, **options)
    from tqdm.auto import tqdm as auto

    return auto(disable=None, **options)
