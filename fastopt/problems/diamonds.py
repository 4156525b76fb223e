"""The tutorial's diamonds data as study problems: its line, its network, and three classifications.

The data: the diamonds table of the tutorial (53,940 diamonds, from
ggplot2; read through seaborn, offline from the copy the plotnine package
ships, ``pip install "fastopt[data]"``; see :func:`fastopt.datasets.load_diamonds`),
6,000 rows sampled with a fixed seed, split 60/20/20.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..datasets import DIAMONDS_FEATURES, diamonds_table
from ..models.architectures import MLP
from .problem import StudyData, StudyProblem, split

__all__ = ["PROBLEMS"]

_ROWS, _SEED = 6000, 7
_SOURCE = "diamonds: ggplot2's 53,940 diamonds (plotnine's copy), 6,000 rows sampled"


@cache
def _diamonds_rows() -> np.ndarray:
    table = diamonds_table(DIAMONDS_FEATURES)  # 9 features, then price
    rows = np.random.default_rng(_SEED).permutation(len(table))[:_ROWS]
    return table[rows]


def _line() -> StudyData:
    rows = _diamonds_rows()
    return split(rows[:, :1], rows[:, -1], scale_y=True, units="$")


def _price() -> StudyData:
    rows = _diamonds_rows()
    return split(rows[:, :-1], rows[:, -1], scale_y=True, units="$")


def _expensive() -> StudyData:
    rows = _diamonds_rows()
    return split(rows[:, :-1], (rows[:, -1] > np.median(rows[:, -1])).astype(float), scale_y=False)


def _cut() -> StudyData:
    rows = _diamonds_rows()
    features = np.delete(rows, [1, rows.shape[1] - 1], axis=1)  # everything but cut and price
    return split(features, rows[:, 1], scale_y=False)


_MLP_TANH = StudyProblem(
    "diamonds_mlp_tanh", "held-out variant of diamonds_mlp: the same network with tanh units",
    _price, metric="rmse", epochs=20, target=700.0, model=MLP((50,), "tanh"), source=_SOURCE,
)  # fmt: skip
_CLASSIFIER_WIDE = StudyProblem(
    "diamonds_mlp_classifier_wide", "held-out variant of diamonds_mlp_classifier: one hidden layer of 64",
    _cut, metric="error", epochs=30, target=30.0, loss="cross_entropy", model=MLP((64,)), source=_SOURCE,
)  # fmt: skip

PROBLEMS = (
    StudyProblem("diamonds_line", "the tutorial's line: price from carat, linear, squared error",
                 _line, metric="rmse", epochs=100, target=1530.0, source=_SOURCE),
    StudyProblem("diamonds_mlp", "the tutorial's network: price from all 9 columns, MLP(50), squared error",
                 _price, metric="rmse", epochs=20, target=700.0, model=MLP((50,)), source=_SOURCE,
                 variant=_MLP_TANH),
    StudyProblem("diamonds_logistic", "price above the median from all 9 columns, logistic regression",
                 _expensive, metric="error", epochs=30, target=3.5, loss="log_loss", source=_SOURCE),
    StudyProblem("diamonds_softmax", "cut (5 classes) from the other 8 columns, softmax regression",
                 _cut, metric="error", epochs=30, target=38.0, loss="cross_entropy", source=_SOURCE),
    StudyProblem("diamonds_mlp_classifier", "cut from the other 8 columns, MLP(32, 16) classifier",
                 _cut, metric="error", epochs=30, target=30.0, loss="cross_entropy", model=MLP((32, 16)),
                 source=_SOURCE, variant=_CLASSIFIER_WIDE),
)  # fmt: skip
