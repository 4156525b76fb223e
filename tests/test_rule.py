"""fastopt.Rule: a user's update rule runs everywhere a built-in method does, checked like one.

Oracles: the built-in Adam (a user's Adam must reproduce it to 1e-12 in fit,
sweep and minimize), an independent NumPy loop written here (signSGD with
momentum on full batches, where the batch order cannot matter), and
fastopt.reference, whose schedules and loops are written apart from the kernels.
"""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest

import fastopt
from fastopt.estimators import FastoptRegressor

RTOL = 1e-12  # b**t by pow against the built-in's running product: a few roundings per step, ~500 steps


@numba.njit(cache=True, error_model="numpy")
def adam_step(params, grad, state, lr, hp, t):
    """Adam as torch.optim.Adam computes it, b**t by pow."""
    b1, b2, eps = hp[1], hp[2], hp[3]
    m, v = state[0], state[1]
    step_size = lr / (1.0 - b1**t)
    root = math.sqrt(1.0 - b2**t)
    for i in range(params.shape[0]):
        g = grad[i]
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        params[i] -= step_size * (m[i] / (math.sqrt(v[i]) / root + eps))


MY_ADAM = fastopt.Rule(
    "my_adam",
    adam_step,
    hyperparameters={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    state=("exp_avg", "exp_avg_sq"),
    valid={"beta1": (0.0, 0.999), "beta2": (0.0, 0.9999)},
)


@numba.njit(cache=True, error_model="numpy")
def signum_step(params, grad, state, lr, hp, t):
    """Sign of momentum (Bernstein et al. 2018)."""
    m = state[0]
    for i in range(params.shape[0]):
        m[i] = hp[1] * m[i] + (1.0 - hp[1]) * grad[i]
        params[i] -= lr * np.sign(m[i])


def signum_numpy(p, g, state, lr, h, t):
    m = state[0]
    m[:] = h["momentum"] * m + (1 - h["momentum"]) * g
    p -= lr * np.sign(m)


SIGNUM = fastopt.Rule(
    "signum",
    signum_step,
    hyperparameters={"learning_rate": 1e-3, "momentum": 0.9},
    state=("m",),
    valid={"momentum": (0.0, 1.0)},
    reference=signum_numpy,
    search={"momentum": (0.5, 0.99, "linear")},
)


def problem(n=300, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n)


X, Y = problem()
ADAM_SETTINGS = dict(learning_rate=0.01, beta1=0.8, beta2=0.99, epsilon=1e-8)


@pytest.mark.parametrize("model", ["linear", fastopt.MLP((6,), activation="tanh")])
def test_a_users_adam_reproduces_the_built_in_in_fit(model):
    mine = fastopt.fit(X, Y, MY_ADAM, model=model, epochs=25, seed=3, **ADAM_SETTINGS)
    built_in = fastopt.fit(X, Y, "adam", model=model, epochs=25, seed=3, **ADAM_SETTINGS)
    assert mine.method == "my_adam" and mine.n_steps == built_in.n_steps
    np.testing.assert_allclose(mine.params, built_in.params, rtol=RTOL, atol=0)
    np.testing.assert_allclose(mine.loss_history, built_in.loss_history, rtol=RTOL, atol=0)


def test_a_users_adam_reproduces_the_built_in_in_sweep_and_minimize():
    grid = {"method": [MY_ADAM, "adam"], "learning_rate": [0.01, 0.05], "seed": [1]}
    table = fastopt.sweep(X, Y, grid, epochs=15, stopping_threshold=None, progress=False)
    assert list(table.method) == ["my_adam", "my_adam", "adam", "adam"]
    np.testing.assert_allclose(np.stack(table.params[:2]), np.stack(table.params[2:]), rtol=RTOL, atol=0)
    for i in range(len(table)):  # row i is the fit its configuration describes, bit for bit
        again = fastopt.fit(X, Y, **table.attrs["configurations"][i])
        np.testing.assert_array_equal(again.params, table.params[i])
    mine = fastopt.minimize("rosenbrock", None, MY_ADAM, steps=300, learning_rate=0.02)
    built_in = fastopt.minimize("rosenbrock", None, "adam", steps=300, learning_rate=0.02)
    np.testing.assert_allclose(mine.path, built_in.path, rtol=RTOL, atol=1e-15)


def test_lookahead_over_a_users_adam_is_lookahead_over_adam():
    mine = fastopt.fit(X, Y, "lookahead", base=MY_ADAM, k=3, alpha=0.6, epochs=12, seed=2, learning_rate=0.02)
    built_in = fastopt.fit(X, Y, "lookahead", base="adam", k=3, alpha=0.6, epochs=12, seed=2, learning_rate=0.02)
    np.testing.assert_allclose(mine.params, built_in.params, rtol=RTOL, atol=0)
    reference = fastopt.reference.fit(X, Y, "lookahead", base=MY_ADAM, k=3, alpha=0.6, epochs=12, seed=2,
                                      learning_rate=0.02)  # fmt: skip
    np.testing.assert_allclose(mine.params, reference.params, rtol=1e-10)


def test_signum_matches_an_independent_numpy_loop():
    """Full batches without shuffling: the loop below is the whole algorithm, gradient included."""
    x, y = problem(n=64, d=2, seed=5)
    w = np.array([0.3, -0.2, 0.1])
    m = np.zeros(3)
    design = np.column_stack([x, np.ones(len(y))])
    for _ in range(200):
        g = 2.0 / len(y) * design.T @ (design @ w - y)  # d/dw of the mean squared error
        m = 0.8 * m + 0.2 * g
        w = w - 0.01 * np.sign(m)
    result = fastopt.fit(x, y, SIGNUM, momentum=0.8, learning_rate=0.01, epochs=200, batch_size=64, shuffle=False,
                         init=[0.3, -0.2, 0.1], stopping_threshold=None)  # fmt: skip
    np.testing.assert_allclose(result.params, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "schedule",
    [fastopt.schedules.cosine(20), fastopt.schedules.step(5, 0.5), fastopt.schedules.one_cycle(200, max_lr=0.05)],
    ids=["cosine", "step", "one_cycle_momentum"],
)
def test_every_schedule_drives_a_rule_as_the_reference_does(schedule):
    options = dict(momentum=0.9, learning_rate=0.01, epochs=20, seed=4, schedule=schedule, record_path=True)
    compiled = fastopt.fit(X, Y, SIGNUM, **options)
    plain = fastopt.reference.fit(X, Y, SIGNUM, **options)
    np.testing.assert_allclose(compiled.path, plain.path, rtol=1e-12, atol=1e-14)


def test_a_rules_own_hyperparameters_in_per_method_grids():
    grid = {"method": {SIGNUM: {"momentum": [0.5, 0.9]}, "adam": {"beta1": [0.8]}}, "seed": [0]}
    table = fastopt.sweep(X, Y, grid, epochs=8, progress=False)
    assert list(table.method) == ["signum", "signum", "adam"]
    assert table.momentum.tolist()[:2] == [0.5, 0.9] and math.isnan(table.momentum[2])
    with pytest.raises(ValueError, match=r"grid key 'momentum' is not a hyperparameter of 'adam'"):
        fastopt.sweep(X, Y, {"method": [SIGNUM, "adam"], "momentum": [0.5]}, epochs=2, progress=False)


def test_a_dask_sweep_with_a_rule_equals_the_threads():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    grid = {"method": [SIGNUM, MY_ADAM], "learning_rate": [0.01, 0.1], "seed": [0, 1]}
    local = fastopt.sweep(X, Y, grid, epochs=10, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            remote = fastopt.sweep(X, Y, grid, epochs=10, progress=False, client=client)
    np.testing.assert_array_equal(np.stack(local.params), np.stack(remote.params))


@pytest.mark.slow
@pytest.mark.jit
def test_a_rule_travels_to_dask_worker_processes():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    grid = {"method": [SIGNUM, "adam"], "learning_rate": [0.01, 0.1], "seed": [0, 1]}
    local = fastopt.sweep(X, Y, grid, epochs=10, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            remote = fastopt.sweep(X, Y, grid, epochs=10, progress=False, client=client)
    np.testing.assert_array_equal(np.stack(local.params), np.stack(remote.params))


def test_a_rule_survives_pickling(tmp_path):
    again = pickle.loads(pickle.dumps(SIGNUM))
    assert again.name == "signum" and dict(again.hyperparameters) == dict(SIGNUM.hyperparameters)
    a = fastopt.fit(X, Y, again, learning_rate=0.01, epochs=5, seed=0)
    b = fastopt.fit(X, Y, SIGNUM, learning_rate=0.01, epochs=5, seed=0)
    np.testing.assert_array_equal(a.params, b.params)


@pytest.mark.jit
def test_the_estimators_take_a_rule():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    estimator = FastoptRegressor(method=SIGNUM, learning_rate=0.01, epochs=10, random_state=0).fit(X, Y)
    assert clone(estimator).method is SIGNUM
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.predict(X), estimator.predict(X))
    search = GridSearchCV(FastoptRegressor(epochs=10, random_state=0), {"method": [SIGNUM, MY_ADAM]}, cv=2)
    assert search.fit(X, Y).best_params_["method"] in (SIGNUM, MY_ADAM)


@numba.njit(error_model="numpy")
def _writes_nan(params, grad, state, lr, hp, t):
    params[0] = np.nan


def test_a_rule_that_writes_nan_diverges_with_a_warning():
    rule = fastopt.Rule("writes_nan", _writes_nan, {"learning_rate": 0.1})
    with pytest.warns(RuntimeWarning, match="writes_nan diverged at epoch 1"):
        result = fastopt.fit(X, Y, rule, epochs=5)
    assert result.status == "diverged" and result.epochs_run == 1


@numba.njit
def _divides(params, grad, state, lr, hp, t):
    for i in range(params.shape[0]):
        params[i] -= lr * grad[i] / state[0, i]


@pytest.mark.jit
def test_a_step_under_numbas_default_error_model_is_advised_against():
    with pytest.warns(fastopt.methods.rule.RuleWarning, match=r"_divides compiled with Numba's default "
                      r"error_model='python'.*error_model='numpy'"):  # fmt: skip
        rule = fastopt.Rule("divides", _divides, {"learning_rate": 0.1}, state=("s",))
    with pytest.raises(ZeroDivisionError):  # what the warning says: Numba raises it, fastopt cannot catch it inside
        fastopt.fit(X, Y, rule, epochs=1)


@numba.njit
def _four_arguments(params, grad, state, lr):
    pass


@numba.njit
def _does_not_type(params, grad, state, lr, hp, t):
    params[0] = "text"


@pytest.mark.jit
@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda params, grad, state, lr, hp, t: None, r"step must be compiled with @numba\.njit .*decorate it"),
        (_four_arguments, r"does not compile as step\(params, grad, state, lr, hp, t\).*6 argument types given"),
        (_does_not_type, r"does not compile as step\(params, grad, state, lr, hp, t\).*setitem"),
    ],
)
def test_a_step_that_is_not_a_numba_step_is_refused_saying_what_to_fix(step, message):
    with pytest.raises(TypeError, match=message):
        fastopt.Rule("bad", step, {"learning_rate": 0.1})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(name="adam"), r"'adam' is a built-in method's"),
        (dict(name="two words"), r"must be an identifier"),
        (dict(hyperparameters={"momentum": 0.9}), r"must start with 'learning_rate'"),
        (dict(hyperparameters={"learning_rate": -1.0, "momentum": 0.5}), r"'learning_rate' must be a finite number > 0"),
        (dict(hyperparameters={"learning_rate": 0.1, "momentum": "high"}), r"must be a number or a flag"),
        (dict(state="m"), r"state must be a tuple of names"),
        (dict(valid={"beta": (0, 1)}), r"valid names \['beta'\] are not hyperparameters"),
        (dict(valid={"momentum": (1, 0)}), r"low <= high"),
        (dict(hyperparameters={"learning_rate": 0.1, "momentum": 2.0}), r"'momentum' must be a finite number in"),
        (dict(search={"momentum": (0.0, 0.9, "log")}), r"scale 'log' \(low > 0\)"),
    ],
)
def test_bad_rules_are_refused_naming_the_argument(changes, message):
    arguments = dict(name="r", step=signum_step, hyperparameters={"learning_rate": 0.1, "momentum": 0.5},
                     state=("m",), valid={"momentum": (0.0, 1.0)})  # fmt: skip
    with pytest.raises(ValueError, match=message):
        fastopt.Rule(**{**arguments, **changes})


