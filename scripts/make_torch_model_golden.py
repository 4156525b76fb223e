"""Write ``tests/data/torch_models_golden.json``: torch.nn + torch.optim runs of the built-in models and losses.

The companion of ``make_torch_golden.py`` (the linear squared-error model),
with the same training loop and the same optimizer and scheduler
constructors (imported from it), for the models and losses of
``fastopt.fit(model=..., loss=...)``:

* the model is ``nn.Sequential(Linear(d, h_1), act, ..., Linear(h_L, out))``
  in float64, its parameters set from the case's flat ``init`` with
  ``torch.nn.utils.vector_to_parameters`` (fastopt's layout is
  ``parameters_to_vector``'s);
* the loss is ``MSELoss``, ``HuberLoss(delta=1)``, ``BCEWithLogitsLoss`` (on
  the single output) or ``CrossEntropyLoss`` (targets as class indices), all
  with mean reduction;
* each epoch walks the rows in order in batches (the last may be short):
  zero the gradients, backpropagate, clamp the gradients when clipping is
  on, ``optimizer.step()``; after the epoch it records the loss over all
  rows and, at the epochs listed in ``path_epochs``, the parameter vector;
  then steps the scheduler once.

It does not import fastopt. The first case is the tutorial's network,
``Linear(10, 50), ReLU(), Linear(50, 1)``, trained by ``Adam(lr=0.001)``
with ``StepLR(step_size=30, gamma=0.1)`` for 32 epochs.

Run it by hand from the repository root (``pip install torch==2.13.0``) and
commit the JSON it writes::

    python scripts/make_torch_model_golden.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_golden import SCHEDULE_FREE, all_hyperparameters, make_optimizer, make_scheduler, stepping

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "torch_models_golden.json"


def case(name, method, *, seed, n, d, hidden, loss, batch_size, epochs, learning_rate, activation="relu",
         n_classes=1, schedule=None, path_every=1, decay_biases=True, **hyperparameters):  # fmt: skip
    """One golden case; ``decay_biases=False``: two param groups, the biases' with ``weight_decay=0``."""
    epochs_recorded = sorted({*range(0, epochs, path_every), epochs - 1})
    return dict(
        name=name, method=method, seed=seed, n=n, d=d, hidden=list(hidden), activation=activation, loss=loss,
        n_classes=n_classes, batch_size=batch_size, epochs=epochs, learning_rate=learning_rate,
        hyperparameters=all_hyperparameters(name, method, hyperparameters), schedule=schedule, path_epochs=epochs_recorded,
        **({} if decay_biases else {"decay_biases": False}),
    )  # fmt: skip


STEP_30 = {"kind": "step", "step_size": 30, "gamma": 0.1}
COSINE = {"kind": "cosine", "t_max": 4, "eta_min": 0.0}
EXPONENTIAL = {"kind": "exponential", "gamma": 0.8}

