"""Write ``tests/data/torch_golden.json``: torch.optim runs that fastopt must reproduce.

This script is the independent oracle for ``tests/test_torch_golden.py``. It
does not import fastopt. For a few dozen small fixed problems (7 to 23 rows,
1 to 5 features, 3 to 12 epochs) it trains the linear model
``f(X) = X @ w + b`` with ``torch.optim`` in float64 on the CPU and records,
after every epoch, the parameters ``[w_1 .. w_d, b]`` and the mean squared
error over all rows. The test then runs ``fastopt.fit`` and
``fastopt.reference.fit`` on the same data and compares them to these values.

The training loop, which fastopt's kernel implements with ``shuffle=False``:

* each epoch walks the rows in their given order in consecutive batches of
  ``batch_size`` rows (the last batch may be shorter);
* for each batch: ``loss = ((X_b @ w + b - y_b) ** 2).mean()``, zero the
  gradients, backpropagate, clamp every gradient element to
  ``[-clip_value, clip_value]`` if clipping is on (before the optimizer step,
  so before torch adds the weight decay), then ``optimizer.step()``;
* after the last batch of the epoch: record the parameters and the MSE over
  all rows, then, if there is a schedule, call ``scheduler.step()`` once.
  Epoch k (from 0) therefore runs at the learning rate the scheduler gives
  after k calls to ``scheduler.step()``.

``w`` (shape ``(d,)``) and ``b`` (shape ``(1,)``) are separate float64 leaf
tensors in one parameter group. Methods, under fastopt's names:

========== ==================================================================
sgd        SGD(lr, momentum=0, weight_decay)
momentum   SGD(lr, momentum, dampening=0, weight_decay); constant rate only,
           since fastopt's tutorial form ``v = mu * v + lr * g`` differs
           from torch's once the rate changes
nesterov   SGD(lr, momentum, dampening=0, nesterov=True, weight_decay)
rmsprop    RMSprop(lr, alpha=beta, eps=epsilon, weight_decay, momentum=0,
           centered=False)
adagrad    Adagrad(lr, lr_decay=0, weight_decay, initial_accumulator_value=0,
           eps=epsilon)
adam       Adam(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)
adamw      AdamW(lr, betas=(beta1, beta2), eps=epsilon, weight_decay, amsgrad)
adamax     Adamax(lr, betas=(beta1, beta2), eps=epsilon, weight_decay)
nadam      NAdam(lr, betas, eps=epsilon, weight_decay, momentum_decay,
           decoupled_weight_decay)
radam      RAdam(lr, betas, eps=epsilon, weight_decay, decoupled_weight_decay)
adadelta   Adadelta(lr, rho, eps=epsilon, weight_decay)
rprop      Rprop(lr, etas, step_sizes)
lion       lion_pytorch.Lion(lr, betas=(beta1, beta2), weight_decay), from the
           lion-pytorch package (pip install lion-pytorch --no-deps)
========== ==================================================================

Schedules: ``step`` -> ``StepLR(step_size, gamma)``, ``exponential`` ->
``ExponentialLR(gamma)``, ``cosine`` -> ``CosineAnnealingLR(T_max=t_max,
eta_min)``, ``linear`` -> ``LinearLR``, ``polynomial`` -> ``PolynomialLR``,
``cosine_warm_restarts`` -> ``CosineAnnealingWarmRestarts(T_0=t_0,
T_mult=t_mult, eta_min)``. Every optimizer runs its single-tensor (``foreach=False``) code
path, which is torch's default on the CPU.

Each case in the JSON stores the data (``x``, ``y``, ``init``), the method,
``learning_rate``, every other hyperparameter under fastopt's names
(``clip_value`` is ``null`` when clipping is off), the schedule (``null`` or
e.g. ``{"kind": "step", "step_size": 2, "gamma": 0.5}``, built in the test
as ``getattr(fastopt.schedules, kind)(**rest)``) and the results: ``path``
(epochs x (d + 1)), ``loss_history`` (epochs), plus, for diagnosis only, the
learning rate of every epoch, the MSE at ``init`` and how many gradient
elements were clamped. Floats are written by ``json`` with ``repr``, which
round-trips float64 exactly. The file records the torch and NumPy versions.

Run it by hand from the repository root and commit the JSON it writes::

    pip install torch==2.13.0
    python scripts/make_torch_golden.py            # writes tests/data/torch_golden.json
    python scripts/make_torch_golden.py --out /tmp/golden.json
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "torch_golden.json"
TORCH_VERSION_EXPECTED = "2.13.0"

# Every hyperparameter each method takes in fastopt, besides learning_rate, in fastopt's order.
METHOD_HYPERPARAMETERS = {
    "sgd": ("clip_value", "weight_decay", "momentum", "dampening"),
    "momentum": ("momentum", "clip_value", "weight_decay"),
    "nesterov": ("momentum", "clip_value", "weight_decay"),
    "rmsprop": ("beta", "epsilon", "weight_decay", "momentum", "centered"),
    "adagrad": ("epsilon", "weight_decay", "lr_decay", "initial_accumulator_value"),
    "adam": ("beta1", "beta2", "epsilon", "weight_decay", "amsgrad"),
    "adamw": ("beta1", "beta2", "epsilon", "weight_decay", "amsgrad"),
    "adamax": ("beta1", "beta2", "epsilon", "weight_decay"),
    "nadam": ("beta1", "beta2", "epsilon", "weight_decay", "momentum_decay", "decoupled_weight_decay"),
    "radam": ("beta1", "beta2", "epsilon", "weight_decay", "decoupled_weight_decay"),
    "adadelta": ("rho", "epsilon", "weight_decay"),
    "rprop": ("etas", "step_sizes", "weight_decay"),
    "lion": ("beta1", "beta2", "weight_decay"),
    "asgd": ("lambd", "alpha", "t0", "weight_decay"),
    "adabelief": ("beta1", "beta2", "epsilon", "weight_decay", "decoupled_weight_decay", "rectify",
                  "degenerated_to_sgd"),
    "sgd_schedule_free": ("momentum", "weight_decay", "warmup_steps", "r", "weight_lr_power"),
    "adamw_schedule_free": ("beta1", "beta2", "epsilon", "weight_decay", "warmup_steps", "r", "weight_lr_power"),
    "yogi": ("beta1", "beta2", "epsilon", "weight_decay", "initial_accumulator"),
}
SCHEDULE_FREE = ("sgd_schedule_free", "adamw_schedule_free")

DEFAULTS = {
    "sgd": dict(clip_value=None, weight_decay=0.0, momentum=0.0, dampening=0.0),
    "momentum": dict(momentum=0.9, clip_value=None, weight_decay=0.0),
    "nesterov": dict(momentum=0.9, clip_value=None, weight_decay=0.0),
    "rmsprop": dict(beta=0.9, epsilon=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    "adagrad": dict(epsilon=1e-10, weight_decay=0.0, lr_decay=0.0, initial_accumulator_value=0.0),
    "adam": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0, amsgrad=False),
    "adamw": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0, amsgrad=False),
    "adamax": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0),
    "nadam": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0, momentum_decay=0.004,
                  decoupled_weight_decay=False),
    "radam": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0, decoupled_weight_decay=False),
    "adadelta": dict(rho=0.9, epsilon=1e-6, weight_decay=0.0),
    "rprop": dict(etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), weight_decay=0.0),
    "lion": dict(beta1=0.9, beta2=0.99, weight_decay=0.0),
    "asgd": dict(lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0),
    "adabelief": dict(beta1=0.9, beta2=0.999, epsilon=1e-16, weight_decay=0.0, decoupled_weight_decay=True,
                      rectify=True, degenerated_to_sgd=True),
    "sgd_schedule_free": dict(momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0),
    "adamw_schedule_free": dict(beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                                weight_lr_power=2.0),
    "yogi": dict(beta1=0.9, beta2=0.999, epsilon=1e-3, weight_decay=0.0, initial_accumulator=1e-6),
}


def all_hyperparameters(name, method, given):
    """Every hyperparameter of ``method`` under fastopt's names: ``given`` over the defaults."""
    if method == "lookahead":  # Lookahead's k and alpha, and the method it wraps
        base = given["base"]
        allowed, defaults = (*METHOD_HYPERPARAMETERS[base], "k", "alpha", "base"), {**DEFAULTS[base], "k": 5, "alpha": 0.5}
    else:
        allowed, defaults = METHOD_HYPERPARAMETERS[method], DEFAULTS[method]
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValueError(f"{name}: {method} takes no {sorted(unknown)}")
    return {**defaults, **given}