def test_a_rule_refuses_hyperparameters_it_does_not_take():
    with pytest.raises(TypeError, match=r"method 'signum' does not take 'beta1'; its hyperparameters are"):
        fastopt.fit(X, Y, SIGNUM, beta1=0.9)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        fastopt.fit(X, Y, SIGNUM, momentum=1.5)


def test_check_rule_passes_a_true_numpy_step_and_fails_a_wrong_one():
    report = fastopt.check_rule(SIGNUM, learning_rate=0.01)
    assert report.passed and report.worst <= 1e-12, str(report)
    assert set(report.differences) == {"line", "linear", "network", "rosenbrock"}
    assert "passed" in str(report) and "rosenbrock" in str(report)

    def plain_sgd(p, g, state, lr, h, t):
        p -= lr * g

    wrong = fastopt.check_rule(SIGNUM, reference=plain_sgd, learning_rate=0.01)
    assert not wrong.passed and wrong.worst > 1e-3 and "FAILED" in str(wrong)
    with pytest.raises(TypeError, match=r"check_rule needs the NumPy step"):
        fastopt.check_rule(MY_ADAM)


@pytest.mark.slow
@pytest.mark.jit
def test_a_cached_rule_costs_a_new_process_no_compile(tmp_path):
    (tmp_path / "myrule.py").write_text(textwrap.dedent(
        """
        import numba, numpy as np, fastopt
        @numba.njit(cache=True, error_model="numpy")
        def step(params, grad, state, lr, hp, t):
            for i in range(params.shape[0]):
                params[i] -= lr * grad[i]
        RULE = fastopt.Rule("plain", step, {"learning_rate": 0.1})
        """
    ))  # fmt: skip
    script = textwrap.dedent(
        """
        import time
        import numpy as np, fastopt
        from fastopt.engine.kernels import fit_kernel
        from fastopt.engine.linear import linear_epoch
        from fastopt.engine.specialise import compiled_variants
        start = time.perf_counter()
        import myrule
        fastopt.fit(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100), myrule.RULE, epochs=5, seed=0)
        (epoch,) = compiled_variants(linear_epoch).values()
        misses = [sum(kernel.stats.cache_misses.values()) for kernel in (fit_kernel.dispatcher, epoch)]
        print(sum(misses), time.perf_counter() - start)
        """
    )
    # Without coverage's subprocess measurement (CI's coverage run), which slows a new process several-fold.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    times = []
    for attempt in range(4):  # the first run fills the rule's cache; the best of the others is timed
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path,
                             env=env)  # fmt: skip
        misses, seconds = run.stdout.split()
        if attempt:
            assert misses == "0" and "compiling" not in run.stderr, run.stderr
            times.append(float(seconds))
    assert min(times) < 1.0  # the rule's load and the first fit (the cached kernels load in ~10 ms)


