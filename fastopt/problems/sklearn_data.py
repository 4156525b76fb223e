"""Study problems on four data sets scikit-learn ships: digits, breast cancer, wine and diabetes.

Each is read with scikit-learn's loader (``pip install "fastopt[sklearn]"``;
the ``study`` extra brings it), its rows shuffled with a fixed seed and
split 60/20/20 (:func:`fastopt.problems.problem.split`). Digits is the small
cousin of the MNIST experiments of the Adam paper: 1,797 8x8 images of
hand-written digits, 10 classes.
"""

from __future__ import annotations

from typing import Any

from ..io.extras import require
from ..models.architectures import MLP
from .problem import StudyData, StudyProblem, split

__all__ = ["PROBLEMS"]

_SEED = 3


def _load(name: str) -> Any:
    datasets = require("sklearn.datasets", f"the {name} study problems", "sklearn")
    return getattr(datasets, f"load_{name}")()


def _digits() -> StudyData:
    bunch = _load("digits")
    return split(bunch.data, bunch.target, scale_y=False, seed=_SEED)


def _breast_cancer() -> StudyData:
    bunch = _load("breast_cancer")
    return split(bunch.data, bunch.target, scale_y=False, seed=_SEED)


def _wine() -> StudyData:
    bunch = _load("wine")
    return split(bunch.data, bunch.target, scale_y=False, seed=_SEED)


def _diabetes() -> StudyData:
    bunch = _load("diabetes")
    return split(bunch.data, bunch.target, scale_y=True, seed=_SEED, units="disease progression")


_DIGITS = "digits: scikit-learn's copy of the UCI hand-written digits, 1,797 8x8 images"
_CANCER = "breast cancer: scikit-learn's copy of the UCI Wisconsin diagnostic data, 569 tumours x 30 features"
_WINE = "wine: scikit-learn's copy of the UCI wine data, 178 wines x 13 measurements, 3 cultivars"
_DIABETES = "diabetes: scikit-learn's diabetes data (Efron et al. 2004), 442 patients x 10 measurements"

PROBLEMS = (
    StudyProblem("digits_softmax", "digit (10 classes) from 64 pixels, softmax regression",
                 _digits, metric="error", epochs=20, target=6.0, loss="cross_entropy", batch_size=32,
                 source=_DIGITS),
    StudyProblem("digits_mlp", "digit from 64 pixels, MLP(64) classifier",
                 _digits, metric="error", epochs=10, target=3.0, loss="cross_entropy", batch_size=32,
                 model=MLP((64,)), source=_DIGITS,
                 variant=StudyProblem("digits_mlp_deep", "held-out variant of digits_mlp: MLP(64, 32) classifier",
                                      _digits, metric="error", epochs=10, target=3.0, loss="cross_entropy",
                                      batch_size=32, model=MLP((64, 32)), source=_DIGITS)),
    StudyProblem("breast_cancer_logistic", "malignant or benign from 30 features, logistic regression",
                 _breast_cancer, metric="error", epochs=30, target=6.0, loss="log_loss", batch_size=32,
                 source=_CANCER),
    StudyProblem("wine_softmax", "cultivar (3 classes) from 13 measurements, softmax regression",
                 _wine, metric="error", epochs=30, target=5.0, loss="cross_entropy", batch_size=16, source=_WINE),
    StudyProblem("diabetes_linear", "disease progression after a year from 10 measurements, linear, squared error",
                 _diabetes, metric="rmse", epochs=50, target=53.0, batch_size=32, source=_DIABETES),
    StudyProblem("diabetes_mlp", "disease progression from 10 measurements, MLP(32), squared error",
                 _diabetes, metric="rmse", epochs=50, target=53.0, batch_size=32, model=MLP((32,)),
                 source=_DIABETES),
)  # fmt: skip