def case(name, method, *, seed, n, d, batch_size, epochs, learning_rate, schedule=None, y_scale=1.0, maximize=False,
         **hyperparameters):  # fmt: skip
    """One golden case: the problem, the method and all its settings (``maximize``: torch's, fit's)."""
    hyperparameters = all_hyperparameters(name, method, hyperparameters)
    if method == "momentum" and schedule is not None:
        raise ValueError(f"{name}: fastopt's momentum equals torch's only at a constant learning rate")
    return dict(
        name=name,
        method=method,
        seed=seed,
        n=n,
        d=d,
        batch_size=batch_size,
        epochs=epochs,
        learning_rate=learning_rate,
        hyperparameters=hyperparameters,
        schedule=schedule,
        y_scale=y_scale,
        **({"maximize": True} if maximize else {}),
    )


STEP = {"kind": "step", "step_size": 2, "gamma": 0.5}
EXPONENTIAL = {"kind": "exponential", "gamma": 0.8}
COSINE = {"kind": "cosine", "t_max": 4, "eta_min": 0.0}  # 10 epochs: runs past t_max and back up
COSINE_FLOOR = {"kind": "cosine", "t_max": 5, "eta_min": 0.005}

# Names read <method>-<variant>-d<features>-n<rows>-b<batch>; "short" marks n % batch != 0.
CASES = [
    # --- sgd
    case("sgd-d1-n20-b5", "sgd", seed=0, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.05),
    case("sgd-d5-n23-b4-short", "sgd", seed=1, n=23, d=5, batch_size=4, epochs=6, learning_rate=0.05),
    case(
        "sgd-wd-d3-n17-b5-short", "sgd", seed=2, n=17, d=3, batch_size=5, epochs=8, learning_rate=0.05, weight_decay=0.1
    ),
    case(
        "sgd-clip-d2-n16-b4",
        "sgd",
        seed=3,
        n=16,
        d=2,
        batch_size=4,
        epochs=6,
        learning_rate=0.05,
        clip_value=0.5,
        y_scale=5.0,
    ),
    case(
        "sgd-step-d2-n15-b4-short", "sgd", seed=4, n=15, d=2, batch_size=4, epochs=8, learning_rate=0.05, schedule=STEP
    ),
    case(
        "sgd-exponential-d1-n12-b3",
        "sgd",
        seed=5,
        n=12,
        d=1,
        batch_size=3,
        epochs=8,
        learning_rate=0.05,
        schedule=EXPONENTIAL,
    ),
    case(
        "sgd-cosine-d3-n14-b4-short",
        "sgd",
        seed=6,
        n=14,
        d=3,
        batch_size=4,
        epochs=10,
        learning_rate=0.05,
        schedule=COSINE,
    ),
    # --- momentum (constant rate only)
    case("momentum-d1-n16-b4", "momentum", seed=7, n=16, d=1, batch_size=4, epochs=8, learning_rate=0.02),
    case("momentum-d5-n21-b4-short", "momentum", seed=8, n=21, d=5, batch_size=4, epochs=6, learning_rate=0.02),
    case(
        "momentum-wd-d2-n18-b5-short",
        "momentum",
        seed=9,
        n=18,
        d=2,
        batch_size=5,
        epochs=8,
        learning_rate=0.02,
        weight_decay=0.1,
    ),
    case(
        "momentum-clip-d3-n16-b4",
        "momentum",
        seed=10,
        n=16,
        d=3,
        batch_size=4,
        epochs=6,
        learning_rate=0.02,
        clip_value=0.5,
        y_scale=5.0,
    ),
    case(
        "momentum-batch1-d1-n7-b1",
        "momentum",
        seed=11,
        n=7,
        d=1,
        batch_size=1,
        epochs=5,
        learning_rate=0.02,
        momentum=0.5,
    ),
    # --- nesterov
    case("nesterov-d1-n20-b5", "nesterov", seed=12, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.02),
    case("nesterov-d5-n23-b5-short", "nesterov", seed=13, n=23, d=5, batch_size=5, epochs=6, learning_rate=0.02),
    case(
        "nesterov-wd-d2-n13-b4-short",
        "nesterov",
        seed=14,
        n=13,
        d=2,
        batch_size=4,
        epochs=8,
        learning_rate=0.02,
        weight_decay=0.1,
    ),
    case(
        "nesterov-clip-d2-n12-b4",
        "nesterov",
        seed=15,
        n=12,
        d=2,
        batch_size=4,
        epochs=5,
        learning_rate=0.02,
        clip_value=0.5,
        y_scale=5.0,
    ),
    case(
        "nesterov-step-d3-n15-b4-short",
        "nesterov",
        seed=16,
        n=15,
        d=3,
        batch_size=4,
        epochs=8,
        learning_rate=0.02,
        schedule=STEP,
    ),
    case(
        "nesterov-exponential-d1-n10-b3-short",
        "nesterov",
        seed=17,
        n=10,
        d=1,
        batch_size=3,
        epochs=8,
        learning_rate=0.02,
        schedule=EXPONENTIAL,
    ),
    case(
        "nesterov-cosine-d2-n16-b4",
        "nesterov",
        seed=18,
        n=16,
        d=2,
        batch_size=4,
        epochs=12,
        learning_rate=0.02,
        schedule=COSINE_FLOOR,
    ),
    # --- rmsprop
    case("rmsprop-d1-n20-b5", "rmsprop", seed=19, n=20, d=1, batch_size=5, epochs=6, learning_rate=0.01),
    case("rmsprop-d5-n22-b4-short", "rmsprop", seed=20, n=22, d=5, batch_size=4, epochs=6, learning_rate=0.01),
    case(
        "rmsprop-wd-d3-n17-b4-short",
        "rmsprop",
        seed=21,
        n=17,
        d=3,
        batch_size=4,
        epochs=6,
        learning_rate=0.01,
        weight_decay=0.1,
    ),
    case(
        "rmsprop-exponential-d2-n14-b4-short",
        "rmsprop",
        seed=22,
        n=14,
        d=2,
        batch_size=4,
        epochs=8,
        learning_rate=0.01,
        schedule=EXPONENTIAL,
    ),
    # --- adagrad
    case("adagrad-d1-n16-b4", "adagrad", seed=23, n=16, d=1, batch_size=4, epochs=8, learning_rate=0.1),
    case("adagrad-d5-n23-b6-short", "adagrad", seed=24, n=23, d=5, batch_size=6, epochs=6, learning_rate=0.1),
    case(
        "adagrad-wd-d2-n15-b4-short",
        "adagrad",
        seed=25,
        n=15,
        d=2,
        batch_size=4,
        epochs=8,
        learning_rate=0.1,
        weight_decay=0.1,
    ),
    case(
        "adagrad-step-d3-n12-b5-short",
        "adagrad",
        seed=26,
        n=12,
        d=3,
        batch_size=5,
        epochs=8,
        learning_rate=0.1,
        schedule=STEP,
    ),
    case("sgd-maximize-momentum-clip-d2-n16-b4", "sgd", seed=199, n=16, d=2, batch_size=4, epochs=5,
         learning_rate=0.01, maximize=True, momentum=0.9, clip_value=1.0),  # fmt: skip
    case("adam-maximize-wd-d3-n15-b4-short", "adam", seed=200, n=15, d=3, batch_size=4, epochs=6,
         learning_rate=0.01, maximize=True, weight_decay=0.1),  # fmt: skip
    case("rmsprop-maximize-centered-d2-n12-b3", "rmsprop", seed=201, n=12, d=2, batch_size=3, epochs=5,
         learning_rate=0.01, maximize=True, centered=True),  # fmt: skip
    case("adagrad-maximize-step-d2-n14-b4-short", "adagrad", seed=202, n=14, d=2, batch_size=4, epochs=6,
         learning_rate=0.05, maximize=True, schedule=STEP),  # fmt: skip
    case("nadam-maximize-d1-n16-b4", "nadam", seed=203, n=16, d=1, batch_size=4, epochs=5, learning_rate=0.01,
         maximize=True),  # fmt: skip
    case("adagrad-lrdecay-d2-n17-b4-short", "adagrad", seed=196, n=17, d=2, batch_size=4, epochs=8, learning_rate=0.2,
         lr_decay=0.05),  # fmt: skip
    case("adagrad-init-d3-n16-b4", "adagrad", seed=197, n=16, d=3, batch_size=4, epochs=8, learning_rate=0.1,
         initial_accumulator_value=0.5),  # fmt: skip
    case("adagrad-both-wd-cosine-d2-n14-b5-short", "adagrad", seed=198, n=14, d=2, batch_size=5, epochs=10,
         learning_rate=0.2, lr_decay=0.02, initial_accumulator_value=0.1, weight_decay=0.05,
         schedule=COSINE),  # fmt: skip
    # --- adam
    case("adam-d1-n20-b5", "adam", seed=27, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.05),
    case("adam-d5-n23-b4-short", "adam", seed=28, n=23, d=5, batch_size=4, epochs=6, learning_rate=0.05),
    case(
        "adam-wd-d3-n17-b5-short",
        "adam",
        seed=29,
        n=17,
        d=3,
        batch_size=5,
        epochs=8,
        learning_rate=0.05,
        weight_decay=0.1,
    ),
    case(
        "adam-amsgrad-d2-n16-b4", "adam", seed=30, n=16, d=2, batch_size=4, epochs=10, learning_rate=0.05, amsgrad=True
    ),
    case(
        "adam-step-d2-n13-b4-short",
        "adam",
        seed=31,
        n=13,
        d=2,
        batch_size=4,
        epochs=8,
        learning_rate=0.05,
        schedule=STEP,
    ),
    case(
        "adam-exponential-d1-n9-b9-fullbatch",
        "adam",
        seed=32,
        n=9,
        d=1,
        batch_size=9,
        epochs=12,
        learning_rate=0.05,
        schedule=EXPONENTIAL,
    ),
    case(
        "adam-cosine-d4-n18-b4-short",
        "adam",
        seed=33,
        n=18,
        d=4,
        batch_size=4,
        epochs=10,
        learning_rate=0.05,
        schedule=COSINE,
    ),
    # --- adamw
    case("adamw-d1-n20-b5", "adamw", seed=34, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.05),
    case(
        "adamw-d5-n23-b4-short",
        "adamw",
        seed=35,
        n=23,
        d=5,
        batch_size=4,
        epochs=6,
        learning_rate=0.05,
        weight_decay=0.01,
    ),
    case(
        "adamw-wd-d3-n17-b5-short",
        "adamw",
        seed=36,
        n=17,
        d=3,
        batch_size=5,
        epochs=8,
        learning_rate=0.05,
        weight_decay=0.2,
    ),
    case(
        "adamw-amsgrad-d2-n16-b4",
        "adamw",
        seed=37,
        n=16,
        d=2,
        batch_size=4,
        epochs=10,
        learning_rate=0.05,
        weight_decay=0.05,
        amsgrad=True,
    ),
    case(
        "adamw-step-d2-n11-b4-short",
        "adamw",
        seed=38,
        n=11,
        d=2,
        batch_size=4,
        epochs=8,
        learning_rate=0.05,
        weight_decay=0.05,
        schedule=STEP,
    ),
    case(
        "adamw-exponential-d1-n7-b8-fullbatch",
        "adamw",
        seed=39,
        n=7,
        d=1,
        batch_size=8,
        epochs=12,
        learning_rate=0.05,
        weight_decay=0.05,
        schedule=EXPONENTIAL,
    ),
    case(
        "adamw-cosine-d5-n19-b5-short",
        "adamw",
        seed=40,
        n=19,
        d=5,
        batch_size=5,
        epochs=10,
        learning_rate=0.05,
        weight_decay=0.05,
        schedule=COSINE_FLOOR,
    ),
    # --- adamax, nadam, radam, adadelta: torch.optim's newer element-wise rules
    case("adamax-d1-n20-b5", "adamax", seed=41, n=20, d=1, batch_size=5, epochs=10, learning_rate=0.05),
    case("adamax-wd-d5-n23-b4-short", "adamax", seed=42, n=23, d=5, batch_size=4, epochs=8, learning_rate=0.05,
         weight_decay=0.05),
    case("adamax-cosine-d2-n16-b4", "adamax", seed=43, n=16, d=2, batch_size=4, epochs=10, learning_rate=0.05,
         schedule=COSINE),
    case("nadam-d1-n20-b5", "nadam", seed=44, n=20, d=1, batch_size=5, epochs=10, learning_rate=0.05),
    case("nadam-wd-d5-n23-b4-short", "nadam", seed=45, n=23, d=5, batch_size=4, epochs=8, learning_rate=0.05,
         weight_decay=0.05, momentum_decay=0.01),
    case("nadam-decoupled-d3-n17-b5-short", "nadam", seed=46, n=17, d=3, batch_size=5, epochs=10,
         learning_rate=0.05, weight_decay=0.1, decoupled_weight_decay=True, schedule=STEP),
    case("radam-d1-n20-b2", "radam", seed=47, n=20, d=1, batch_size=2, epochs=6, learning_rate=0.05),
    case("radam-wd-d5-n23-b4-short", "radam", seed=48, n=23, d=5, batch_size=4, epochs=8, learning_rate=0.05,
         weight_decay=0.05, schedule=EXPONENTIAL),
    case("radam-decoupled-d3-n17-b3-short", "radam", seed=49, n=17, d=3, batch_size=3, epochs=8,
         learning_rate=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    case("adadelta-d1-n20-b5", "adadelta", seed=50, n=20, d=1, batch_size=5, epochs=30, learning_rate=1.0,
         epsilon=1e-4),
    case("adadelta-wd-d5-n23-b4-short", "adadelta", seed=51, n=23, d=5, batch_size=4, epochs=30,
         learning_rate=1.0, epsilon=1e-4, weight_decay=0.05, rho=0.8),
    case("adadelta-step-d2-n16-b4", "adadelta", seed=52, n=16, d=2, batch_size=4, epochs=30, learning_rate=2.0,
         epsilon=1e-4, schedule={"kind": "step", "step_size": 10, "gamma": 0.5}),
    # --- the newer schedules: a linear warmup, polynomial decay, cosine with warm restarts
    case("sgd-linear-warmup-d2-n16-b4", "sgd", seed=58, n=16, d=2, batch_size=4, epochs=8, learning_rate=0.1,
         schedule={"kind": "linear", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 4}),
    case("adam-polynomial-d3-n17-b5-short", "adam", seed=59, n=17, d=3, batch_size=5, epochs=10, learning_rate=0.1,
         schedule={"kind": "polynomial", "total_iters": 7, "power": 2.0}),
    case("nesterov-warm-restarts-d1-n12-b3", "nesterov", seed=60, n=12, d=1, batch_size=3, epochs=12,
         learning_rate=0.05, schedule={"kind": "cosine_warm_restarts", "t_0": 2, "t_mult": 2, "eta_min": 0.001}),
    case("adamw-warm-restarts-d5-n23-b4-short", "adamw", seed=61, n=23, d=5, batch_size=4, epochs=9,
         learning_rate=0.05, weight_decay=0.05,
         schedule={"kind": "cosine_warm_restarts", "t_0": 3, "t_mult": 1, "eta_min": 0.0}),
    # --- rprop (torch.optim) and lion (the lion-pytorch package)
    case("rprop-d1-n20-b5", "rprop", seed=53, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.01),
    case("rprop-d5-n23-b4-short", "rprop", seed=54, n=23, d=5, batch_size=4, epochs=8, learning_rate=0.02,
         etas=(0.4, 1.3), step_sizes=(1e-6, 0.2)),
    case("lion-d1-n20-b5", "lion", seed=55, n=20, d=1, batch_size=5, epochs=10, learning_rate=0.01),
    case("lion-wd-d5-n23-b4-short", "lion", seed=56, n=23, d=5, batch_size=4, epochs=10, learning_rate=0.01,
         weight_decay=0.5),
    case("lion-cosine-d2-n16-b4", "lion", seed=57, n=16, d=2, batch_size=4, epochs=10, learning_rate=0.02,
         beta1=0.8, beta2=0.95, schedule=COSINE),
    # --- sgd with PyTorch's momentum and dampening; rmsprop with momentum and centering
    case("sgd-momentum-dampening-d3-n17-b5-short", "sgd", seed=62, n=17, d=3, batch_size=5, epochs=8,
         learning_rate=0.05, momentum=0.9, dampening=0.3, weight_decay=0.05),
    case("sgd-momentum-cosine-d1-n16-b4", "sgd", seed=63, n=16, d=1, batch_size=4, epochs=10, learning_rate=0.05,
         momentum=0.8, schedule=COSINE),
    case("rmsprop-momentum-d2-n16-b4", "rmsprop", seed=64, n=16, d=2, batch_size=4, epochs=8, learning_rate=0.01,
         momentum=0.9),
    case("rmsprop-centered-d5-n23-b4-short", "rmsprop", seed=65, n=23, d=5, batch_size=4, epochs=8,
         learning_rate=0.01, centered=True, weight_decay=0.05),
    case("rmsprop-centered-momentum-step-d1-n20-b5", "rmsprop", seed=66, n=20, d=1, batch_size=5, epochs=8,
         learning_rate=0.01, centered=True, momentum=0.5, beta=0.95, schedule=STEP),
    # --- asgd (averaging from step t0), adabelief (the adabelief-pytorch package)
    case("asgd-d1-n20-b5", "asgd", seed=67, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.05),
    case("asgd-t0-d3-n17-b5-short", "asgd", seed=68, n=17, d=3, batch_size=5, epochs=8, learning_rate=0.05,
         lambd=0.01, alpha=0.6, t0=5.0, weight_decay=0.05),
    case("asgd-exponential-d2-n16-b4", "asgd", seed=69, n=16, d=2, batch_size=4, epochs=8, learning_rate=0.05,
         lambd=0.05, t0=3.0, schedule=EXPONENTIAL),
    case("adabelief-d1-n20-b5", "adabelief", seed=70, n=20, d=1, batch_size=5, epochs=10, learning_rate=0.05),
    case("adabelief-plain-l2-d5-n23-b4-short", "adabelief", seed=71, n=23, d=5, batch_size=4, epochs=8,
         learning_rate=0.05, rectify=False, decoupled_weight_decay=False, weight_decay=0.05, epsilon=1e-8),
    case("adabelief-no-sgd-cosine-d2-n16-b4", "adabelief", seed=72, n=16, d=2, batch_size=4, epochs=10,
         learning_rate=0.05, degenerated_to_sgd=False, weight_decay=0.1, schedule=COSINE),
    # --- schedule-free SGD and AdamW (the schedulefree package), measured at x after every epoch
    case("sgd_schedule_free-d1-n20-b5", "sgd_schedule_free", seed=73, n=20, d=1, batch_size=5, epochs=8,
         learning_rate=0.1),
    case("sgd_schedule_free-warmup-d5-n23-b4-short", "sgd_schedule_free", seed=74, n=23, d=5, batch_size=4,
         epochs=8, learning_rate=0.1, warmup_steps=10, weight_decay=0.05, r=0.5),
    case("sgd_schedule_free-power0-d2-n16-b4", "sgd_schedule_free", seed=75, n=16, d=2, batch_size=4, epochs=8,
         learning_rate=0.1, weight_lr_power=0.0, momentum=0.8),
    case("adamw_schedule_free-d1-n20-b5", "adamw_schedule_free", seed=76, n=20, d=1, batch_size=5, epochs=10,
         learning_rate=0.05),
    case("adamw_schedule_free-warmup-d5-n23-b4-short", "adamw_schedule_free", seed=77, n=23, d=5, batch_size=4,
         epochs=8, learning_rate=0.05, warmup_steps=8, weight_decay=0.05, r=1.0),
    case("adamw_schedule_free-cosine-d2-n16-b4", "adamw_schedule_free", seed=78, n=16, d=2, batch_size=4,
         epochs=10, learning_rate=0.05, schedule=COSINE),
    # --- yogi (pytorch-optimizer's Yogi)
    case("yogi-d1-n20-b5", "yogi", seed=193, n=20, d=1, batch_size=5, epochs=10, learning_rate=0.05),
    case("yogi-wd-d5-n23-b4-short", "yogi", seed=194, n=23, d=5, batch_size=4, epochs=8, learning_rate=0.05,
         weight_decay=0.05, initial_accumulator=0.01),
    case("yogi-cosine-d2-n16-b4", "yogi", seed=195, n=16, d=2, batch_size=4, epochs=10, learning_rate=0.05,
         schedule=COSINE),
    # --- lookahead (pytorch-optimizer's Lookahead) over three rules
    case("lookahead-adam-d1-n20-b5", "lookahead", seed=79, n=20, d=1, batch_size=5, epochs=8, learning_rate=0.05,
         base="adam"),
    case("lookahead-sgd-momentum-d3-n17-b5-short", "lookahead", seed=80, n=17, d=3, batch_size=5, epochs=8,
         learning_rate=0.05, base="sgd", momentum=0.9, k=3, alpha=0.6),
    case("lookahead-radam-step-d5-n23-b4-short", "lookahead", seed=81, n=23, d=5, batch_size=4, epochs=8,
         learning_rate=0.05, base="radam", k=6, alpha=0.8, schedule=STEP),
    # --- schedules stepped per update, one_cycle (with momentum cycling), sequential, reduce_on_plateau
    case("nesterov-cosine-per-step-d2-n16-b4", "nesterov", seed=82, n=16, d=2, batch_size=4, epochs=8,
         learning_rate=0.05, schedule={"kind": "cosine", "t_max": 20, "eta_min": 0.0, "per": "step"}),
    case("adam-linear-warmup-per-step-d5-n23-b4-short", "adam", seed=83, n=23, d=5, batch_size=4, epochs=6,
         learning_rate=0.05,
         schedule={"kind": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 12, "per": "step"}),
    case("sgd-momentum-one-cycle-d2-n16-b4", "sgd", seed=84, n=16, d=2, batch_size=4, epochs=10,
         learning_rate=0.05, momentum=0.9, schedule={"kind": "one_cycle", "total_steps": 40, "max_lr": 0.1}),
    case("adam-one-cycle-linear-three-phase-d3-n17-b5-short", "adam", seed=85, n=17, d=3, batch_size=5,
         epochs=10, learning_rate=0.05,
         schedule={"kind": "one_cycle", "total_steps": 41, "max_lr": 0.1, "anneal_strategy": "linear",
                   "three_phase": True}),
    case("rmsprop-one-cycle-per-epoch-d1-n12-b3", "rmsprop", seed=86, n=12, d=1, batch_size=3, epochs=10,
         learning_rate=0.05, schedule={"kind": "one_cycle", "total_steps": 10, "pct_start": 0.4, "per": "epoch"}),
    case("adamw-one-cycle-no-momentum-d2-n14-b4-short", "adamw", seed=87, n=14, d=2, batch_size=4, epochs=8,
         learning_rate=0.05, weight_decay=0.05,
         schedule={"kind": "one_cycle", "total_steps": 32, "cycle_momentum": False, "div_factor": 10.0,
                   "final_div_factor": 100.0}),
    case("adamw-warmup-then-cosine-per-step-d3-n17-b5-short", "adamw", seed=88, n=17, d=3, batch_size=5,
         epochs=8, learning_rate=0.05, weight_decay=0.05,
         schedule={"kind": "sequential", "milestones": [8], "schedules": [
             {"kind": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 8, "per": "step"},
             {"kind": "cosine", "t_max": 24, "eta_min": 0.001, "per": "step"}]}),
    case("sgd-step-then-exponential-d1-n20-b5", "sgd", seed=89, n=20, d=1, batch_size=5, epochs=10,
         learning_rate=0.05,
         schedule={"kind": "sequential", "milestones": [4], "schedules": [
             {"kind": "step", "step_size": 2, "gamma": 0.5}, {"kind": "exponential", "gamma": 0.8}]}),
    case("sgd-plateau-d2-n16-b4", "sgd", seed=90, n=16, d=2, batch_size=4, epochs=12, learning_rate=0.05,
         schedule={"kind": "reduce_on_plateau", "patience": 1, "threshold": 0.3}),
    case("adam-plateau-abs-cooldown-d1-n20-b5", "adam", seed=91, n=20, d=1, batch_size=5, epochs=14,
         learning_rate=0.1,
         schedule={"kind": "reduce_on_plateau", "factor": 0.5, "patience": 0, "threshold": 0.02,
                   "threshold_mode": "abs", "cooldown": 2, "min_lr": 0.02}),
    # --- long runs (300 updates, batch 1): what accumulates over hundreds of steps
    case("adabelief-long-d2-n20-b1", "adabelief", seed=92, n=20, d=2, batch_size=1, epochs=15, learning_rate=0.01),
    case("sgd_schedule_free-long-d3-n25-b1", "sgd_schedule_free", seed=93, n=25, d=3, batch_size=1, epochs=12,
         learning_rate=0.05, warmup_steps=50),
    case("lookahead-adam-long-d1-n30-b1", "lookahead", seed=94, n=30, d=1, batch_size=1, epochs=10,
         learning_rate=0.02, base="adam", k=7),
    case("adam-one-cycle-long-d2-n30-b1", "adam", seed=95, n=30, d=2, batch_size=1, epochs=10, learning_rate=0.02,
         schedule={"kind": "one_cycle", "total_steps": 300}),
    case("rmsprop-centered-momentum-long-d5-n25-b1", "rmsprop", seed=96, n=25, d=5, batch_size=1, epochs=12,
         learning_rate=0.002, centered=True, momentum=0.5),
    case("asgd-averaging-long-d2-n30-b1", "asgd", seed=97, n=30, d=2, batch_size=1, epochs=10, learning_rate=0.02,
         t0=50.0, lambd=1e-3),
    case("adamw_schedule_free-long-d2-n30-b1", "adamw_schedule_free", seed=98, n=30, d=2, batch_size=1, epochs=10,
         learning_rate=0.01, warmup_steps=30, weight_decay=0.01),
]  # fmt: skip


def make_problem(seed: int, n: int, d: int, y_scale: float):
    """Standard-normal features, a random line plus 0.1 noise, a random O(1) start."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    b_true = rng.normal()
    y = y_scale * (x @ w_true + b_true + 0.1 * rng.normal(size=n))
    init = 0.5 * rng.normal(size=d + 1)
    return x, y, init


def make_optimizer(method: str, params, learning_rate: float, hp: dict, maximize: bool = False):
    if method == "rprop":
        return torch.optim.Rprop(params, lr=learning_rate, etas=tuple(hp["etas"]), step_sizes=tuple(hp["step_sizes"]),
                                 foreach=False)  # fmt: skip
    if method == "lion":
        from lion_pytorch import Lion  # pip install lion-pytorch --no-deps, beside torch

        return Lion(params, lr=learning_rate, betas=(hp["beta1"], hp["beta2"]), weight_decay=hp["weight_decay"])
    if method == "lookahead":
        from pytorch_optimizer import Lookahead  # pip install pytorch-optimizer --no-deps, beside torch

        base = make_optimizer(hp["base"], params, learning_rate, hp)
        return Lookahead(base, k=hp["k"], alpha=hp["alpha"])
    if method == "yogi":
        from pytorch_optimizer import Yogi  # pip install pytorch-optimizer --no-deps, beside torch

        return Yogi(params, lr=learning_rate, betas=(hp["beta1"], hp["beta2"]), eps=hp["epsilon"],
                    weight_decay=hp["weight_decay"], weight_decouple=True,
                    initial_accumulator=hp["initial_accumulator"])  # fmt: skip
    if method == "adabelief":
        from adabelief_pytorch import AdaBelief  # pip install adabelief-pytorch --no-deps (+ tabulate, colorama)

        return AdaBelief(params, lr=learning_rate, betas=(hp["beta1"], hp["beta2"]), eps=hp["epsilon"],
                         weight_decay=hp["weight_decay"], weight_decouple=hp["decoupled_weight_decay"],
                         rectify=hp["rectify"], degenerated_to_sgd=hp["degenerated_to_sgd"], amsgrad=False,
                         fixed_decay=False, print_change_log=False)  # fmt: skip
    if method in SCHEDULE_FREE:
        import schedulefree  # pip install schedulefree --no-deps

        shared = dict(lr=learning_rate, weight_decay=hp["weight_decay"], warmup_steps=hp["warmup_steps"], r=hp["r"],
                      weight_lr_power=hp["weight_lr_power"], foreach=False)  # fmt: skip
        if method == "sgd_schedule_free":
            return schedulefree.SGDScheduleFree(params, momentum=hp["momentum"], **shared)
        return schedulefree.AdamWScheduleFree(params, betas=(hp["beta1"], hp["beta2"]), eps=hp["epsilon"], **shared)
    common = dict(lr=learning_rate, weight_decay=hp["weight_decay"], foreach=False, maximize=maximize)
    if method == "asgd":
        return torch.optim.ASGD(params, lambd=hp["lambd"], alpha=hp["alpha"], t0=hp["t0"], **common)
    if method == "sgd":
        return torch.optim.SGD(params, momentum=hp["momentum"], dampening=hp["dampening"], **common)
    if method == "momentum":
        return torch.optim.SGD(params, momentum=hp["momentum"], dampening=0.0, **common)
    if method == "nesterov":
        return torch.optim.SGD(params, momentum=hp["momentum"], dampening=0.0, nesterov=True, **common)
    if method == "rmsprop":
        return torch.optim.RMSprop(params, alpha=hp["beta"], eps=hp["epsilon"], momentum=hp["momentum"],
                                   centered=hp["centered"], **common)  # fmt: skip
    if method == "adagrad":
        return torch.optim.Adagrad(params, lr_decay=hp["lr_decay"], initial_accumulator_value=hp["initial_accumulator_value"],
                                   eps=hp["epsilon"], **common)  # fmt: skip
    if method in ("adam", "adamw"):
        cls = torch.optim.Adam if method == "adam" else torch.optim.AdamW
        return cls(params, betas=(hp["beta1"], hp["beta2"]), eps=hp["epsilon"], amsgrad=hp["amsgrad"], **common)
    betas = (hp.get("beta1"), hp.get("beta2"))
    if method == "adamax":
        return torch.optim.Adamax(params, betas=betas, eps=hp["epsilon"], **common)
    if method == "nadam":
        return torch.optim.NAdam(params, betas=betas, eps=hp["epsilon"], momentum_decay=hp["momentum_decay"],
                                 decoupled_weight_decay=hp["decoupled_weight_decay"], **common)  # fmt: skip
    if method == "radam":
        return torch.optim.RAdam(params, betas=betas, eps=hp["epsilon"],
                                 decoupled_weight_decay=hp["decoupled_weight_decay"], **common)  # fmt: skip
    if method == "adadelta":
        return torch.optim.Adadelta(params, rho=hp["rho"], eps=hp["epsilon"], **common)
    raise ValueError(method)


def make_scheduler(optimizer, schedule: dict | None, learning_rate: float):
    if schedule is None:
        return None
    args = {k: v for k, v in schedule.items() if k not in ("kind", "per")}
    lr_scheduler = torch.optim.lr_scheduler
    if schedule["kind"] == "one_cycle":
        max_lr = args.pop("max_lr", None)
        return lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate if max_lr is None else max_lr, **args)
    if schedule["kind"] == "sequential":
        parts = [make_scheduler(optimizer, part, learning_rate) for part in args["schedules"]]
        return lr_scheduler.SequentialLR(optimizer, parts, milestones=args["milestones"])
    if schedule["kind"] == "reduce_on_plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", **args)
    if schedule["kind"] == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=args["step_size"], gamma=args["gamma"])
    if schedule["kind"] == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args["gamma"])
    if schedule["kind"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args["t_max"], eta_min=args["eta_min"])
    if schedule["kind"] == "linear":
        return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=args["start_factor"],
                                                 end_factor=args["end_factor"], total_iters=args["total_iters"])  # fmt: skip
    if schedule["kind"] == "polynomial":
        return torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=args["total_iters"], power=args["power"])
    if schedule["kind"] == "cosine_warm_restarts":
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=args["t_0"], T_mult=args["t_mult"],
                                                                    eta_min=args["eta_min"])  # fmt: skip
    raise ValueError(schedule["kind"])


def stepping(schedule: dict | None) -> tuple[bool, bool]:
    """``(per_step, plateau)``: whether the scheduler steps after every update, and whether it takes the loss."""
    schedule = schedule or {}
    if schedule.get("kind") == "sequential":
        schedule = schedule["schedules"][0]
    per_step = schedule.get("per", "step" if schedule.get("kind") == "one_cycle" else "epoch") == "step"
    return per_step, schedule.get("kind") == "reduce_on_plateau"


def full_mse(x, y, w, b) -> float:
    with torch.no_grad():
        return float(((x @ w + b - y) ** 2).mean())


def run_torch(spec: dict, x_np, y_np, init_np, *, amsgrad_override=None) -> dict:
    """Train with torch.optim as described in the module docstring; return the per-epoch record."""
    hp = dict(spec["hyperparameters"])
    if amsgrad_override is not None:
        hp["amsgrad"] = amsgrad_override
    x = torch.tensor(x_np, dtype=torch.float64)
    y = torch.tensor(y_np, dtype=torch.float64)
    d = spec["d"]
    w = torch.tensor(init_np[:d], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(init_np[d:], dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer(spec["method"], [w, b], spec["learning_rate"], hp, spec.get("maximize", False))
    scheduler = make_scheduler(optimizer, spec["schedule"], spec["learning_rate"])
    per_step, plateau = stepping(spec["schedule"])
    schedule_free = spec["method"] in SCHEDULE_FREE
    clip = hp.get("clip_value")
    n, bs = spec["n"], spec["batch_size"]

    initial_loss = full_mse(x, y, w, b)
    path, losses, rates = [], [], []
    n_clipped = 0
    for _ in range(spec["epochs"]):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        if schedule_free:
            optimizer.train()  # back from the average x to y, where gradients are taken
        for start in range(0, n, bs):
            xb, yb = x[start : start + bs], y[start : start + bs]
            loss = ((xb @ w + b - yb) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                for p in (w, b):
                    n_clipped += int((p.grad.abs() > clip).sum())
                    p.grad.clamp_(-clip, clip)
            optimizer.step()
            if scheduler is not None and per_step:
                scheduler.step()
        if schedule_free:
            optimizer.eval()  # to x, the point the package evaluates and returns
        path.append(torch.cat([w.detach(), b.detach()]).tolist())
        losses.append(full_mse(x, y, w, b))
        if plateau:
            scheduler.step(losses[-1])
        elif scheduler is not None and not per_step:
            scheduler.step()
    return dict(path=path, loss_history=losses, learning_rates=rates, initial_loss=initial_loss, n_clipped=n_clipped)


def check(spec: dict, init, record: dict, x, y) -> None:
    """Guard the golden data against cases that test nothing or are numerically fragile."""
    name = spec["name"]
    path = np.array(record["path"])
    if not (np.all(np.isfinite(path)) and np.all(np.isfinite(record["loss_history"]))):
        raise AssertionError(f"{name}: non-finite values")
    moved = np.max(np.abs(path[-1] - init))
    if moved < 0.05:
        raise AssertionError(f"{name}: parameters barely move ({moved:.3g})")
    if spec.get("maximize"):
        if not record["loss_history"][-1] > record["initial_loss"]:
            raise AssertionError(f"{name}: maximize=True, but the loss does not increase")
    elif not record["loss_history"][-1] < record["initial_loss"]:
        raise AssertionError(f"{name}: loss does not decrease")
    if spec["hyperparameters"].get("clip_value") is not None and record["n_clipped"] == 0:
        raise AssertionError(f"{name}: clipping never happens")
    if spec["hyperparameters"].get("amsgrad"):
        plain = run_torch(spec, x, y, init, amsgrad_override=False)
        if np.allclose(plain["path"], path, rtol=1e-6, atol=0):
            raise AssertionError(f"{name}: amsgrad makes no difference")
    if spec["schedule"] is not None and len(set(record["learning_rates"])) < 2:
        raise AssertionError(f"{name}: the schedule never changes the learning rate")


def build() -> dict:
    torch.set_num_threads(1)
    # Optimizer scalars (step counters, NAdam's running product of momentum
    # coefficients) take torch's default dtype: float64, as fastopt keeps them.
    # Under the float32 default NAdam's product is rounded to float32 every
    # step and its parameters part from the float64 math by about 1e-8.
    torch.set_default_dtype(torch.float64)
    names = [c["name"] for c in CASES]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate case names")
    cases = []
    for spec in CASES:
        x, y, init = make_problem(spec["seed"], spec["n"], spec["d"], spec["y_scale"])
        record = run_torch(spec, x, y, init)
        check(spec, init, record, x, y)
        entry = {k: spec[k] for k in ("name", "method", "seed", "n", "d", "batch_size", "epochs", "learning_rate")}
        entry.update({"maximize": True} if spec.get("maximize") else {})
        entry.update(
            hyperparameters=spec["hyperparameters"],
            schedule=spec["schedule"],
            x=x.tolist(),
            y=y.tolist(),
            init=init.tolist(),
            path=record["path"],
            loss_history=record["loss_history"],
            learning_rates=record["learning_rates"],
            initial_loss=record["initial_loss"],
            n_clipped=record["n_clipped"],
        )
        cases.append(entry)
    return {
        "description": (
            "torch.optim runs (float64, CPU, no shuffling) of the linear model X @ w + b with MSE loss; "
            "path[k] = [w_1..w_d, b] and loss_history[k] = MSE over all rows after epoch k. "
            "Written by scripts/make_torch_golden.py; read by tests/test_torch_golden.py."
        ),
        "generator": "scripts/make_torch_golden.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "cases": cases,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output JSON (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if torch.__version__.split("+")[0] != TORCH_VERSION_EXPECTED:
        print(f"warning: torch {torch.__version__}, the golden file was made with {TORCH_VERSION_EXPECTED}")
    data = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(data['cases'])} cases, {len(text) + 1:,} bytes, to {args.out}")


if __name__ == "__main__":
    main()