CASES = [
    case("tutorial-mlp-10-50-1-adam-steplr30", "adam", seed=0, n=45, d=10, hidden=(50,), loss="squared_error",
         batch_size=16, epochs=32, learning_rate=0.001, schedule=STEP_30, path_every=10),
    case("logistic-sgd", "sgd", seed=1, n=30, d=3, hidden=(), loss="log_loss", n_classes=2, batch_size=8, epochs=8,
         learning_rate=0.5),
    case("softmax3-adam", "adam", seed=2, n=33, d=4, hidden=(), loss="cross_entropy", n_classes=3, batch_size=8,
         epochs=8, learning_rate=0.05),
    case("softmax4-sgd-wd", "sgd", seed=3, n=28, d=2, hidden=(), loss="cross_entropy", n_classes=4, batch_size=6,
         epochs=8, learning_rate=0.3, weight_decay=0.05),
    case("huber-linear-momentum-clip", "momentum", seed=4, n=26, d=3, hidden=(), loss="huber", batch_size=5,
         epochs=8, learning_rate=0.05, clip_value=0.3),
    case("huber-mlp-tanh-rmsprop", "rmsprop", seed=5, n=31, d=3, hidden=(4,), activation="tanh", loss="huber",
         batch_size=8, epochs=8, learning_rate=0.01),
    case("mse-mlp-tanh-5-3-adamw", "adamw", seed=6, n=29, d=4, hidden=(5, 3), activation="tanh",
         loss="squared_error", batch_size=7, epochs=8, learning_rate=0.02, weight_decay=0.1),
    case("ce3-mlp-relu-nesterov-cosine", "nesterov", seed=7, n=36, d=3, hidden=(6,), loss="cross_entropy",
         n_classes=3, batch_size=8, epochs=10, learning_rate=0.1, weight_decay=0.01, schedule=COSINE),
    case("logloss-mlp-relu-4-3-adagrad", "adagrad", seed=8, n=30, d=3, hidden=(4, 3), loss="log_loss", n_classes=2,
         batch_size=7, epochs=8, learning_rate=0.1),
    case("mse-mlp-relu-sgd-clip", "sgd", seed=9, n=27, d=2, hidden=(5,), loss="squared_error", batch_size=6,
         epochs=8, learning_rate=0.1, clip_value=0.2),
    case("mse-mlp-relu-momentum", "momentum", seed=10, n=25, d=2, hidden=(5,), loss="squared_error", batch_size=5,
         epochs=8, learning_rate=0.02),
    case("logloss-mlp-tanh-adam-amsgrad-exp", "adam", seed=11, n=32, d=3, hidden=(6,), activation="tanh",
         loss="log_loss", n_classes=2, batch_size=8, epochs=8, learning_rate=0.05, amsgrad=True,
         schedule=EXPONENTIAL),
    case("mse-mlp-relu-3-layers-rmsprop", "rmsprop", seed=12, n=30, d=3, hidden=(6, 5, 4), loss="squared_error",
         batch_size=8, epochs=8, learning_rate=0.005, weight_decay=0.01),
    # torch.optim's newer element-wise rules on the tutorial's kind of network and a classifier
    case("mse-mlp-relu-adamax", "adamax", seed=13, n=30, d=4, hidden=(8,), loss="squared_error", batch_size=8,
         epochs=8, learning_rate=0.01),
    case("ce3-mlp-tanh-nadam-decoupled", "nadam", seed=14, n=33, d=3, hidden=(6,), activation="tanh",
         loss="cross_entropy", n_classes=3, batch_size=8, epochs=8, learning_rate=0.01, weight_decay=0.05,
         decoupled_weight_decay=True),
    case("huber-mlp-relu-radam-cosine", "radam", seed=15, n=30, d=3, hidden=(5,), loss="huber", batch_size=4,
         epochs=10, learning_rate=0.01, schedule=COSINE),
    case("logloss-mlp-relu-adadelta", "adadelta", seed=16, n=30, d=3, hidden=(5,), loss="log_loss", n_classes=2,
         batch_size=6, epochs=10, learning_rate=1.0, epsilon=1e-4, weight_decay=0.01),
    case("mse-mlp-relu-rprop", "rprop", seed=17, n=30, d=3, hidden=(6,), loss="squared_error", batch_size=30,
         epochs=12, learning_rate=0.01),
    case("ce3-mlp-tanh-lion", "lion", seed=18, n=33, d=3, hidden=(6,), activation="tanh", loss="cross_entropy",
         n_classes=3, batch_size=8, epochs=8, learning_rate=0.003, weight_decay=0.1),
    case("mse-mlp-relu-adamw-schedule-free", "adamw_schedule_free", seed=19, n=30, d=3, hidden=(6,),
         loss="squared_error", batch_size=6, epochs=10, learning_rate=0.02, warmup_steps=5, weight_decay=0.01),
    case("logloss-mlp-tanh-sgd-schedule-free", "sgd_schedule_free", seed=25, n=30, d=3, hidden=(5,),
         activation="tanh", loss="log_loss", n_classes=2, batch_size=6, epochs=8, learning_rate=0.2, momentum=0.8),
    case("mse-mlp-tanh-yogi", "yogi", seed=26, n=30, d=3, hidden=(6,), activation="tanh", loss="squared_error",
         batch_size=5, epochs=8, learning_rate=0.02),
    case("ce3-mlp-tanh-adabelief", "adabelief", seed=20, n=33, d=3, hidden=(6,), activation="tanh",
         loss="cross_entropy", n_classes=3, batch_size=8, epochs=10, learning_rate=0.01),
    case("huber-mlp-relu-lookahead-adam-one-cycle", "lookahead", seed=21, n=30, d=3, hidden=(5,), loss="huber",
         batch_size=5, epochs=8, learning_rate=0.01, base="adam", k=4,
         schedule={"kind": "one_cycle", "total_steps": 48, "max_lr": 0.02}),
    case("logloss-mlp-relu-rmsprop-centered-momentum", "rmsprop", seed=22, n=30, d=3, hidden=(5,), loss="log_loss",
         n_classes=2, batch_size=6, epochs=8, learning_rate=0.005, centered=True, momentum=0.8),
    case("mse-mlp-tanh-asgd", "asgd", seed=23, n=30, d=3, hidden=(6,), activation="tanh", loss="squared_error",
         batch_size=5, epochs=8, learning_rate=0.05, t0=10.0, lambd=0.01),
    case("mse-mlp-relu-sgd-dampening-plateau", "sgd", seed=24, n=30, d=3, hidden=(6,), loss="squared_error",
         batch_size=5, epochs=12, learning_rate=0.02, momentum=0.9, dampening=0.1,
         schedule={"kind": "reduce_on_plateau", "patience": 0, "threshold": 0.1, "factor": 0.5}),
    # Two param groups, [{"params": weights}, {"params": biases, "weight_decay": 0.0}]: fit(decay_biases=False)
    case("groups-mse-mlp-relu-adamw", "adamw", seed=27, n=30, d=3, hidden=(6,), loss="squared_error", batch_size=6,
         epochs=8, learning_rate=0.02, weight_decay=0.5, decay_biases=False),
    case("groups-ce3-mlp-tanh-5-3-adam-amsgrad", "adam", seed=28, n=33, d=3, hidden=(5, 3), activation="tanh",
         loss="cross_entropy", n_classes=3, batch_size=8, epochs=8, learning_rate=0.02, weight_decay=0.2,
         amsgrad=True, decay_biases=False),
    case("groups-mse-linear-sgd-momentum-clip", "sgd", seed=29, n=25, d=3, hidden=(), loss="squared_error",
         batch_size=5, epochs=8, learning_rate=0.05, momentum=0.9, clip_value=0.5, weight_decay=0.3,
         decay_biases=False),
    case("groups-huber-mlp-relu-rmsprop-cosine", "rmsprop", seed=30, n=30, d=3, hidden=(6,), loss="huber",
         batch_size=6, epochs=10, learning_rate=0.01, weight_decay=0.2, momentum=0.5, schedule=COSINE,
         decay_biases=False),
    case("groups-logloss-mlp-tanh-nadam-decoupled", "nadam", seed=31, n=30, d=3, hidden=(5,), activation="tanh",
         loss="log_loss", n_classes=2, batch_size=6, epochs=8, learning_rate=0.02, weight_decay=0.3,
         decoupled_weight_decay=True, decay_biases=False),
    case("groups-mse-mlp-relu-radam", "radam", seed=32, n=30, d=3, hidden=(6,), loss="squared_error", batch_size=5,
         epochs=8, learning_rate=0.02, weight_decay=0.3, decay_biases=False),
    case("groups-mse-mlp-tanh-adagrad-lr-decay", "adagrad", seed=33, n=30, d=3, hidden=(5,), activation="tanh",
         loss="squared_error", batch_size=6, epochs=8, learning_rate=0.05, weight_decay=0.3, lr_decay=0.01,
         decay_biases=False),
    case("groups-mse-mlp-tanh-momentum", "momentum", seed=44, n=30, d=3, hidden=(5,), activation="tanh",
         loss="squared_error", batch_size=5, epochs=8, learning_rate=0.02, weight_decay=0.3, clip_value=None,
         decay_biases=False),
    case("groups-mse-mlp-relu-nesterov", "nesterov", seed=34, n=30, d=3, hidden=(6,), loss="squared_error",
         batch_size=5, epochs=8, learning_rate=0.02, weight_decay=0.3, decay_biases=False),
    case("groups-ce3-mlp-relu-adamax", "adamax", seed=35, n=33, d=3, hidden=(6,), loss="cross_entropy",
         n_classes=3, batch_size=8, epochs=8, learning_rate=0.02, weight_decay=0.3, decay_biases=False),
    case("groups-mse-mlp-tanh-asgd", "asgd", seed=36, n=30, d=3, hidden=(5,), activation="tanh",
         loss="squared_error", batch_size=5, epochs=8, learning_rate=0.05, weight_decay=0.3, t0=10.0,
         decay_biases=False),
    case("groups-logloss-mlp-relu-adadelta", "adadelta", seed=37, n=30, d=3, hidden=(5,), loss="log_loss",
         n_classes=2, batch_size=6, epochs=10, learning_rate=1.0, epsilon=1e-4, weight_decay=0.3,
         decay_biases=False),
    case("groups-ce3-mlp-tanh-lion", "lion", seed=38, n=33, d=3, hidden=(6,), activation="tanh",
         loss="cross_entropy", n_classes=3, batch_size=8, epochs=8, learning_rate=0.003, weight_decay=1.0,
         decay_biases=False),
    case("groups-mse-mlp-relu-adamw-schedule-free", "adamw_schedule_free", seed=39, n=30, d=3, hidden=(6,),
         loss="squared_error", batch_size=6, epochs=10, learning_rate=0.02, warmup_steps=5, weight_decay=0.3,
         decay_biases=False),
    case("groups-mse-mlp-tanh-sgd-schedule-free", "sgd_schedule_free", seed=40, n=30, d=3, hidden=(5,),
         activation="tanh", loss="squared_error", batch_size=6, epochs=8, learning_rate=0.1, weight_decay=0.3,
         decay_biases=False),
    case("groups-ce3-mlp-tanh-adabelief", "adabelief", seed=41, n=33, d=3, hidden=(6,), activation="tanh",
         loss="cross_entropy", n_classes=3, batch_size=8, epochs=10, learning_rate=0.01, weight_decay=0.3,
         decay_biases=False),
    case("groups-mse-mlp-tanh-yogi", "yogi", seed=42, n=30, d=3, hidden=(6,), activation="tanh",
         loss="squared_error", batch_size=5, epochs=8, learning_rate=0.02, weight_decay=0.3, decay_biases=False),
    case("groups-huber-mlp-relu-lookahead-adamw", "lookahead", seed=43, n=30, d=3, hidden=(5,), loss="huber",
         batch_size=5, epochs=8, learning_rate=0.01, base="adamw", k=4, weight_decay=0.5, decay_biases=False),
]  # fmt: skip


