"""The diamonds data and the tutorial's train/test split, and the same recipe for any table."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .io.extras import require

if TYPE_CHECKING:  # pandas and seaborn load lazily: importing fastopt stays fast
    import pandas as pd

__all__ = [
    "load_diamonds",
    "load_plotnine_table",
    "tutorial_split",
    "standardized_split",
    "TutorialSplit",
    "DIAMONDS_FEATURES",
]

#: Every diamonds column but the price, as the tutorial's network would see
#: them: six numbers and the ordinal codes of cut, color and clarity.
DIAMONDS_FEATURES = ("carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z")


def _plotnine_data_dir() -> Path | None:
    """Folder of plotnine's bundled data, found without importing plotnine (slow)."""
    spec = importlib.util.find_spec("plotnine")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if (folder / "diamonds.csv").is_file() else None


def load_plotnine_table(name: str) -> pd.DataFrame:
    """One of the tables the ``plotnine`` package ships (``mpg``, ``penguins``, ``txhousing``, ...), read with
    pandas from its bundled CSV file, offline (``pip install "fastopt[data]"``).

    Raises
    ------
    ImportError
        Without plotnine, naming the extra that brings it.
    ValueError
        For a table plotnine does not ship, listing those it does.
    """
    folder = _plotnine_data_dir()
    if folder is None:
        require("plotnine", f"the {name} table", "data")  # raises, naming the extra
        raise ImportError(f"plotnine is installed without its data folder; reinstall it to get the {name} table")
    path = folder / f"{name}.csv"
    if not path.is_file():
        tables = sorted(p.stem for p in folder.glob("*.csv"))
        raise ValueError(f"plotnine ships no table {name!r}; it has: {', '.join(tables)}")
    import pandas as pd

    return pd.read_csv(path)


#: seaborn's ordering of the diamonds categoricals (``seaborn.load_dataset("diamonds")`` applies it).
_DIAMONDS_CATEGORIES = {
    "color": ["D", "E", "F", "G", "H", "I", "J"],
    "clarity": ["IF", "VVS1", "VVS2", "VS1", "VS2", "SI1", "SI2", "I1"],
    "cut": ["Ideal", "Premium", "Very Good", "Good", "Fair"],
}


def load_diamonds() -> pd.DataFrame:
    """Return seaborn's ``diamonds`` data set (53,940 rows x 10 columns).

    The frame is the one ``seaborn.load_dataset("diamonds")`` returns,
    ordered categoricals included. Sources, in order: the byte-identical
    ``diamonds.csv`` that the ``plotnine`` package ships (``pip install
    "fastopt[data]"``), read with pandas and given seaborn's categories
    (importing seaborn alone takes about 2 s); seaborn's cache
    (``seaborn.get_data_home()``); finally seaborn's download.

    Raises
    ------
    RuntimeError
        When none of the sources is available, saying how to get the data.
    """
    plotnine_data = _plotnine_data_dir()
    if plotnine_data is not None:
        import pandas as pd

        frame = pd.read_csv(plotnine_data / "diamonds.csv")
        for column, order in _DIAMONDS_CATEGORIES.items():
            frame[column] = pd.Categorical(frame[column], order)
        return frame
    sns = require("seaborn", "loading the diamonds data", "data")
    try:
        return sns.load_dataset("diamonds")  # its cache, else its download
    except OSError as error:  # urllib's URLError is an OSError
        raise RuntimeError(
            "the diamonds data set is not available offline and could not be downloaded "
            f'({error}). Install the offline copy with `pip install "fastopt[data]"` '
            "(it comes with plotnine), or put seaborn's diamonds.csv into "
            f"{sns.get_data_home()}"
        ) from error


