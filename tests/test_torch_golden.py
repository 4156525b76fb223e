"""fastopt reproduces torch.optim and the reference packages epoch by epoch, on golden runs recorded from them.

The packages: lion-pytorch, adabelief-pytorch, schedulefree and pytorch-optimizer (Lookahead).

``tests/data/torch_golden.json`` holds small fixed problems trained with
``torch.optim`` in float64 (written by ``scripts/make_torch_golden.py``, which
documents the training loop). Every case is replayed with ``fastopt.fit`` and
``fastopt.reference.fit`` (``shuffle=False``) and the parameters and training
MSE after every epoch must agree with PyTorch's to a relative 1e-10. This
test does not need torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fastopt
from fastopt import schedules
from fastopt.methods import get_method

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

GOLDEN_FILE = Path(__file__).resolve().parent / "data" / "torch_golden.json"
GOLDEN = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
CASES = GOLDEN["cases"]

# The hyperparameters (besides learning_rate) each method takes, under fastopt's names.
def _takes(method):
    """Every hyperparameter of ``method`` but the learning rate: a golden case records them all.

    Adam's ``bias_correction`` is fastopt's teaching switch, which no reference has (its default is torch's).
    """
    return set(get_method(method).defaults) - {"learning_rate", "bias_correction"}


def takes(case):
    """The hyperparameters a golden case's method takes (Lookahead: its base's, then k, alpha, base)."""
    if case["method"] == "lookahead":
        return _takes(case["hyperparameters"]["base"]) | {"k", "alpha", "base"}
    return _takes(case["method"])

IMPLEMENTATIONS = {"fit": fastopt.fit, "reference": fastopt.reference.fit}


def build_schedule(spec):
    if spec is None:
        return None
    args = {k: v for k, v in spec.items() if k != "kind"}
    if spec["kind"] == "sequential":
        return schedules.sequential(*map(build_schedule, args["schedules"]), milestones=args["milestones"])
    return getattr(schedules, spec["kind"])(**args)


def run(fit, case):
    return fit(
        np.array(case["x"], dtype=np.float64),
        np.array(case["y"], dtype=np.float64),
        case["method"],
        learning_rate=case["learning_rate"],
        epochs=case["epochs"],
        batch_size=case["batch_size"],
        stopping_threshold=0,
        seed=0,
        init=np.array(case["init"], dtype=np.float64),
        shuffle=False,
        record_path=True,
        schedule=build_schedule(case["schedule"]),
        maximize=case.get("maximize", False),
        **case["hyperparameters"],
    )


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_torch(case, implementation):
    result = run(IMPLEMENTATIONS[implementation], case)
    epochs, p = case["epochs"], case["d"] + 1
    path = np.asarray(result.path)
    loss_history = np.asarray(result.loss_history)
    assert path.shape == (epochs, p)
    assert loss_history.shape == (epochs,)
    for k in range(epochs):
        np.testing.assert_allclose(
            path[k], case["path"][k], rtol=1e-10, atol=1e-13, err_msg=f"{case['name']}: parameters after epoch {k}"
        )
    np.testing.assert_allclose(
        loss_history, case["loss_history"], rtol=1e-10, atol=1e-13, err_msg=f"{case['name']}: loss history"
    )


def test_golden_file_covers_the_torch_semantics():
    assert GOLDEN["torch_version"] and GOLDEN["numpy_version"]
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))

    by_method = {}
    for c in CASES:
        by_method.setdefault(c["method"], []).append(c)
        n, d = c["n"], c["d"]
        assert np.shape(c["x"]) == (n, d) and np.shape(c["y"]) == (n,) and np.shape(c["init"]) == (d + 1,)
        assert np.shape(c["path"]) == (c["epochs"], d + 1) and np.shape(c["loss_history"]) == (c["epochs"],)
        assert set(c["hyperparameters"]) == takes(c), c["name"]

    assert set(by_method) == set(fastopt.METHODS)

    def hp(c, name, default=None):
        return c["hyperparameters"].get(name, default)

    for method, cases in by_method.items():
        if method == "lookahead" or get_method(method).exceptions.reference_lacks_weight_decay:
            continue  # Lookahead's weight decay is its base's
        assert any(hp(c, "weight_decay") > 0 for c in cases), f"{method}: no case with weight decay"
        assert any(hp(c, "weight_decay") == 0 for c in cases), f"{method}: no case without weight decay"

    kinds = {c["schedule"]["kind"] for c in CASES if c["schedule"] is not None}
    assert kinds == {"step", "exponential", "cosine", "linear", "polynomial", "cosine_warm_restarts", "one_cycle",
                     "sequential", "reduce_on_plateau"}  # fmt: skip
    per_step = [c for c in CASES if c["schedule"] and c["schedule"].get("per") == "step"]
    assert {c["schedule"]["kind"] for c in per_step} >= {"cosine", "linear"}
    cycles = [c["schedule"] for c in CASES if c["schedule"] and c["schedule"]["kind"] == "one_cycle"]
    assert {s.get("anneal_strategy", "cos") for s in cycles} == {"cos", "linear"}
    assert {s.get("cycle_momentum", True) for s in cycles} == {True, False} and any(s.get("three_phase") for s in cycles)
    assert {c["hyperparameters"]["base"] for c in by_method["lookahead"]} >= {"adam", "sgd", "radam"}
    for method in ("sgd", "nesterov", "adam", "adamw"):
        with_schedule = {c["schedule"]["kind"] for c in by_method[method] if c["schedule"] is not None}
        assert with_schedule >= {"step", "exponential", "cosine"}, f"{method}: schedules {sorted(with_schedule)}"
    for method in ("rmsprop", "adagrad"):
        assert any(c["schedule"] is not None for c in by_method[method]), method
    # fastopt's momentum equals torch's SGD(momentum) only at a constant learning rate.
    assert all(c["schedule"] is None for c in by_method["momentum"])
    assert any(
        c["schedule"] is not None and c["schedule"]["kind"] == "cosine" and c["epochs"] > c["schedule"]["t_max"] + 1
        for c in CASES
    ), "no cosine case that runs past t_max"

    for method in ("adam", "adamw"):
        assert any(hp(c, "amsgrad") is True for c in by_method[method]), f"{method}: no amsgrad case"
    for method in ("nadam", "radam"):
        assert any(hp(c, "decoupled_weight_decay") for c in by_method[method]), f"{method}: no decoupled case"
    assert any(hp(c, "momentum") and hp(c, "dampening") for c in by_method["sgd"])
    assert any(hp(c, "momentum") for c in by_method["rmsprop"]) and any(hp(c, "centered") for c in by_method["rmsprop"])
    for flag in ("rectify", "degenerated_to_sgd", "decoupled_weight_decay"):
        assert {hp(c, flag) for c in by_method["adabelief"]} == {True, False}, flag
    assert any(hp(c, "t0") < 10 for c in by_method["asgd"])  # averaging starts within the run
    for method in ("sgd_schedule_free", "adamw_schedule_free"):
        assert any(hp(c, "warmup_steps") > 0 for c in by_method[method]), method
    for method in ("adamax", "nadam", "radam", "adadelta"):
        assert any(c["schedule"] is not None for c in by_method[method]), f"{method}: no schedule case"
    for method in ("sgd", "momentum"):
        clipped = [c for c in by_method[method] if hp(c, "clip_value") is not None]
        assert clipped and all(c["n_clipped"] > 0 for c in clipped), f"{method}: clipping not exercised"

    assert {1, 5} <= {c["d"] for c in CASES}
    assert any(c["n"] % c["batch_size"] != 0 for c in CASES), "no case with a short last batch"
    assert len({c["seed"] for c in CASES}) >= 5
    for c in CASES:  # every case is a real test: the parameters move
        assert np.max(np.abs(np.array(c["path"][-1]) - c["init"])) > 0.05, c["name"]