def _tiny_problem():
    from fastopt.problems import StudyProblem, split

    def data():
        x, y = problem(n=200, d=2, seed=7)
        return split(x, y, scale_y=True, seed=0)

    return StudyProblem("tiny", "a plane, 200 rows", data, metric="rmse", epochs=5, target=0.5, batch_size=20)


def test_the_study_tunes_a_rule_over_its_search_space_and_reuses_its_runs(tmp_path, monkeypatch):
    import fastopt.apps.study as study_module

    tiny = _tiny_problem()
    report = fastopt.study([tiny], methods=[SIGNUM, "adam"], budget=3, seeds=2, trial_seeds=1, out=tmp_path)
    assert set(report.ranking.method) == {"signum", "adam"}
    tuned = report.runs[(report.runs.method == "signum") & (report.runs.stage == "tune")]
    momenta = [settings["momentum"] for settings in tuned.settings]
    assert len(set(momenta)) == 4 and all(0.5 <= m <= 0.99 for m in momenta[1:])  # defaults, then 3 draws
    calls = []
    monkeypatch.setattr(study_module, "sweep", lambda *a, **k: calls.append(1))
    again = fastopt.study([tiny], methods=[SIGNUM, "adam"], budget=3, seeds=2, trial_seeds=1, out=tmp_path)
    assert calls == [] and again.ranking.equals(report.ranking)  # every run found in runs.csv
    edited = SIGNUM.with_reference(None)  # the same code: still found
    assert edited.fingerprint == SIGNUM.fingerprint
    other = fastopt.Rule("signum", adam_step, dict(MY_ADAM.hyperparameters), state=("m", "v"))
    assert other.fingerprint != SIGNUM.fingerprint  # another step under the same name runs again