@dataclass(frozen=True)
class TutorialSplit:
    """A standardized train/test split, as the tutorial makes it (carat -> price by default).

    Attributes
    ----------
    x_train, y_train, x_test, y_test : ndarray of float64
        Standardized features (shape ``(n,)`` for one feature, else
        ``(n, d)``) and targets.
    mean, std : ndarray of float64, shape (d + 1,)
        Column means and standard deviations (ddof=0) of ``[x_1 .. x_d, y]``
        over the sampled rows, before the split (for diamonds
        ``[carat, price]``, price in US dollars).
    units : str
        The target's units, for labels (``"$"`` for diamonds; may be empty).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    units: str = ""

    def to_original(self, y_standardized: Any) -> np.ndarray:
        """Map standardized targets back to the target's own units (dollars for diamonds)."""
        return np.asarray(y_standardized, dtype=np.float64) * self.std[-1] + self.mean[-1]

    def test_rmse(self, model: Any) -> float:
        """Test RMSE in the target's own units, of a fit result (anything with ``predict``) or of test predictions."""
        predicted = model.predict(self.x_test) if hasattr(model, "predict") else np.asarray(model, np.float64)
        if predicted.shape != self.y_test.shape:
            raise ValueError(f"expected {self.y_test.shape[0]} test predictions, got shape {predicted.shape}")
        error = self.to_original(predicted) - self.to_original(self.y_test)
        return float(np.sqrt(np.mean(error**2)))

    def rmse_from_mse(self, standardized_mse: Any) -> Any:
        """RMSE in the target's own units from an MSE of standardized targets: ``sqrt(mse) * std_y``."""
        return np.sqrt(standardized_mse) * self.std[-1]

    #: The tutorial's names: prices are in dollars.
    to_dollars = to_original
    rmse_dollars = test_rmse


def _check_fraction(train_fraction: Any) -> float:
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float, np.floating)):
        raise TypeError(f"train_fraction must be a number, got {type(train_fraction).__name__}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction!r}")
    return float(train_fraction)


def _columns(names: list[str]) -> str:
    """``column 'a'`` or ``columns 'a', 'b'``, for messages."""
    return ("column " if len(names) == 1 else "columns ") + ", ".join(repr(name) for name in names)


def standardized_split(
    data: np.ndarray,
    dataset_size: int | None = None,
    train_fraction: float = 0.8,
    seed: int = 42,
    columns: Sequence[str] | None = None,
    units: str = "",
    name: str = "data",
) -> TutorialSplit:
    """The tutorial's recipe for any table whose last column is the target.

    ``np.random.seed(seed)``, shuffle the rows of ``data`` (a copy), keep the
    first ``dataset_size`` rows (all by default), standardize every column
    with its mean and std (ddof=0), and split the standardized rows: the
    first ``train_fraction`` train, the rest test. NumPy's global random
    state is restored afterwards. ``columns`` names the columns in error
    messages (default: their indices) and ``name`` the table (e.g. a file
    name); ``units`` are the target's, for labels (e.g. ``"$"``).

    Raises
    ------
    ValueError
        Naming the column: a NaN or infinite cell, a constant column, or
        values too large to standardize in float64 (beyond about 1e154).
    """
    train_fraction = _check_fraction(train_fraction)
    data = np.array(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"data must be a table of feature columns and a target column, got shape {data.shape}")
    names = [str(i) for i in range(data.shape[1])] if columns is None else [str(c) for c in columns]
    if len(names) != data.shape[1]:
        raise ValueError(f"columns names {len(names)} column(s) but data has {data.shape[1]}")
    if data.shape[0] < 2:
        raise ValueError(f"{name} has {data.shape[0]} row(s); a train and a test set need at least 2")
    bad = [names[i] for i in np.flatnonzero(~np.isfinite(data).all(axis=0))]
    if bad:
        raise ValueError(f"{_columns(bad)} of {name} has NaN or infinite values; remove or impute them first")
    dataset_size = data.shape[0] if dataset_size is None else dataset_size
    if isinstance(dataset_size, bool) or not isinstance(dataset_size, (int, np.integer)):
        raise TypeError(f"dataset_size must be an integer, got {type(dataset_size).__name__}")
    if not 2 <= dataset_size <= data.shape[0]:
        raise ValueError(f"dataset_size must be between 2 and {data.shape[0]}, got {dataset_size}")
    n_train = int(dataset_size * train_fraction)
    if not 1 <= n_train < dataset_size:
        raise ValueError(f"train_fraction {train_fraction} leaves an empty train or test set of {dataset_size} rows")
    # The tutorial's legacy global-state sampling, reproduced on purpose (hence the noqa).
    saved = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(seed)  # noqa: NPY002
        np.random.shuffle(data)  # noqa: NPY002
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    sample = data[:dataset_size]
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = sample.mean(axis=0), sample.std(axis=0)
    huge = [names[i] for i in np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std)))]
    if huge:
        raise ValueError(
            f"{_columns(huge)} of {name} has values too large to standardize in float64 (their squares "
            "overflow); rescale them first, e.g. to other units"
        )
    constant = [names[i] for i in np.flatnonzero(std == 0)]
    if constant:
        raise ValueError(f"{_columns(constant)} of {name} is constant over the sampled rows and cannot be standardized")
    standardized = (sample - mean) / std
    features = standardized[:, 0] if data.shape[1] == 2 else standardized[:, :-1]
    return TutorialSplit(
        x_train=features[:n_train].copy(),
        y_train=standardized[:n_train, -1].copy(),
        x_test=features[n_train:].copy(),
        y_test=standardized[n_train:, -1].copy(),
        mean=mean,
        std=std,
        units=units,
    )


