"""Models and losses: MLPs, logistic and softmax regression, Huber, user objectives.

Oracles: PyTorch runs recorded by ``scripts/make_torch_model_golden.py``,
the NumPy reference (matrix form, :mod:`fastopt.models`), finite
differences, and scikit-learn's LogisticRegression.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.models.losses import LOSSES, get_loss, loss_values, output_gradients
from fastopt.models import architecture, backward, forward

GOLDEN = json.loads((Path(__file__).resolve().parent / "data" / "torch_models_golden.json").read_text())
IMPLEMENTATIONS = {"fit": fastopt.fit, "reference": fastopt.reference.fit}

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops


def model_of(hidden, activation="relu"):
    return fastopt.MLP(tuple(hidden), activation) if hidden else "linear"


def targets(loss, n, seed, n_classes=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    score = np.tanh(X @ rng.normal(size=(3, n_classes))) + 0.2 * rng.normal(size=(n, n_classes))
    if loss in ("squared_error", "huber"):
        return X, 2 * score[:, 0]
    if loss == "log_loss":
        return X, (score[:, 0] > 0).astype(float)
    return X, np.argmax(score, axis=1).astype(float)


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_matches_torch(case, implementation):
    schedule = case["schedule"]
    if schedule is not None:
        schedule = getattr(schedules, schedule["kind"])(**{k: v for k, v in schedule.items() if k != "kind"})
    result = IMPLEMENTATIONS[implementation](
        np.array(case["x"]), np.array(case["y"]), case["method"],
        model=model_of(case["hidden"], case["activation"]), loss=case["loss"],
        learning_rate=case["learning_rate"], epochs=case["epochs"], batch_size=case["batch_size"],
        stopping_threshold=0, init=np.array(case["init"]), shuffle=False, record_path=True, schedule=schedule,
        decay_biases=case.get("decay_biases", True), **case["hyperparameters"],
    )  # fmt: skip
    np.testing.assert_allclose(result.loss_history, case["loss_history"], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(result.path[case["path_epochs"]], case["path"], rtol=1e-9, atol=1e-12)


def test_golden_file_covers_models_losses_and_methods():
    cases = GOLDEN["cases"]
    assert {c["loss"] for c in cases} == set(LOSSES)
    assert {c["method"] for c in cases} == set(fastopt.METHODS)
    assert {len(c["hidden"]) for c in cases} == {0, 1, 2, 3}
    assert {c["activation"] for c in cases if c["hidden"]} == {"relu", "tanh"}
    # Two param groups (biases without weight decay) for every method with weight decay that torch or its
    # reference package has (Rprop's is fastopt's own, checked against the NumPy reference).
    grouped = {c["method"] for c in cases if c.get("decay_biases") is False}
    decaying = {m.name for m in fastopt.methods.REGISTRY if "weight_decay" in m.defaults} - {"rprop"}
    assert grouped >= decaying, decaying - grouped
    assert all(c["hyperparameters"]["weight_decay"] > 0 for c in cases if c.get("decay_biases") is False)
    tutorial = cases[0]
    settings = (tutorial["d"], tutorial["hidden"], tutorial["method"], tutorial["learning_rate"])
    assert settings == (10, [50], "adam", 1e-3)
    assert tutorial["schedule"] == {"kind": "step", "step_size": 30, "gamma": 0.1} and tutorial["epochs"] > 30


# Kernel against the NumPy reference: every model x loss x method, with the switches that matter.
MODELS = {"linear": (), "mlp1": (6,), "mlp2-tanh": ((5, 4), "tanh"), "mlp3": (4, 3, 3)}


def _model(key):
    spec = MODELS[key]
    if spec and isinstance(spec[0], tuple):
        return fastopt.MLP(spec[0], spec[1])
    return model_of(spec)


@pytest.mark.parametrize("method", fastopt.METHODS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("model", list(MODELS))
def test_kernel_matches_reference(model, loss, method):
    X, y = targets(loss, 61, seed=len(model) + len(loss))  # 61 rows, batch 8: a short last batch
    extra = {"weight_decay": 0.01} if method != "momentum" else {}
    if "clip_value" in fastopt.methods.get_method(method).defaults:
        extra["clip_value"] = 0.5
    kwargs = dict(model=_model(model), loss=loss, learning_rate=0.02, epochs=12, batch_size=8, stopping_threshold=0,
                  seed=3, schedule=schedules.cosine(5) if method != "momentum" else None, **extra)  # fmt: skip
    fast = fastopt.fit(X, y, method, **kwargs)
    ref = fastopt.reference.fit(X, y, method, **kwargs)
    assert fast.n_steps == ref.n_steps == 12 * 8
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fast.loss_history, ref.loss_history, rtol=1e-10, atol=0)
    assert fast.loss_history[-1] < fast.loss_history[0] * 1.5  # it trains (weight decay and cosine included)


def test_runs_are_bit_for_bit_repeatable():
    X, y = targets("cross_entropy", 100, seed=1)
    a, b = (fastopt.fit(X, y, "adam", model=fastopt.MLP((8, 4)), loss="cross_entropy", epochs=5, seed=9)
            for _ in range(2))  # fmt: skip
    assert np.array_equal(a.params, b.params) and np.array_equal(a.loss_history, b.loss_history)


# Gradients against central finite differences, for the compiled kernel and the NumPy reference.
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("model", list(MODELS))
def test_gradients_match_finite_differences(model, loss):
    from fastopt.engine.network import network_gradient, network_loss, work_size

    X, y = targets(loss, 9, seed=5)
    X.flags.writeable = False
    code = get_loss(loss).code
    arch = architecture(_model(model), 3, 3 if loss == "cross_entropy" else 1)
    spec = np.array([1, code, arch.activation_code, 0, 0, *arch.sizes], dtype=np.int64)  # no maximize, one group
    params = arch.init(np.random.default_rng(0)) + 0.1
    index = np.arange(9, dtype=np.uint32)
    work = np.empty(work_size(spec, 9))
    grad = np.empty_like(params)
    network_gradient(X, y, index, 0, 9, spec, params, grad, work, 9, 1.0)

    def mean_loss(p):
        return network_loss(X, y, spec, p, work, 9, index)

    numeric = np.empty_like(params)
    for j in range(len(params)):
        step = np.zeros_like(params)
        step[j] = 1e-6
        numeric[j] = (mean_loss(params + step) - mean_loss(params - step)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    outputs = forward(params, arch, X)
    reference = backward(params, arch, outputs, output_gradients(code, outputs[-1], y) / 9)
    np.testing.assert_allclose(reference, numeric, rtol=1e-5, atol=1e-7)
    assert np.isclose(np.mean(loss_values(code, outputs[-1], y)), mean_loss(params), rtol=1e-12)


def test_log_loss_is_stable_for_any_logit():
    Z = np.array([[-800.0], [-40.0], [0.0], [40.0], [800.0]])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    values = loss_values(get_loss("log_loss").code, Z, y)
    np.testing.assert_allclose(values, [800, 0, np.log(2), 0, 800], atol=1e-15)
    X = np.array([[-400.0], [400.0]])  # logits of +-400 at init: no overflow, a finite loss
    r = fastopt.fit(X, [1.0, 0.0], "sgd", loss="log_loss", init=[1.0, 0.0], epochs=1, learning_rate=1e-6)
    assert r.status != "diverged" and np.isclose(r.loss_history[0], 400, rtol=1e-6)


def test_mlp_init_is_pytorch_default():
    X, y = targets("squared_error", 10, seed=0)
    r = fastopt.fit(X, y, "adam", model=fastopt.MLP((50,)), epochs=0, seed=1)
    (w1, b1), (w2, b2) = r.layers()
    assert w1.shape == (50, 3) and b1.shape == (50,) and w2.shape == (1, 50) and b2.shape == (1,)
    assert np.abs(w1).max() <= 1 / np.sqrt(3) and np.abs(w2).max() <= 1 / np.sqrt(50)
    assert np.abs(w1).max() > 0.9 / np.sqrt(3)  # uniform over the whole range, not N(0, 1) nor shrunk
    assert r.init.shape == (50 * 3 + 50 + 50 + 1,)


def test_predict_layers_and_probabilities():
    X, y = targets("cross_entropy", 300, seed=2)
    r = fastopt.fit(X, y, "adam", loss="cross_entropy", learning_rate=0.05, epochs=100, seed=0)
    assert r.coef.shape == (3, 3) and r.intercept.shape == (3,) and r.n_classes == 3
    proba = r.predict_proba(X)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(r.predict(X), np.argmax(proba, axis=1))
    assert np.mean(r.predict(X) == y) > 0.6  # three classes; a linear boundary on a nonlinear teacher
    binary = fastopt.fit(X, (y == 1).astype(float), "adam", loss="log_loss", learning_rate=0.05, epochs=50, seed=0)
    p = binary.predict_proba(X)[:, 1]
    assert np.array_equal(binary.predict(X), (p > 0.5).astype(int))
    mlp = fastopt.fit(X, 2 * X[:, 0], "adam", model=fastopt.MLP((5,)), epochs=2, seed=0)
    (w1, b1), (w2, b2) = mlp.layers()
    np.testing.assert_allclose(mlp.predict(X), np.maximum(X @ w1.T + b1, 0) @ w2[0] + b2[0])
    with pytest.raises(TypeError, match="layers"):
        mlp.coef  # noqa: B018
    with pytest.raises(TypeError, match="classification"):
        mlp.predict_proba(X)


def test_logistic_regression_matches_scikit_learn_on_real_data():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    ours = fastopt.fit(X_train, y_train, "adam", loss="log_loss", learning_rate=0.01, epochs=100, seed=0)
    theirs = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    accuracy = np.mean(ours.predict(X_test) == y_test)
    assert accuracy >= theirs.score(X_test, y_test) - 0.01, sklearn.__version__
    assert accuracy > 0.9


def test_sweep_has_model_and_loss_dimensions():
    X, y = targets("log_loss", 80, seed=4)
    grid = {"method": ["adam", "sgd"], "model": ["linear", fastopt.MLP((4,))], "loss": ["log_loss", "mse"],
            "seed": [0, 1]}  # fmt: skip
    table = fastopt.sweep(X, y, grid, epochs=6, n_jobs=2, x_test=X, y_test=y, progress=False)
    assert {"model", "loss", "train_loss", "test_loss"} <= set(table.columns)
    for i, config in enumerate(table.attrs["configurations"]):
        r = fastopt.fit(X, y, **config)
        assert np.array_equal(r.params, table.params[i]) and r.loss_history[-1] == table.train_loss[i]


# A user's objective.
@numba.njit(cache=True)
def _line_gradient(params, X, y, rows, grad):
    from_kernel = rows.astype(np.uint32)
    fastopt_batch_gradient(X, y, from_kernel, 0, len(rows), params, grad)
    return 0.0


from fastopt.engine.linear import batch_gradient as fastopt_batch_gradient  # noqa: E402
from fastopt.engine.linear import mse as fastopt_mse  # noqa: E402


@numba.njit(cache=True)
def _line_loss(params, X, y):
    return fastopt_mse(X, y, params)


@pytest.mark.jit
def test_objective_reproduces_the_linear_model_bit_for_bit():
    X, y = targets("squared_error", 203, seed=6)
    objective = fastopt.Objective(_line_gradient, _line_loss, n_params=4)
    kwargs = dict(learning_rate=0.01, epochs=9, batch_size=16, seed=2, stopping_threshold=0)  # direct-pass losses
    for method in ("sgd", "adam", "nesterov"):
        own = fastopt.fit(X, y, method, objective=objective, **kwargs)
        built_in = fastopt.fit(X, y, method, **kwargs)
        assert np.array_equal(own.params, built_in.params) and np.array_equal(own.loss_history, built_in.loss_history)
        ref = fastopt.reference.fit(X, y, method, objective=objective, **kwargs)
        np.testing.assert_allclose(ref.params, own.params, rtol=1e-12)
    table = fastopt.sweep(X, y, {"method": ["sgd", "adam"]}, objective=objective, epochs=9, batch_size=16,
                          progress=False)  # fmt: skip
    assert np.array_equal(table.params[1], fastopt.fit(X, y, "adam", objective=objective, epochs=9, batch_size=16,
                                                       seed=0).params)  # fmt: skip


@pytest.mark.slow
@pytest.mark.jit
def test_objective_does_not_recompile_fastopt_in_a_new_process(tmp_path):
    script = tmp_path / "user.py"
    script.write_text(
        "import numba, numpy as np, fastopt\n"
        "from fastopt.engine.kernels import fit_kernel\n"
        "from fastopt.models.objective import objective_epoch\n"
        "from fastopt.engine.specialise import compiled_variants\n"
        "@numba.njit\n"
        "def g(p, X, y, rows, grad):\n"
        "    grad[:] = p - 1.0\n"
        "    return 0.0\n"
        "@numba.njit\n"
        "def l(p, X, y):\n"
        "    return float(np.sum((p - 1.0) ** 2))\n"
        "r = fastopt.fit(np.zeros((10, 1)), np.zeros(10), 'sgd', objective=fastopt.Objective(g, l, 3), seed=0)\n"
        "(epoch,) = compiled_variants(objective_epoch).values()\n"
        "stats = [kernel.stats for kernel in (fit_kernel.dispatcher, epoch)]\n"
        "print(sum(sum(s.cache_hits.values()) for s in stats), sum(sum(s.cache_misses.values()) for s in stats),\n"
        "      r.params.round(3).tolist())\n"
    )
    for _ in range(2):  # the first run may fill the cache
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["2", "0"], out  # the driver and the objective's epoch, both loaded


@numba.njit
def _wrong_arity(params, X):
    return 0.0


@numba.njit
def _returns_array(params, X, y):
    return params


BAD = [
    ("labels not 0/1", dict(loss="log_loss"), [0, 1, 2], ValueError, "log_loss' is binary"),
    ("fractional labels", dict(loss="cross_entropy"), [0, 0.5, 1], ValueError, "class labels"),
    ("negative labels", dict(loss="cross_entropy"), [0, -1, 1], ValueError, "class labels"),
    ("n_classes too small", dict(loss="cross_entropy", n_classes=2), [0, 2, 1], ValueError, "n_classes=2"),
    ("n_classes for regression", dict(n_classes=3), [0, 2, 1], ValueError, "n_classes is for classification"),
    ("unknown loss", dict(loss="hinge"), [0, 1, 1], ValueError, "unknown loss 'hinge'"),
    ("loss not a string", dict(loss=3), [0, 1, 1], TypeError, "loss must be a string"),
    ("unknown model", dict(model="cnn"), [0, 1, 1], ValueError, "unknown model 'cnn'"),
    ("model 'mlp' without sizes", dict(model="mlp"), [0, 1, 1], ValueError, "fastopt.MLP"),
    ("model of the wrong type", dict(model=(50,)), [0, 1, 1], TypeError, "model must be 'linear' or a fastopt.MLP"),
    ("objective of the wrong type", dict(objective="mine"), [0, 1, 1], TypeError, "objective must be a fastopt"),
    ("init of the wrong size", dict(model=fastopt.MLP((2,)), init=np.zeros(3)), [0, 1, 1], ValueError,
     r"init must have shape \(7,\)"),
]  # fmt: skip


@pytest.mark.parametrize("fit", list(IMPLEMENTATIONS.values()), ids=list(IMPLEMENTATIONS))
@pytest.mark.parametrize("kwargs, y, error, pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_clearly(fit, kwargs, y, error, pattern):
    with pytest.raises(error, match=pattern):
        fit(np.arange(3.0), np.array(y, dtype=float), "adam", **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(hidden=()), ValueError, "at least one hidden layer"),
        (dict(hidden=(5, 0)), ValueError, "must be >= 1"),
        (dict(hidden=(5.5,)), TypeError, "must be integers"),
        (dict(hidden="50"), TypeError, "tuple of layer sizes"),
        (dict(activation="sigmoid"), ValueError, "unknown activation 'sigmoid'"),
    ],
)
def test_bad_mlp_is_rejected(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        fastopt.MLP(**kwargs)


@pytest.mark.jit
def test_bad_objectives_are_rejected():
    with pytest.raises(TypeError, match=r"decorate it: @numba\.njit"):
        fastopt.Objective(lambda p, X, y, rows, g: 0.0, _line_loss, 4)
    with pytest.raises(TypeError, match=r"gradient '_wrong_arity' does not compile as gradient\(params, X, y, rows"):
        fastopt.Objective(_wrong_arity, _line_loss, 4)
    with pytest.raises(TypeError, match=r"loss '_returns_array' does not compile .* No conversion from array"):
        fastopt.Objective(_line_gradient, _returns_array, 4)
    with pytest.raises(ValueError, match="n_params must be >= 1"):
        fastopt.Objective(_line_gradient, _line_loss, 0)
    objective = fastopt.Objective(_line_gradient, _line_loss, 2)
    with pytest.raises(ValueError, match="objective= replaces model= and loss="):
        fastopt.fit(np.arange(3.0), np.arange(3.0), objective=objective, model=fastopt.MLP((2,)))


@pytest.mark.jit
def test_one_compiled_signature_whatever_the_input_flavour():
    """Writable arrays, read-only arrays and pandas columns reach the same compiled code (no recompiles)."""
    import pandas as pd

    from fastopt.engine import kernels, linear, network
    from fastopt.engine.specialise import compiled_variants

    X, y = targets("squared_error", 300, seed=8)
    for model in ("linear", fastopt.MLP((3,))):
        fastopt.fit(X, y, "adam", model=model, epochs=20, seed=0)
    def variants():
        return {**compiled_variants(linear.linear_epoch), **compiled_variants(network.network_epoch)}

    epochs = variants()
    dispatchers = [*epochs.values(), kernels.fit_kernel.dispatcher, linear.moments, linear.mse, linear.epoch_loss,
                   network._forward, network.network_loss]  # fmt: skip
    before = [len(d.signatures) for d in dispatchers]
    read_only = X.copy()
    read_only.flags.writeable = False
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    for x_in, y_in in [(read_only, y), (frame, pd.Series(y)), (frame[["a"]], frame["b"]), (X.astype(np.float32), y)]:
        for model in ("linear", fastopt.MLP((3,))):
            fastopt.fit(x_in, y_in, "adam", model=model, epochs=20, seed=0)
    assert [len(d.signatures) for d in dispatchers] == before
    assert variants().keys() == epochs.keys()  # and no other variant