@pytest.mark.jit
def test_compare_and_the_gallery_name_a_rule(tmp_path):
    table = fastopt.compare([SIGNUM, "adam"], epochs=20, reference=False)
    assert list(table.method[:2]) == ["signum", "adam"] and table.attrs["settings"]["methods"] == ["signum", "adam"]
    results = fastopt.gallery(tmp_path, functions=["rosenbrock"], methods=[SIGNUM, "adam"], steps=50, starts=1)
    assert [r.label for r in results] == ["signum", "adam"]
    assert "signum" in (tmp_path / "gallery.csv").read_text()


@pytest.mark.jit
def test_the_command_line_takes_module_colon_name(tmp_path, capsys, monkeypatch):
    from conftest import run_cli

    (tmp_path / "my_rules.py").write_text(textwrap.dedent(
        """
        import numba, numpy as np, fastopt
        @numba.njit(error_model="numpy")
        def step(params, grad, state, lr, hp, t):
            for i in range(params.shape[0]):
                params[i] -= lr * np.sign(grad[i])
        SIGNSGD = fastopt.Rule("signsgd", step, {"learning_rate": 0.01})
        """
    ))  # fmt: skip
    monkeypatch.chdir(tmp_path)  # module:NAME is imported from the folder the command runs in, as python -m does
    result = run_cli(capsys, "sweep", "--methods", "my_rules:SIGNSGD", "sgd", "--learning-rate", "0.01",
                     "--epochs", "3", "--seeds", "1")  # fmt: skip
    assert result.returncode == 0 and "signsgd" in result.stdout, result.stderr
    bad = run_cli(capsys, "sweep", "--methods", "my_rules:nothing")
    assert bad.returncode == 2 and "my_rules.nothing must be a fastopt.Rule, found nothing" in bad.stderr
    missing = run_cli(capsys, "sweep", "--methods", "no_such_module:RULE")
    assert missing.returncode == 2 and "cannot import 'no_such_module'" in missing.stderr