def make_problem(spec):
    """Features N(0, 1); targets from a random nonlinear teacher; init as PyTorch's nn.Linear draws it."""
    rng = np.random.default_rng(spec["seed"])
    n, d = spec["n"], spec["d"]
    x = rng.normal(size=(n, d))
    score = np.tanh(x @ rng.normal(size=(d, max(spec["n_classes"], 1)))) + 0.3 * rng.normal(size=(n, 1))
    if spec["loss"] in ("squared_error", "huber"):
        y = 2.0 * score[:, 0]
    elif spec["loss"] == "log_loss":
        y = (score[:, 0] > 0).astype(np.float64)
    else:
        y = np.argmax(score, axis=1).astype(np.float64)
    sizes = [d, *spec["hidden"], spec["n_classes"] if spec["loss"] == "cross_entropy" else 1]
    parts = []
    for n_in, n_out in itertools.pairwise(sizes):
        bound = 1 / np.sqrt(n_in)
        parts += [rng.uniform(-bound, bound, n_out * n_in), rng.uniform(-bound, bound, n_out)]
    return x, y, np.concatenate(parts), sizes


def make_model(sizes, activation):
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def make_loss(name):
    return {
        "squared_error": torch.nn.MSELoss(),
        "huber": torch.nn.HuberLoss(delta=1.0),
        "log_loss": torch.nn.BCEWithLogitsLoss(),
        "cross_entropy": torch.nn.CrossEntropyLoss(),
    }[name]


