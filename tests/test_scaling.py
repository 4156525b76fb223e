"""standardize=True: exact folding of the scaling into the parameters, real unscaled data, the warning, honest status."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from bounds import U, StandardizedLeastSquares, gamma
from conftest import least_squares

import fastopt
from fastopt.models import Architecture, forward
from fastopt.models.scaling import Scaling

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

RNG = np.random.default_rng(0)
X_RAW = RNG.normal(loc=[100.0, -3.0, 0.0], scale=[40.0, 0.01, 1.0], size=(300, 3))
Y_RAW = X_RAW @ [0.5, 200.0, -3.0] + 1000.0 + RNG.normal(size=300)


@pytest.mark.parametrize("sizes", [(3, 1), (3, 4, 1), (3, 5, 4, 2)])
@pytest.mark.parametrize("scale_targets", [True, False])
def test_scaling_folds_exactly_into_the_parameters(sizes, scale_targets):
    arch = Architecture(sizes, "tanh")
    scaling = Scaling.of(X_RAW, Y_RAW, scale_targets)
    params = arch.init(np.random.default_rng(1))
    trained = forward(params, arch, scaling.features(X_RAW))[-1] * scaling.y_scale + scaling.y_mean
    original = forward(scaling.to_original(params, sizes), arch, X_RAW)[-1]
    np.testing.assert_allclose(original, trained, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(scaling.to_standardized(scaling.to_original(params, sizes), sizes), params, atol=1e-12)


def test_a_constant_column_keeps_scale_one():
    X = np.column_stack([np.ones(10), np.arange(10.0)])
    scaling = Scaling.of(X, np.arange(10.0), True)
    assert scaling.x_scale[0] == 1.0 and np.isfinite(scaling.features(X)).all()


@pytest.mark.parametrize("fit", [fastopt.fit, fastopt.reference.fit], ids=["kernel", "reference"])
def test_standardized_gradient_descent_reaches_least_squares_to_its_rounding_floor(fit):
    # The raw columns span 4 orders of magnitude (standard deviations 40 and 0.01; the raw design's
    # condition number is 3e4), the standardized ones are near orthonormal. Full-batch gradient descent at
    # lr = 1 / λ_max(H) contracts the error by q = 1 - λ_min / λ_max (0.1 here) per step, so after 300
    # steps only its rounding floor is left: per step a gradient error δg (bounds.py: any summation order,
    # the kernel's loop and the reference's BLAS alike) and the update's own rounding, 2 u |θ|; in the
    # limit ||θ - θ*|| <= (lr δg + 2 u ||θ||) / (1 - q).
    problem = StandardizedLeastSquares.of(X_RAW, Y_RAW)
    lr = 1.0 / problem.lambda_max
    r = fit(X_RAW, Y_RAW, "sgd", clip_value=None, standardize=True, learning_rate=lr, epochs=300, batch_size=300,
            seed=0, stopping_threshold=0)  # fmt: skip
    q = 1.0 - problem.lambda_min / problem.lambda_max
    theta = problem.standardized(r.params)
    _, gradient_error = problem.gradient(problem.optimum)
    start = np.linalg.norm(problem.standardized(r.init) - problem.optimum)
    floor = (lr * gradient_error + 2 * U * np.linalg.norm(problem.optimum)) / (1 - q) + q**300 * start
    # Plus the computed θ*'s own error and the two maps between the coordinates (data units and back).
    mapping = gamma(4 * (X_RAW.shape[1] + 4)) * (
        np.abs(theta).sum() * (1 + np.abs(problem.scaling.x_mean / problem.scaling.x_scale).sum())
        + abs(problem.scaling.y_mean) / problem.scaling.y_scale
    )
    assert np.linalg.norm(theta - problem.optimum) <= floor + problem.optimum_error + mapping
    within = problem.prediction_bounds(X_RAW, r.params, problem.distance_bound(theta))
    assert np.all(np.abs(r.predict(X_RAW) - problem.predictions(X_RAW)) <= within)
    assert np.max(within / np.abs(problem.predictions(X_RAW))) < 1e-11  # the floor (6e-13: the oracle's own error)


@pytest.mark.parametrize("fit", [fastopt.fit, fastopt.reference.fit], ids=["kernel", "reference"])
def test_standardized_adam_reaches_least_squares_in_the_data_units(fit):
    # Adam has no contraction bound: at the rounding floor its second moment decays while the gradient is
    # rounding noise, and the normalised step kicks the iterate away again (with a constant rate, seed 0:
    # 5e-15 relative from least squares at epoch 1000, 9e-6 at epoch 2000, back to 1e-10 at 3000), so
    # where a constant-rate run ends depends on the CPU's rounding. Annealed to zero (cosine), the kicks
    # shrink with the rate. The comparison's tolerance is the one any iterate satisfies: the distance its
    # own gradient implies (bounds.py). Only "converged to 1e-6" is measured, not derived: the worst of 20
    # seeds over the second half of the run was 9e-10, the worst final iterate 1.3e-14.
    problem = StandardizedLeastSquares.of(X_RAW, Y_RAW)
    r = fit(X_RAW, Y_RAW, "adam", standardize=True, learning_rate=0.01, epochs=3000, batch_size=300, seed=0,
            stopping_threshold=0, schedule=fastopt.schedules.cosine(3000))  # fmt: skip
    within = problem.prediction_bounds(X_RAW, r.params, problem.distance_bound(problem.standardized(r.params)))
    assert np.all(np.abs(r.predict(X_RAW) - problem.predictions(X_RAW)) <= within)
    assert np.max(within / np.abs(problem.predictions(X_RAW))) < 1e-6
    assert r.scaling is not None and r.scaling.y_mean == pytest.approx(Y_RAW.mean())


def test_kernel_and_reference_agree_when_standardized():
    kwargs = dict(model=fastopt.MLP((4,)), standardize=True, learning_rate=0.01, epochs=20, seed=3, record_path=True)
    kernel, reference = fastopt.fit(X_RAW, Y_RAW, "adam", **kwargs), fastopt.reference.fit(X_RAW, Y_RAW, "adam", **kwargs)
    np.testing.assert_allclose(kernel.params, reference.params, rtol=1e-10)
    np.testing.assert_allclose(kernel.path, reference.path, rtol=1e-10)
    np.testing.assert_array_equal(kernel.path[-1], kernel.params)


def test_init_is_given_in_the_data_units():
    start = least_squares(X_RAW, Y_RAW)
    r = fastopt.fit(X_RAW, Y_RAW, "sgd", standardize=True, init=start, epochs=0)
    np.testing.assert_allclose(r.init, start, rtol=1e-12)
    np.testing.assert_allclose(r.params, start, rtol=1e-12)


def test_classifier_scales_features_only():
    labels = (Y_RAW > np.median(Y_RAW)).astype(float)
    r = fastopt.fit(X_RAW, labels, "adam", loss="log_loss", standardize=True, learning_rate=0.05, epochs=200, seed=0)
    assert r.scaling.y_mean == 0.0 and r.scaling.y_scale == 1.0
    assert np.mean(r.predict(X_RAW) == labels) > 0.95


def test_sweep_standardized_rows_equal_fits_in_the_data_units():
    grid = {"method": ["adam", "sgd"], "learning_rate": [0.01], "seed": [0, 1]}
    table = fastopt.sweep(X_RAW, Y_RAW, grid, epochs=30, standardize=True, progress=False, x_test=X_RAW, y_test=Y_RAW)
    for i, config in enumerate(table.attrs["configurations"]):
        r = fastopt.fit(X_RAW, Y_RAW, **config)
        np.testing.assert_array_equal(table["params"][i], r.params)
        mse = np.mean((r.predict(X_RAW) - Y_RAW) ** 2)
        assert table["train_mse"][i] == pytest.approx(mse, rel=1e-9)
        assert table["test_mse"][i] == pytest.approx(mse, rel=1e-9)


def test_unscaled_data_warns_once_naming_the_columns():
    import pandas as pd

    frame = pd.DataFrame(X_RAW, columns=["size", "tilt", "noise"])
    with pytest.warns(fastopt.UnscaledDataWarning) as caught:
        fastopt.fit(frame, Y_RAW, "adam", epochs=2, seed=0, stopping_threshold=0)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "size (mean" in message and "tilt (mean" in message and "y (mean" in message
    assert "noise" not in message and "standardize=True" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastopt.fit(frame, Y_RAW, "adam", epochs=2, seed=0, stopping_threshold=0, standardize=True)


def test_status_stalled_is_not_a_claim_of_optimality():
    x = np.linspace(-1, 1, 200)
    # Tiny steps: two epochs' losses differ by less than the tolerance far from the optimum.
    r = fastopt.fit(x, 3 * x + 1, "sgd", learning_rate=1e-9, stopping_threshold=1e-6, epochs=100, seed=0)
    assert r.status == "stalled" and r.gradient_norm > 1.0
    good = fastopt.fit(x, 3 * x + 1, "adam", learning_rate=0.05, stopping_threshold=1e-12, epochs=5000, seed=0)
    assert good.status == "stalled" and good.gradient_norm < 1e-4


@pytest.mark.parametrize("standardize", [False, True])
def test_gradient_norm_is_the_full_data_gradient_at_params_computed_on_first_access(standardize):
    import dataclasses
    import pickle

    arch = fastopt.MLP(hidden=(4,), activation="tanh")
    r = fastopt.fit(X_RAW, Y_RAW, "adam", model=arch, epochs=3, seed=0, stopping_threshold=0, standardize=standardize)
    scaling = Scaling.of(X_RAW, Y_RAW, True) if standardize else None
    X, y = (scaling.features(X_RAW), scaling.targets(Y_RAW)) if scaling else (X_RAW, Y_RAW)
    sizes = r.model.sizes

    def norm_at(params):  # the MSE's gradient by finite differences, in the units trained in
        trained = scaling.to_standardized(params, sizes) if scaling else params
        mse = lambda p: np.mean((forward(p, r.model, X)[-1][:, 0] - y) ** 2)  # noqa: E731
        h = 1e-6 * np.maximum(1.0, np.abs(trained))
        steps = np.diag(h)
        return np.linalg.norm([(mse(trained + e) - mse(trained - e)) / (2 * e[i]) for i, e in enumerate(steps)])

    assert isinstance(r._gradient, fastopt.api.validation.Problem)  # not computed by fit
    assert r.gradient_norm == pytest.approx(norm_at(r.params), rel=1e-6)
    assert isinstance(r._gradient, float)  # computed once, then kept
    moved = dataclasses.replace(r, params=r.init, _gradient=r._gradient)
    assert moved.gradient_norm == r.gradient_norm  # a computed norm travels as the number
    lazy = fastopt.fit(X_RAW, Y_RAW, "adam", model=arch, epochs=3, seed=0, stopping_threshold=0,
                       standardize=standardize)  # fmt: skip
    elsewhere = dataclasses.replace(lazy, params=lazy.init)
    assert elsewhere.gradient_norm == pytest.approx(norm_at(lazy.init), rel=1e-6)  # at its own params
    pickled = pickle.dumps(lazy)
    assert len(pickled) < X_RAW.nbytes  # the norm travels, not the training data
    assert pickle.loads(pickled).gradient_norm == lazy.gradient_norm


def test_column_moments_are_numpys_mean_and_std():
    from fastopt.models.scaling import column_moments

    mean, std = column_moments(X_RAW)
    np.testing.assert_allclose(mean, X_RAW.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(std, X_RAW.std(axis=0), rtol=1e-12)


def test_running_out_of_epochs_while_improving_warns():
    x = np.linspace(-1, 1, 200)
    with pytest.warns(fastopt.ConvergenceWarning, match=r"adam used all 5 epochs while the training loss was still"):
        r = fastopt.fit(x, 3 * x + 1, "adam", epochs=5, seed=0)
    assert r.status == "max_epochs"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastopt.fit(x, 3 * x + 1, "adam", epochs=5, seed=0, stopping_threshold=0)  # timing mode: no tolerance


@pytest.mark.jit
@pytest.mark.parametrize("case", ["mpg", "mtcars", "diamonds"])
def test_raw_real_data_reaches_least_squares_with_standardize(case):
    """The cases a new user met: raw mpg, mtcars, diamonds; within 2 % of least squares with standardize=True."""
    from plotnine.data import mpg, mtcars

    from fastopt.datasets import load_diamonds

    X, y = {
        "mpg": lambda: (mpg[["displ"]], mpg["hwy"]),
        "mtcars": lambda: (mtcars[["wt", "hp", "disp"]], mtcars["mpg"]),
        "diamonds": lambda: (load_diamonds()[["carat"]], load_diamonds()["price"]),
    }[case]()
    with pytest.warns(fastopt.UnscaledDataWarning):
        fastopt.fit(X, y, "adam", epochs=1, seed=0)
    r = fastopt.fit(X, y, "adam", standardize=True, learning_rate=0.01, epochs=1000, seed=0)
    ols = least_squares(X.to_numpy(float), y.to_numpy(float))
    best = np.mean((X.to_numpy(float) @ ols[:-1] + ols[-1] - y) ** 2)
    assert np.mean((r.predict(X) - y) ** 2) < 1.02 * best
