"""Study problems on three tables the plotnine package ships: mpg, penguins and txhousing.

Read offline from plotnine's bundled CSV files
(:func:`fastopt.datasets.load_plotnine_table`, ``pip install "fastopt[data]"``),
rows with a missing cell dropped, text columns one-hot encoded, rows
shuffled with a fixed seed and split 60/20/20
(:func:`fastopt.problems.problem.split`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ..datasets import load_plotnine_table
from ..models.architectures import MLP
from .problem import StudyData, StudyProblem, split

__all__ = ["PROBLEMS"]

_SEED = 5


def _encoded(table: pd.DataFrame, numbers: list[str], categories: list[str]) -> np.ndarray:
    """The numeric columns, then one 0/1 column per value of each text column (in sorted order)."""
    parts = [table[numbers].to_numpy(dtype=np.float64)]
    parts += [pd.get_dummies(table[c]).to_numpy(dtype=np.float64) for c in categories]
    return np.hstack(parts)


def _mpg() -> StudyData:
    table = load_plotnine_table("mpg")
    return split(_encoded(table, ["displ", "year", "cyl"], ["drv", "class"]), table["hwy"], scale_y=True,
                 seed=_SEED, units="miles per gallon")  # fmt: skip


_SPECIES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _penguins() -> StudyData:
    table = load_plotnine_table("penguins").dropna(subset=_SPECIES)
    species = table["species"].astype("category").cat.codes.to_numpy(dtype=np.float64)
    return split(table[_SPECIES].to_numpy(dtype=np.float64), species, scale_y=False, seed=_SEED)


@cache
def _txhousing_table() -> pd.DataFrame:
    return load_plotnine_table("txhousing").dropna(subset=["sales", "median", "listings", "inventory"])


def _txhousing() -> StudyData:
    table = _txhousing_table()
    features = _encoded(table, ["year", "month", "sales", "listings", "inventory"], ["city"])
    return split(features, table["median"], scale_y=True, seed=_SEED, units="$")


_MPG = "mpg: plotnine's copy of ggplot2's fuel economy data, 234 cars of 1999 and 2008"
_PENGUINS = "penguins: plotnine's copy of the Palmer penguins (Gorman et al. 2014), 342 measured penguins"
_TXHOUSING = "txhousing: plotnine's copy of ggplot2's Texas housing sales, 46 cities by month 2000-2015"

PROBLEMS = (
    StudyProblem("mpg_linear", "highway miles per gallon from displacement, year, cylinders, drive and class, linear",
                 _mpg, metric="rmse", epochs=100, target=3.2, batch_size=16, source=_MPG),
    StudyProblem("penguins_mlp", "species (3) from bill, flipper and body mass, MLP(16) classifier",
                 _penguins, metric="error", epochs=30, target=3.0, loss="cross_entropy", batch_size=16,
                 model=MLP((16,)), source=_PENGUINS),
    StudyProblem("txhousing_mlp", "a month's median sale price from the city, year, month, sales, listings and "
                 "inventory, MLP(32), squared error",
                 _txhousing, metric="rmse", epochs=10, target=12000.0, model=MLP((32,)), source=_TXHOUSING),
)  # fmt: skip
