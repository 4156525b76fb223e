"""fastopt.estimators: scikit-learn's estimator checks, real data, partial_fit, pipelines and grid search."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the sklearn extra is not installed")

from conftest import least_squares  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastopt.estimators import FastoptClassifier, FastoptRegressor  # noqa: E402

pytestmark = pytest.mark.jit  # dozens of fits per check


@parametrize_with_checks([FastoptRegressor(), FastoptClassifier()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _real(case):
    from plotnine.data import mpg, mtcars
    from sklearn.datasets import load_diabetes

    from fastopt.datasets import load_diamonds

    if case == "mpg":
        return mpg[["displ"]], mpg["hwy"]
    if case == "mtcars":
        return mtcars[["wt", "hp", "disp"]], mtcars["mpg"]
    if case == "diabetes":
        data = load_diabetes(as_frame=True)
        return data.data, data.target
    diamonds = load_diamonds()
    return diamonds[["carat", "depth", "table"]], diamonds["price"]


@pytest.mark.parametrize("case", ["mpg", "mtcars", "diabetes", "diamonds"])
def test_default_regressor_reaches_least_squares_on_raw_data(case):
    X, y = _real(case)
    model = FastoptRegressor(random_state=0).fit(X, y)
    ols = least_squares(X.to_numpy(float), y.to_numpy(float))
    best = np.mean((X.to_numpy(float) @ ols[:-1] + ols[-1] - y) ** 2)
    assert np.mean((model.predict(X) - y) ** 2) < 1.01 * best
    if case != "diabetes":  # its serum columns are nearly collinear: least squares' coefficients are ill-determined
        np.testing.assert_allclose(model.coef_, ols[:-1], rtol=0.05, atol=1e-3 * np.abs(ols[:-1]).max())
    assert model.n_iter_ == 500 and model.loss_curve_.shape == (500,)


def test_partial_fit_equals_fit_bit_for_bit():
    rng = np.random.default_rng(0)
    X, y = rng.normal(loc=10, scale=3, size=(200, 3)), rng.normal(size=200)
    fitted = FastoptRegressor(epochs=7, random_state=4, hidden_layer_sizes=(5,), early_stopping=False).fit(X, y)
    partial = FastoptRegressor(epochs=7, random_state=4, hidden_layer_sizes=(5,))
    for _ in range(7):
        partial.partial_fit(X, y)
    np.testing.assert_array_equal(partial.result_.params, fitted.result_.params)
    assert partial.n_iter_ == 7


def test_classifier_with_text_labels_and_probabilities():
    from sklearn.datasets import load_iris

    data = load_iris()
    labels = np.array(data.target_names)[data.target]
    model = FastoptClassifier(random_state=0).fit(data.data, labels)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert model.score(data.data, labels) > 0.95
    proba = model.predict_proba(data.data)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)


def test_binary_classifier_matches_logistic_regression():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    ours = FastoptClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test)
    theirs = LogisticRegression(max_iter=10_000).fit(X_train, y_train).score(X_test, y_test)
    assert ours > theirs - 0.03


def test_early_stopping_keeps_the_best_validation_parameters():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5))
    y = X @ rng.normal(size=5) + rng.normal(size=400)
    model = FastoptRegressor(early_stopping=True, n_iter_no_change=5, epochs=300, schedule="constant",
                             random_state=0).fit(X, y)  # fmt: skip
    scores = model.validation_scores_
    assert model.best_validation_score_ == scores.max() and len(scores) < 300
    assert len(scores) - 1 - int(np.argmax(scores)) == 5  # stopped 5 epochs after the best


def test_pipeline_and_parallel_grid_search():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), FastoptRegressor(epochs=100, random_state=0))
    grid = {"fastoptregressor__method": ["adam", "sgd"], "fastoptregressor__learning_rate": [0.001, 0.01]}
    search = GridSearchCV(pipeline, grid, cv=3, n_jobs=-1).fit(X, y)
    assert search.best_score_ > 0.4
    assert set(search.best_params_) == set(grid)


def test_hyperparameters_dict_reaches_the_method():
    X, y = np.arange(20.0).reshape(-1, 1), np.arange(20.0)
    model = FastoptRegressor(method="adamw", hyperparameters={"weight_decay": 0.5}, epochs=3, random_state=0)
    assert model.fit(X, y).result_.hyperparameters["weight_decay"] == 0.5
    assert model.get_params()["hyperparameters"] == {"weight_decay": 0.5}


@pytest.mark.parametrize("early_stopping", [False, True])
def test_random_state_is_read_as_scikit_learn_reads_it(early_stopping):
    # GridSearchCV passes NumPy integers from np.arange grids: they seed exactly as the int does.
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(120, 2)), rng.normal(size=120)
    kwargs = dict(epochs=15, early_stopping=early_stopping)
    fits = [FastoptRegressor(random_state=seed, **kwargs).fit(X, y).result_.params for seed in (3, np.int64(3), 3)]
    assert all(np.array_equal(fits[0], other) for other in fits[1:])
    a, b = (FastoptRegressor(random_state=np.random.RandomState(5), **kwargs).fit(X, y).result_.params for _ in "ab")
    assert np.array_equal(a, b)  # two equal RandomStates, one draw each: the same fit
    for bad in (-1, 2**32, 1.5, "3"):
        with pytest.raises(ValueError, match=r"random_state must be None, an integer in \[0, 2\*\*32\)"):
            FastoptRegressor(random_state=bad, **kwargs).fit(X, y)


def test_n_iter_no_change_must_be_at_least_one():
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    with pytest.raises(ValueError, match="n_iter_no_change must be an integer >= 1, got -3"):
        FastoptRegressor(early_stopping=True, n_iter_no_change=-3, epochs=5).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="early_stopping must be True, False or 'auto', got 'yes'"):
        FastoptRegressor(early_stopping="yes", epochs=5).fit(X, X[:, 0])
    # "auto": on for an MLP regressor (validation scores recorded), off for the linear model and classifiers
    assert hasattr(FastoptRegressor(hidden_layer_sizes=(4,), epochs=5).fit(X, X[:, 0]), "validation_scores_")
    assert not hasattr(FastoptRegressor(epochs=5).fit(X, X[:, 0]), "validation_scores_")
    assert not hasattr(FastoptRegressor(hidden_layer_sizes=(4,), epochs=5).fit(X[:19], X[:19, 0]), "validation_scores_")
    assert not hasattr(FastoptClassifier(hidden_layer_sizes=(4,), epochs=5).fit(X, X[:, 0] > 0), "validation_scores_")


@pytest.mark.parametrize("case", ["diabetes", "mpg"])
def test_an_mlp_as_constructed_does_not_overfit_a_small_table(case):
    """Within 10 % of a converged MLPRegressor's test error (and of least squares' on diabetes), 75/25 split.

    Trained for all 500 epochs the MLP overfitted: diabetes test RMSE 82.4 against MLPRegressor's 58.1.
    """
    import warnings

    from plotnine.data import mpg
    from sklearn.datasets import load_diabetes
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True) if case == "diabetes" else (mpg[["displ"]].to_numpy(float), mpg["hwy"])
    X_train, X_test, y_train, y_test = train_test_split(X, np.asarray(y, dtype=float), test_size=0.25, random_state=0)

    def rmse(model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return float(np.sqrt(np.mean((model.fit(X_train, y_train).predict(X_test) - y_test) ** 2)))

    ours = rmse(FastoptRegressor(hidden_layer_sizes=(50,), random_state=0))
    theirs = rmse(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(50,), max_iter=2000, random_state=0)))
    assert ours <= 1.1 * theirs
    if case == "diabetes":  # nearly linear: least squares is the bar
        assert ours <= 1.1 * rmse(LinearRegression())
