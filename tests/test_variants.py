"""The pieces a call compiles: the epoch of its model with its rule, the drivers' variants (fastopt.engine.variants,
.specialise)."""

from __future__ import annotations

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.engine import kernels, linear, network, param_groups
from fastopt.engine.specialise import absent, absent_count, absent_epoch, compiled_variants
from fastopt.engine.status import LINEAR_SQUARED, NETWORK, OBJECTIVE
from fastopt.engine.variants import left_out
from fastopt.methods import LOOKAHEAD_OFFSET, ORDER, dispatch, lookahead
from fastopt.methods.rule import USER
from fastopt.models import objective

PIECES = ("rule", "begin_epoch", "end_epoch")


def pieces(module):
    return [getattr(module, piece) for piece in PIECES if hasattr(module, piece)]


@pytest.mark.parametrize("code", range(len(ORDER)))
def test_a_variant_keeps_every_piece_of_its_method_and_leaves_out_the_others(code):
    name, leave_out = left_out([LINEAR_SQUARED], [code], False, False, False)
    assert name == f"line_{ORDER[code].__name__.rsplit('.', 1)[-1]}"
    kept = pieces(ORDER[code])
    assert kept and not any(piece in leave_out for piece in kept)  # shared pieces (schedule-free's hooks) too
    for other, module in enumerate(ORDER):
        if other != code:
            assert all(piece in leave_out for piece in pieces(module) if piece not in kept)
    assert all(piece in leave_out for piece in pieces(lookahead))
    # one rule: called where the dispatch was, and its hooks, or none where it has none
    assert leave_out[dispatch.update] is dispatch.update_one and leave_out[dispatch.the_rule] is ORDER[code].rule
    for hook in ("begin_epoch", "end_epoch"):
        own = getattr(ORDER[code], hook, None)
        if own is None:
            assert leave_out[getattr(dispatch, hook)] is absent
        else:
            assert leave_out[getattr(dispatch, hook)] is getattr(dispatch, hook + "_one")
            assert leave_out[getattr(dispatch, "the_" + hook)] is own
    wrapped_name, wrapped = left_out([LINEAR_SQUARED], [code + LOOKAHEAD_OFFSET], False, False, False)
    assert wrapped_name == name + "_lookahead" and not any(piece in wrapped for piece in pieces(lookahead))
    assert wrapped[dispatch.begin_epoch] is dispatch.begin_epoch_one  # Lookahead's begin_epoch runs first
    # no branch left around the step: a user's rule's call and Lookahead's pull-back are out, unless wrapped
    assert leave_out[dispatch.user_rule] is absent and leave_out[dispatch.pull_back] is absent
    assert wrapped[dispatch.user_rule] is absent and dispatch.pull_back not in wrapped


@pytest.mark.parametrize("code", [USER, USER + LOOKAHEAD_OFFSET])
def test_a_variant_for_a_users_rule_calls_it_and_no_built_in_one(code):
    _, leave_out = left_out([NETWORK], [code], False, False, False)
    assert leave_out[dispatch.the_rule] is absent and dispatch.user_rule not in leave_out
    assert (dispatch.pull_back in leave_out) == (code == USER)


def test_a_variant_keeps_the_kinds_groups_schedules_and_paths_it_is_asked_for():
    adam = [m.__name__ for m in ORDER].index("fastopt.methods.adam")
    name, leave_out = left_out([LINEAR_SQUARED], [adam], False, False, False)
    assert leave_out[network.network_epoch] is absent_epoch and leave_out[objective.objective_epoch] is absent_epoch
    assert linear.linear_epoch not in leave_out and leave_out[linear.recorded_batches] is absent_count
    assert leave_out[param_groups.grouped] is absent
    assert leave_out[schedules.learning_rate_at] is schedules.constant_rate
    name, leave_out = left_out([NETWORK], [adam], True, True, True)
    assert name == "network_adam_groups_scheduled_steps"
    for kept in (network.network_epoch, param_groups.grouped, schedules.learning_rate_at, linear.recorded_batches):
        assert kept not in leave_out
    assert linear.linear_epoch in leave_out and objective.objective_epoch in leave_out
    name, leave_out = left_out([OBJECTIVE, NETWORK], [USER], False, True, False)
    assert name == "network_objective_user_scheduled" and all(p in leave_out for m in ORDER for p in pieces(m))
    assert leave_out[dispatch.the_rule] is absent  # a user's step arrives in ``user``
    name, leave_out = left_out([LINEAR_SQUARED], [adam, USER], False, False, False)
    assert dispatch.update not in leave_out  # two rules: the dispatch on the code stays


def test_a_sweep_over_many_methods_gets_a_short_name():
    name, _ = left_out([LINEAR_SQUARED, NETWORK], range(len(ORDER)), True, True, False)
    assert name.startswith("many_") and len(name) < 30
    assert name != left_out([LINEAR_SQUARED, NETWORK], range(len(ORDER) - 1), True, True, False)[0]


