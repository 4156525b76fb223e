"""The diamonds data, its offline sources, and the tutorial's split."""

from __future__ import annotations
import urllib.error

import numpy as np
import pandas as pd
import pytest
from bounds import gamma
import seaborn
import seaborn.utils

from fastopt import datasets
from fastopt.datasets import DIAMONDS_FEATURES, load_diamonds, tutorial_split

from conftest import least_squares, python_output

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops


def test_diamonds_is_seaborns_frame():
    frame = load_diamonds()
    assert frame.shape == (53_940, 10)
    assert list(frame.columns) == ["carat", "cut", "color", "clarity", "depth", "table", "price", "x", "y", "z"]
    assert list(frame["cut"].cat.categories) == ["Ideal", "Premium", "Very Good", "Good", "Fair"]
    assert list(frame["clarity"].cat.categories) == ["IF", "VVS1", "VVS2", "VS1", "VS2", "SI1", "SI2", "I1"]
    assert frame.iloc[0][["carat", "cut", "price"]].tolist() == [0.23, "Ideal", 326]
    assert int(frame["price"].sum()) == 212_135_217
    assert frame["carat"].sum() == pytest.approx(43_040.87)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled in this test")

    monkeypatch.setattr(seaborn.utils, "urlopen", refuse)
    monkeypatch.setattr(seaborn.utils, "urlretrieve", refuse)


def test_the_plotnine_copy_is_seaborns_frame_without_importing_seaborn():
    if datasets._plotnine_data_dir() is None:
        pytest.skip("plotnine is not installed (pip install 'fastopt[data]')")
    expected = seaborn.load_dataset("diamonds", data_home=str(datasets._plotnine_data_dir()))
    pd.testing.assert_frame_equal(load_diamonds(), expected)
    code = "import sys, fastopt.datasets as d; d.load_diamonds(); print('seaborn' in sys.modules)"
    assert python_output(code).strip() == "False"


