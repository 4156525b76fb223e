"""The columns of a CSV file, for ``fastopt fit --csv`` and ``fastopt sweep --csv``: read and checked once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_columns"]


def read_columns(path: str, x: Sequence[str], y: str, min_rows: int, why: str) -> pd.DataFrame:
    """Columns ``[*x, y]`` of the CSV file ``path``, numeric and complete, with at least ``min_rows`` rows.

    Raises ``ValueError`` naming the file, the column and what to do: a
    missing column, the target among the features, a repeated feature, too
    few rows (``why`` says what they are needed for), True/False columns
    (refused as ``fastopt.fit`` refuses booleans), text, missing values.
    """
    import pandas as pd

    frame = pd.read_csv(path)
    missing = [c for c in [*x, y] if c not in frame.columns]
    if missing:
        raise ValueError(f"--csv {path} has no column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    if y in x:
        raise ValueError(f"--y {y} is also a feature in --x; the target cannot be one of its own features")
    if len(set(x)) != len(x):
        raise ValueError(f"--x names a column twice: {' '.join(x)}")
    columns = frame[[*x, y]]
    if len(columns) < min_rows:
        raise ValueError(f"{path} has {len(columns)} data row(s); {why} need(s) at least {min_rows}")
    booleans = [c for c in columns.columns if pd.api.types.is_bool_dtype(columns[c])]
    if booleans:
        raise ValueError(f"column(s) {', '.join(booleans)} of {path} hold True/False; write them as 0/1")
    non_numeric = [c for c in columns.columns if not pd.api.types.is_numeric_dtype(columns[c])]
    if non_numeric:
        raise ValueError(f"column(s) {', '.join(non_numeric)} of {path} are not numeric")
    if columns.isna().any().any():
        raise ValueError(f"{path} has missing values in {', '.join(columns.columns[columns.isna().any()])}")
    return columns