def test_the_constant_rate_is_what_the_schedules_give_a_run_without_one():
    method = fastopt.methods.get_method("adam")
    encoded = schedules.kernel_schedule(None, method, 0.01)
    hp = np.array([0.01, 0.9, 0.999, 1e-8, 0.0, 0.0])
    for epoch, t in [(0, 0), (3, 50), (999, 10**6)]:
        assert schedules.learning_rate_at(encoded, 0.01, epoch, t, hp) == 0.01
        assert schedules.constant_rate(encoded, 0.01, epoch, t, hp) == 0.01


@pytest.mark.jit
def test_fits_and_sweeps_use_the_variants_of_their_calls(monkeypatch):
    from fastopt.api.minimize import minimize_kernel
    from fastopt.engine import specialise

    monkeypatch.setattr(specialise, "_variants", {})
    monkeypatch.setattr(specialise, "_compiled", {})  # as in a new process
    x = np.linspace(-1, 1, 64)
    fastopt.fit(x, 2 * x + 1, "nadam", epochs=3, seed=0)
    fastopt.fit(x, 2 * x + 1, "nadam", epochs=3, seed=0, schedule=schedules.step(1, 0.5))
    fastopt.fit(x, 2 * x + 1, "nadam", epochs=3, seed=0, record_path="steps")
    assert compiled_variants(linear.linear_epoch).keys() == {"nadam", "nadam_scheduled", "nadam_steps"}
    table = fastopt.sweep(x, 2 * x + 1, {"method": ["nadam", "lion"], "seed": [0]}, epochs=3, progress=False)
    assert {"line_lion", "line_nadam"} <= compiled_variants(kernels.sweep_kernel).keys()  # a task per method
    alone = fastopt.fit(x, 2 * x + 1, "lion", epochs=3, seed=0)
    row = table[table["method"] == "lion"].iloc[0]
    assert np.array_equal(row["params"], alone.params)  # two variants, the same run bit for bit
    # A network, an objective and minimize call every method's step by address: one epoch (driver) for all.
    X = np.column_stack([x, x**2])
    networks = {m: fastopt.fit(X, x, m, model=fastopt.MLP((3,)), epochs=3, seed=0) for m in ("nadam", "yogi")}
    fastopt.minimize("beale", [1.0, 1.0], "nadam", steps=20)
    fastopt.minimize("beale", [1.0, 1.0], "lookahead", steps=20)
    assert compiled_variants(network.network_epoch).keys() == {"user"}
    # Without noise minimize leaves the noise's generator out (one compiled function fewer at first use).
    assert compiled_variants(minimize_kernel).keys() == {"user_no_gaussian", "user_lookahead_no_gaussian"}
    noisy = fastopt.minimize("beale", [1.0, 1.0], "nadam", steps=20, noise=0.1, seed=3)
    assert compiled_variants(minimize_kernel).keys() == {"user", "user_no_gaussian", "user_lookahead_no_gaussian"}
    assert not np.array_equal(noisy.values, fastopt.minimize("beale", [1.0, 1.0], "nadam", steps=20).values)
    grid = {"method": ["nadam", "yogi"], "model": [fastopt.MLP((3,))], "seed": [0]}
    swept = fastopt.sweep(X, x, grid, epochs=3, progress=False)
    for method, run in networks.items():  # the sweep inlines each rule: the same bits
        assert np.array_equal(swept[swept["method"] == method].iloc[0]["params"], run.params)


@pytest.mark.jit
@pytest.mark.parametrize(
    "method, options",
    [("adam", {}), ("adamw_schedule_free", {}), ("lookahead", {"base": "sgd"}), ("asgd", {"schedule": "step"}),
     ("adamw", {"model": "mlp", "decay_biases": False})],
)  # fmt: skip
def test_a_variant_computes_the_bits_of_the_whole_driver(monkeypatch, method, options):
    """Each variant is the whole driver's code with pieces left out: the same run, bit for bit."""
    from fastopt.engine import specialise

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=200)
    kwargs = dict(epochs=12, batch_size=16, seed=4, stopping_threshold=0)
    if options.get("model") == "mlp":
        kwargs.update(model=fastopt.MLP((5,)), decay_biases=options["decay_biases"], weight_decay=0.1)
    if "schedule" in options:
        kwargs.update(schedule=schedules.step(3, 0.5))
    if "base" in options:
        kwargs.update(base=options["base"])
    runs = []
    for limit in (len(ORDER) ** 2, 0):  # a variant, then the whole driver (compiled or loaded once per install)
        monkeypatch.setattr(specialise, "MAX_COMPILED_VARIANTS", limit)
        monkeypatch.setattr(specialise, "_variants", {})
        monkeypatch.setattr(specialise, "_compiled", {})
        runs.append(fastopt.fit(X, y, method, **kwargs))
    assert np.array_equal(runs[0].params, runs[1].params)
    assert np.array_equal(runs[0].loss_history, runs[1].loss_history)
    assert np.array_equal(runs[0]._state, runs[1]._state)


