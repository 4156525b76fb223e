"""Reading a user's CSV file: one path for every command, with errors that name the file, column and line.

:func:`read_table` reads a file (``fastopt fit --csv``, ``fastopt sweep
--csv``, a study's ``runs.csv``) and turns pandas' and the codec's messages
into one line naming the file and the line at fault. :func:`read_columns`
picks a command's feature and target columns from it and checks them.
Line numbers are the file's, counting the header as line 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Columns", "read_table", "read_columns"]

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")  # rows from 0, the header's


def read_table(path: str | Path, advice: str = "", text: Sequence[str] = ()) -> pd.DataFrame:
    """The CSV file ``path`` as a DataFrame (UTF-8, a header line, comma-separated).

    Columns named in ``text`` are read as text even where every cell looks
    like a number (a digest such as ``"12e45"`` stays a string).

    Raises ``ValueError`` in one line naming ``path``, and the line for a
    row with more fields than the header or a byte that is not UTF-8; an
    empty file; a file that is not there (``FileNotFoundError``). ``advice``
    is appended to each message (e.g. what to do about a damaged file).
    """
    import pandas as pd

    tail = f"; {advice}" if advice else ""
    try:
        return pd.read_csv(path, encoding="utf-8", dtype=dict.fromkeys(text, str))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        data = Path(path).read_bytes()
        try:
            data.decode("utf-8")
            where = ""
        except UnicodeDecodeError as exact:  # pandas reads in chunks: its offset is not the file's
            bad_line = data.count(b"\n", 0, exact.start) + 1
            where = f" (byte {data[exact.start]:#04x} on line {bad_line})"
        raise ValueError(
            f"{path} is not UTF-8 text{where}; save it as UTF-8 (it may be Latin-1 or Windows-1252){tail}"
        ) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty; a CSV file needs a header line and data rows{tail}") from None
    except pd.errors.ParserError as error:
        fields = _FIELDS.search(str(error))
        if fields:
            expected, line, saw = fields.groups()
            raise ValueError(
                f"{path} line {line} has {saw} fields where the header has {expected}; fix or remove that row{tail}"
            ) from None
        quote = _OPEN_QUOTE.search(str(error))
        if quote:
            raise ValueError(
                f"{path} line {int(quote.group(1)) + 1} opens a quoted field that never closes "
                f"(is the file cut short?){tail}"
            ) from None
        raise ValueError(f"{path} could not be read as CSV: {str(error).strip().splitlines()[-1]}{tail}") from None


@dataclass(frozen=True)
class Columns:
    """A command's columns of a CSV file: ``x`` (float64 features), ``y`` (the target) and ``classes``.

    ``y`` is a float64 column named as in the file (so warnings name it):
    the target's values, or for ``labels=True`` the index of each row's
    label in ``classes`` (the sorted distinct labels).
    """

    x: pd.DataFrame
    y: pd.Series
    classes: np.ndarray | None = None


def read_columns(path: str, x: Sequence[str], y: str, min_rows: int, why: str, labels: bool = False) -> Columns:
    """Columns ``x`` and ``y`` of the CSV file ``path``, complete and finite, with at least ``min_rows`` rows.

    Features must be numbers; so must the target, unless ``labels`` (a
    classifier's target: text or numbers, encoded as 0..K-1 in sorted
    order). Raises ``ValueError`` naming the file, the column, the first
    line at fault and what to do: a missing column, the target among the
    features, a repeated feature, too few rows (``why`` says what they are
    needed for), True/False columns (refused as ``fastopt.fit`` refuses
    booleans), text where a number belongs, a missing or infinite value.
    """
    import pandas as pd

    frame = read_table(path)
    missing = [c for c in [*x, y] if c not in frame.columns]
    if missing:
        raise ValueError(f"--csv {path} has no column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    if y in x:
        raise ValueError(f"--y {y} is also a feature in --x; the target cannot be one of its own features")
    if len(set(x)) != len(x):
        raise ValueError(f"--x names a column twice: {' '.join(x)}")
    if len(frame) < min_rows:
        raise ValueError(f"{path} has {len(frame)} data row(s); {why} need(s) at least {min_rows}")
    for name in [*x, y]:
        column = frame[name]
        if column.isna().any():
            raise ValueError(f"column {name} of {path} has a missing value on line {_line(column.isna())}")
        if name == y and labels:
            continue
        if pd.api.types.is_bool_dtype(column):
            raise ValueError(f"column {name} of {path} holds True/False; write it as 0/1")
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.isna().any():
            row = _line(numbers.isna())
            hint = " (class labels go with --loss log_loss or cross_entropy)" if name == y else ""
            raise ValueError(f"column {name} of {path} is not numeric: line {row} holds {column.iloc[row - 2]!r}{hint}")
        if not np.isfinite(numbers.to_numpy(dtype=float)).all():
            row = _line(~np.isfinite(numbers.to_numpy(dtype=float)))
            raise ValueError(
                f"column {name} of {path} has an infinite value on line {row} "
                "(inf, or a number beyond float64's 1.8e308)"
            )
    features = frame[list(x)].astype(float)
    if not labels:
        return Columns(features, frame[y].astype(float))
    target = frame[y]
    if pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target):
        fractional = target.to_numpy(dtype=float) % 1 != 0
        if fractional.any():
            row = _line(fractional)
            raise ValueError(
                f"column {y} of {path} holds numbers such as {float(target.iloc[row - 2])!r} (line {row}), not class "
                "labels; a classifier's target is text or integers (for numbers, use a regression loss)"
            )
    classes, codes = np.unique(target.to_numpy(), return_inverse=True)
    return Columns(features, pd.Series(codes.astype(np.float64), name=y), classes)


def _line(bad: Any) -> int:
    """The file's line of the first True in ``bad`` (one per data row; the header is line 1)."""
    return int(np.flatnonzero(np.asarray(bad))[0]) + 2