RULE_FROM = [m for m in fastopt.methods.METHODS if m not in ("rprop", "lookahead")]


@pytest.mark.parametrize("method", RULE_FROM)
def test_every_built_in_as_a_rule_runs_bit_for_bit_as_the_built_in(method):
    """The built-in's own compiled step, reached through the user's path (a function value): the same bits."""
    rule = fastopt.Rule.from_method(method)
    assert rule.name == f"my_{method}" and rule.state == fastopt.methods.get_method(method).state_names
    for model in ("linear", fastopt.MLP((5,), activation="tanh")):
        mine = fastopt.fit(X, Y, rule, model=model, epochs=6, seed=1, schedule=fastopt.schedules.cosine(6))
        built_in = fastopt.fit(X, Y, method, model=model, epochs=6, seed=1, schedule=fastopt.schedules.cosine(6))
        np.testing.assert_array_equal(mine.params, built_in.params)
    assert fastopt.check_rule(rule, epochs=5, steps=50).passed  # the method's own NumPy step, through the rule


def test_a_rule_cannot_be_made_of_a_method_with_a_pair_or_a_method_hyperparameter():
    for method in ("rprop", "lookahead"):
        with pytest.raises(ValueError, match=r"not all numbers and flags; it cannot be a Rule"):
            fastopt.Rule.from_method(method)


@numba.njit(error_model="numpy")
def _counting_step(params, grad, state, lr, hp, t):
    state[0, 1] += 1.0  # a scalar in the second column, which max(p, 2) guarantees even for one parameter
    params[0] -= lr * grad[0] / state[0, 1]


@numba.njit(error_model="numpy")
def _one_gradient(params, X, y, rows, grad):
    grad[0] = 2.0 * (params[0] - 3.0)
    return 0.0


@numba.njit(error_model="numpy")
def _one_loss(params, X, y):
    return (params[0] - 3.0) ** 2


def test_a_rule_gets_two_state_columns_for_one_parameter_in_the_kernels_and_the_reference():
    rule = fastopt.Rule("counting", _counting_step, {"learning_rate": 0.5}, state=("count",))
    objective = fastopt.Objective(_one_gradient, _one_loss, n_params=1, init=[0.0])
    options = dict(objective=objective, epochs=6, batch_size=4, seed=0, stopping_threshold=None)
    compiled = fastopt.fit(np.zeros((8, 1)), np.zeros(8), rule, **options)
    plain = fastopt.reference.fit(np.zeros((8, 1)), np.zeros(8), rule, **options)
    np.testing.assert_allclose(compiled.params, plain.params, rtol=1e-14)
    assert compiled.params[0] != 0.0