@pytest.mark.jit
def test_minimize_and_sweep_variants_compute_the_bits_of_the_whole_drivers(monkeypatch):
    from fastopt.engine import specialise

    x = np.linspace(-2, 2, 120)
    y = np.sin(x)
    grid = {"method": ["rmsprop", "yogi"], "learning_rate": [0.01, 0.03], "seed": [5]}
    results = []
    for limit in (len(ORDER) ** 2, 0):
        monkeypatch.setattr(specialise, "MAX_COMPILED_VARIANTS", limit)
        monkeypatch.setattr(specialise, "_variants", {})
        monkeypatch.setattr(specialise, "_compiled", {})
        table = fastopt.sweep(x, y, grid, epochs=8, batch_size=8, stopping_threshold=0, progress=False)
        path = fastopt.minimize("beale", [1.0, 1.0], "nadam", steps=200, learning_rate=0.01).path
        results.append((np.stack(table["params"].to_list()), path))
    assert np.array_equal(results[0][0], results[1][0]) and np.array_equal(results[0][1], results[1][1])


@pytest.mark.jit
@pytest.mark.parametrize(
    "loss, hidden, activation",
    [("squared_error", (50,), "relu"), ("huber", (8, 4), "tanh"), ("log_loss", (6,), "relu"),
     ("cross_entropy", (5,), "tanh")],
)  # fmt: skip
def test_passes_compiled_for_an_architecture_compute_the_bits_of_the_general_ones(
    monkeypatch, loss, hidden, activation
):
    """The network's batch gradient and epoch loss with its sizes as constants: the same sums in the same order."""
    from fastopt.engine import specialise
    from fastopt.engine.network import work_size

    monkeypatch.setattr(specialise, "_compiled", {})  # as in a new process, which compiles six before the whole
    from fastopt.engine.variants import network_for_call
    from fastopt.models import architecture
    from fastopt.models.losses import get_loss

    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 4))
    y = {"squared_error": X[:, 0], "huber": 3 * X[:, 1], "log_loss": (X[:, 0] > 0) * 1.0}.get(loss)
    y = np.ascontiguousarray(np.digitize(X[:, 0], [-0.5, 0.5]) * 1.0 if y is None else y)
    X.flags.writeable = y.flags.writeable = False
    arch = architecture(fastopt.MLP(hidden, activation=activation), 4, 3 if loss == "cross_entropy" else 1)
    spec = np.array([NETWORK, get_loss(loss).code, arch.activation_code, 0, 0, *arch.sizes], dtype=np.int64)
    gradient, epoch_loss = network_for_call(spec)
    assert gradient.py_func.__qualname__ == f"network_gradient.{loss}_{activation}_4_{'_'.join(map(str, hidden))}_" + (
        "3" if loss == "cross_entropy" else "1"
    )
    capacity, params = 64, arch.init(rng)
    work, order, index = np.empty(work_size(spec, capacity)), np.arange(200, dtype=np.uint32), rng.permutation(200)
    index = index.astype(np.uint32)
    for start, stop in [(0, 32), (32, 64), (192, 200)]:  # full batches and a short one
        for sign in (1.0, -1.0):
            general, fixed = np.empty_like(params), np.empty_like(params)
            value = network.network_gradient(X, y, index, start, stop, spec, params, general, work, capacity, sign)
            assert gradient(X, y, index, start, stop, spec, params, fixed, work, capacity, sign) == value
            assert np.array_equal(fixed, general)
    assert epoch_loss(X, y, spec, params, work, capacity, order) == network.network_loss(
        X, y, spec, params, work, capacity, order
    )


def test_a_call_with_one_network_architecture_gets_passes_compiled_for_it():
    from fastopt.engine.variants import model_functions

    specs = [np.array([NETWORK, 0, 0, 0, 0, 3, 5, 1]), np.array([NETWORK, 0, 0, 1, 2, 3, 5, 1])]  # maximize, groups
    fixed = model_functions(specs, None)[2:]
    assert fixed == model_functions(specs[:1], None)[2:]  # one architecture: one pair, whatever the sign and groups
    assert model_functions([*specs, np.array([NETWORK, 0, 0, 0, 0, 3, 6, 1])], None)[2:] == network.FUNCTIONS
    assert model_functions([np.array([LINEAR_SQUARED, 0, 0, 0, 0, 3, 1])], None)[2:] == network.NO_FUNCTIONS