def diamonds_table(features: Any) -> np.ndarray:
    """``[features..., price]`` as float64; categorical columns become their codes in seaborn's order."""
    if isinstance(features, str) or not hasattr(features, "__iter__"):
        raise TypeError(f"features must be a sequence of column names, e.g. ('carat',), got {features!r}")
    features = list(features)
    unknown = [name for name in features if name not in DIAMONDS_FEATURES]
    if not features or unknown:
        raise ValueError(f"features must name diamonds columns from: {', '.join(DIAMONDS_FEATURES)}; got {features!r}")
    if len(set(features)) != len(features):
        raise ValueError(f"features has a repeated column: {features!r}")
    import pandas as pd

    frame = load_diamonds()
    columns = [
        frame[name].cat.codes if isinstance(frame[name].dtype, pd.CategoricalDtype) else frame[name]
        for name in [*features, "price"]
    ]
    return np.column_stack([np.asarray(column, dtype=np.float64) for column in columns])


def tutorial_split(
    dataset_size: int = 20_000, train_fraction: float = 0.8, seed: int = 42, features: Any = ("carat",)
) -> TutorialSplit:
    """Sample, standardize and split the diamonds data exactly as the tutorial does.

    :func:`standardized_split` of ``[[carat, price], ...]``: seed NumPy's
    global generator, shuffle the rows, keep the first ``dataset_size``,
    standardize every column, split the standardized rows. The sampled
    rows depend only on ``dataset_size`` and ``seed``, so every choice of
    ``features`` sees the same diamonds in the same order.

    Parameters
    ----------
    dataset_size : int, default 20,000
        Rows sampled, 2 to 53,940.
    train_fraction : float in (0, 1), default 0.8
        Share of the sampled rows used for training.
    seed : int, default 42
        Seed of NumPy's legacy global generator, as in the tutorial.
    features : sequence of str, default ("carat",)
        Feature columns, from :data:`DIAMONDS_FEATURES` (all of them is the
        data of ``fastopt compare --model mlp``). Cut, color and clarity
        enter as their ordinal codes (0 = best: Ideal, D, IF).
    """
    _check_fraction(train_fraction)
    return standardized_split(
        diamonds_table(features), dataset_size, train_fraction, seed, columns=[*features, "price"], units="$"
    )