def test_seaborn_cache_without_the_plotnine_copy(monkeypatch, tmp_path, no_network):
    (tmp_path / "diamonds.csv").write_text(
        "carat,cut,color,clarity,depth,table,price,x,y,z\n0.5,Good,E,SI1,60.0,55.0,1000,5.0,5.0,3.0\n"
    )
    monkeypatch.setenv("SEABORN_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "_plotnine_data_dir", lambda: None)
    frame = load_diamonds()
    assert frame.shape == (1, 10) and frame["price"].iloc[0] == 1000


def test_clear_error_when_no_source_is_available(monkeypatch, tmp_path, no_network):
    monkeypatch.setenv("SEABORN_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "_plotnine_data_dir", lambda: None)
    with pytest.raises(RuntimeError, match=r"pip install \"fastopt\[data\]\""):
        load_diamonds()


def test_tutorial_split_follows_the_spec(split):
    assert split.x_train.shape == (16_000,) and split.x_test.shape == (4_000,)
    both = np.column_stack(
        [np.concatenate([split.x_train, split.x_test]), np.concatenate([split.y_train, split.y_test])]
    )
    # 0 and 1 exactly only in exact arithmetic. A sum of n terms in any order is within γ_n Σ|terms|
    # (bounds.py), so the split's mean carries γ_n (|μ| + σ mean|z|), and each standardized value z two more
    # roundings: |mean z| <= γ_n (|μ| / σ + 3 mean|z|). Its std is a sum of positive terms computed twice
    # (the split's and this one), each within γ_(n+4) relative.
    n = len(both)
    mean_bound = gamma(n) * (np.abs(split.mean) / split.std + 3 * np.abs(both).mean(axis=0))
    assert np.all(np.abs(both.mean(axis=0)) <= mean_bound)
    assert np.all(np.abs(both.std(axis=0) - 1) <= 2 * gamma(n + 4))
    # Recompute the spec's recipe independently.
    data = load_diamonds()[["carat", "price"]].to_numpy(dtype=float)
    state = np.random.get_state()
    np.random.seed(42)
    np.random.shuffle(data)
    np.random.set_state(state)
    sample = data[:20_000]
    np.testing.assert_allclose(split.mean, sample.mean(axis=0))
    np.testing.assert_allclose(split.std, sample.std(axis=0))
    np.testing.assert_allclose(split.to_dollars(split.y_test), sample[16_000:, 1])


def test_tutorial_split_closed_form_rmse(split):
    ols = least_squares(split.x_train, split.y_train)
    assert split.rmse_dollars(split.x_test * ols[0] + ols[1]) == pytest.approx(1569.81, abs=0.01)


def test_tutorial_split_restores_the_global_random_state():
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    tutorial_split(dataset_size=100)
    assert np.random.random() == expected


@pytest.mark.parametrize(
    "kwargs, exception, pattern",
    [
        (dict(dataset_size=1), ValueError, "dataset_size must be between 2 and 53940"),
        (dict(dataset_size=10**6), ValueError, "dataset_size must be between"),
        (dict(dataset_size=100.0), TypeError, "dataset_size must be an integer"),
        (dict(train_fraction=1.0), ValueError, r"train_fraction must be in \(0, 1\)"),
        (dict(train_fraction="0.8"), TypeError, "train_fraction must be a number"),
        (dict(dataset_size=2, train_fraction=0.2), ValueError, "leaves an empty train or test set"),
    ],
)
def test_tutorial_split_rejects_bad_arguments(kwargs, exception, pattern):
    with pytest.raises(exception, match=pattern):
        tutorial_split(**kwargs)


def test_every_column_split_samples_the_same_diamonds(split):
    every = tutorial_split(features=DIAMONDS_FEATURES)
    assert every.x_train.shape == (16_000, 9) and every.x_test.shape == (4_000, 9)
    np.testing.assert_array_equal(every.x_train[:, 0], split.x_train)
    np.testing.assert_array_equal(every.y_test, split.y_test)
    # Categorical columns enter as their codes (0 = best): recompute cut's from the raw data.
    frame = load_diamonds()
    codes = frame["cut"].map({"Ideal": 0, "Premium": 1, "Very Good": 2, "Good": 3, "Fair": 4}).astype(float)
    order = np.arange(len(frame))
    state = np.random.get_state()
    np.random.seed(42)
    np.random.shuffle(order)
    np.random.set_state(state)
    sample = codes.to_numpy()[order[:20_000]]
    np.testing.assert_allclose(every.x_train[:, 1] * every.std[1] + every.mean[1], sample[:16_000], atol=1e-9)


@pytest.mark.parametrize(
    "features, exception, pattern",
    [
        ("carat", TypeError, "features must be a sequence of column names"),
        (("carat", "price"), ValueError, "features must name diamonds columns from: carat, cut"),
        ((), ValueError, "features must name diamonds columns"),
        (("carat", "carat"), ValueError, "repeated column"),
    ],
)
def test_tutorial_split_rejects_bad_features(features, exception, pattern):
    with pytest.raises(exception, match=pattern):
        tutorial_split(features=features)


def test_rmse_dollars_checks_the_prediction_shape(split):
    with pytest.raises(ValueError, match="expected 4000 test predictions"):
        split.rmse_dollars(np.zeros(3))


def test_rmse_from_mse_matches_test_rmse(split):
    predictions = 0.9 * split.x_test
    mse = np.mean((predictions - split.y_test) ** 2)
    assert split.rmse_from_mse(mse) == pytest.approx(split.test_rmse(predictions), rel=1e-12)
    assert split.rmse_from_mse(0.0) == 0.0


@pytest.mark.parametrize(
    "data, pattern",
    [
        ([[1.0, 2.0], [3.0, np.inf], [4.0, 5.0]], r"column 'target' of data has NaN or infinite values"),
        ([[1e200, 2.0], [3e200, 4.0], [5.0, 6.0]], r"column 'size' of data has values too large to standardize"),
        ([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]], r"column 'size' of data is constant"),
        ([[1.0, 2.0]], r"data has 1 row\(s\); a train and a test set need at least 2"),
    ],
    ids=["inf", "overflow", "constant", "one row"],
)
def test_standardized_split_names_the_column(data, pattern):
    from fastopt.datasets import standardized_split

    with pytest.raises(ValueError, match=pattern):
        standardized_split(np.array(data), columns=["size", "target"])