def evaluate(model, loss_fn, name, x, y):
    out = model(x)
    if name == "cross_entropy":
        return loss_fn(out, y.long())
    return loss_fn(out[:, 0], y)


def run_torch(spec, x_np, y_np, init_np, sizes):
    model = make_model(sizes, spec["activation"])
    torch.nn.utils.vector_to_parameters(torch.tensor(init_np, dtype=torch.float64), model.parameters())
    params = list(model.parameters())
    hp = spec["hyperparameters"]
    groups = params
    if not spec.get("decay_biases", True):  # the recipe: no weight decay on biases
        weights = [p for name, p in model.named_parameters() if not name.endswith("bias")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        groups = [{"params": weights}, {"params": biases, "weight_decay": 0.0}]
    optimizer = make_optimizer(spec["method"], groups, spec["learning_rate"], hp)
    scheduler = make_scheduler(optimizer, spec["schedule"], spec["learning_rate"])
    per_step, plateau = stepping(spec["schedule"])
    schedule_free = spec["method"] in SCHEDULE_FREE
    loss_fn = make_loss(spec["loss"])
    x = torch.tensor(x_np, dtype=torch.float64)
    y = torch.tensor(y_np, dtype=torch.float64)
    clip = hp.get("clip_value")
    with torch.no_grad():
        initial_loss = float(evaluate(model, loss_fn, spec["loss"], x, y))
    losses, path = [], []
    for epoch in range(spec["epochs"]):
        if schedule_free:
            optimizer.train()
        for start in range(0, spec["n"], spec["batch_size"]):
            stop = start + spec["batch_size"]
            loss = evaluate(model, loss_fn, spec["loss"], x[start:stop], y[start:stop])
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                for p in params:
                    p.grad.clamp_(-clip, clip)
            optimizer.step()
            if scheduler is not None and per_step:
                scheduler.step()
        if schedule_free:
            optimizer.eval()
        with torch.no_grad():
            losses.append(float(evaluate(model, loss_fn, spec["loss"], x, y)))
        if epoch in spec["path_epochs"]:
            path.append(torch.nn.utils.parameters_to_vector(params).detach().tolist())
        if plateau:
            scheduler.step(losses[-1])
        elif scheduler is not None and not per_step:
            scheduler.step()
    if not (np.all(np.isfinite(losses)) and losses[-1] < initial_loss):
        raise AssertionError(f"{spec['name']}: the loss does not decrease ({initial_loss} -> {losses[-1]})")
    if np.max(np.abs(np.array(path[-1]) - init_np)) < 0.01:
        raise AssertionError(f"{spec['name']}: parameters barely move")
    return dict(loss_history=losses, path=path, initial_loss=initial_loss)


def build():
    torch.set_default_dtype(torch.float64)  # optimizer scalars in float64, as in make_torch_golden.py
    torch.set_num_threads(1)
    cases = []
    for spec in CASES:
        x, y, init, sizes = make_problem(spec)
        record = run_torch(spec, x, y, init, sizes)
        cases.append({**spec, "x": x.tolist(), "y": y.tolist(), "init": init.tolist(), **record})
    return {
        "description": "torch.nn + torch.optim runs (float64, CPU, no shuffling) of MLPs and linear models with "
        "MSE, Huber, BCEWithLogits and CrossEntropy losses; path[i] = parameters_to_vector after epoch "
        "path_epochs[i], loss_history[k] = mean loss over all rows after epoch k. Written by "
        "scripts/make_torch_model_golden.py; read by tests/test_models.py.",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "cases": cases,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data = build()
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(data['cases'])} cases, {len(text) + 1:,} bytes, to {args.out}")


if __name__ == "__main__":
    main()
