"""Models: the tutorial's network and logistic regression, per epoch, against the NumPy reference and torch.optim.

The tutorial's network ``Linear(10, 50), ReLU(), Linear(50, 1)`` on 16,000
synthetic rows of 10 features, and logistic regression on the diamonds
training split (every column; price above its median), batch 32, Adam, a
fresh permutation every epoch. Targets: at least 30x
faster per epoch than torch.optim (float64, one thread, eager) and at least
2x faster than ``fastopt.reference``. The summary table prints the ratios of
one run (``method`` column: ``mlp-adam``, ``logistic-adam``).

Run: ``python -m pytest bench/test_models.py --benchmark-enable`` (torch rows
appear when torch is installed, JAX rows when JAX and optax are; neither is a
dependency: install them in a scratch environment beside fastopt).

The JAX peer is the strongest fair one: the whole run (every epoch, every
batch, the epoch's full-data loss) is one ``jax.jit`` of ``lax.scan`` loops,
the permutations drawn on the host and passed in, float64, Adam from optax.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import FIXED_COST, record_per_epoch

import fastopt
from fastopt.datasets import DIAMONDS_FEATURES, tutorial_split

ROWS, FEATURES, BATCH = 16_000, 10, 32
MLP = fastopt.MLP(hidden=(50,))


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, FEATURES))
    y = np.tanh(X @ rng.normal(size=FEATURES)) + 0.1 * rng.normal(size=ROWS)
    return X, y


@pytest.fixture(scope="module")
def diamonds_above_median():
    """Every diamonds column (16,000 training rows); label 1 when the price is above its median."""
    split = tutorial_split(features=DIAMONDS_FEATURES)
    return split.x_train, (split.y_train > np.median(split.y_train)).astype(float)


CASES = {
    "mlp-adam": dict(model=MLP, loss="squared_error", learning_rate=0.001),
    "logistic-adam": dict(model="linear", loss="log_loss", learning_rate=0.01),
}
#: The tutorial's network on its 10 inputs (synthetic); logistic regression on the diamonds.
DATA = {"mlp-adam": "synthetic", "logistic-adam": "diamonds_above_median"}


@pytest.fixture
def data(request, case):
    return request.getfixturevalue(DATA[case])


# implementation -> (fit, epochs timed, rounds)
IMPLEMENTATIONS = {"fastopt": (fastopt.fit, 20, 5), "reference": (fastopt.reference.fit, 2, 3)}


@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_per_epoch(benchmark, data, case, implementation):
    X, y = data
    fit, epochs, rounds = IMPLEMENTATIONS[implementation]
    kwargs = dict(epochs=epochs, batch_size=BATCH, stopping_threshold=0, seed=0, **CASES[case])
    benchmark.group = f"{case}: 16,000 rows, batch 32, {implementation}, {epochs} epochs"
    fit(X, y, "adam", **{**kwargs, "epochs": 1})  # compiles (fastopt) or warms up
    benchmark.pedantic(fit, args=(X, y, "adam"), kwargs=kwargs, rounds=rounds)
    record_per_epoch(benchmark, implementation, case, epochs)


def _torch_epochs(X, y, case, epochs):
    """The same minibatch loop with torch.nn and torch.optim.Adam, float64, one thread."""
    import torch

    torch.set_num_threads(1)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    if case == "mlp-adam":
        model = torch.nn.Sequential(torch.nn.Linear(10, 50), torch.nn.ReLU(), torch.nn.Linear(50, 1)).double()
        loss_fn = torch.nn.MSELoss()
    else:
        model = torch.nn.Linear(X.shape[1], 1).double()
        loss_fn = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=CASES[case]["learning_rate"])
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(yt), generator=generator)
        for start in range(0, len(yt), BATCH):
            rows = order[start : start + BATCH]
            loss = loss_fn(model(Xt[rows])[:, 0], yt[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            loss_fn(model(Xt)[:, 0], yt)  # the epoch loss fastopt reports


@pytest.mark.parametrize("case", list(CASES))
def test_torch_per_epoch(benchmark, data, case):
    pytest.importorskip("torch")
    X, y = data
    benchmark.group = f"{case}: torch.optim, 1 epoch"
    benchmark.pedantic(_torch_epochs, args=(X, y, case, 1), rounds=3)
    record_per_epoch(benchmark, "torch", case, 1)


def _jax_run(X, y, epochs, dtype="float64"):
    """The tutorial's network with JAX and optax, the whole run in one jit, in ``dtype``; returns the timed call."""
    # one thread, as fastopt's fit and the BLAS of the other peers (set before JAX starts)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    X, y = jnp.asarray(X, dtype=dtype), jnp.asarray(y, dtype=dtype)  # float32 stays float32 under x64
    optimizer = optax.adam(CASES["mlp-adam"]["learning_rate"])

    def loss(p, rows_x, rows_y):
        hidden = jax.nn.relu(rows_x @ p["W1"].T + p["b1"])
        return jnp.mean(((hidden @ p["W2"].T + p["b2"])[:, 0] - rows_y) ** 2)

    @jax.jit
    def run(params, permutations):
        def epoch(carry, permutation):
            def step(carry, rows):
                p, s = carry
                updates, s = optimizer.update(jax.grad(loss)(p, X[rows], y[rows]), s, p)
                return (optax.apply_updates(p, updates), s), None

            carry, _ = jax.lax.scan(step, carry, permutation.reshape(-1, BATCH))
            return carry, loss(carry[0], X, y)

        _, losses = jax.lax.scan(epoch, (params, optimizer.init(params)), permutations)
        return losses

    rng = np.random.default_rng(0)
    bounds = {"W1": FEATURES, "b1": FEATURES, "W2": 50, "b2": 50}  # torch's nn.Linear init: U(+-1/sqrt(fan_in))
    shapes = {"W1": (50, FEATURES), "b1": (50,), "W2": (1, 50), "b2": (1,)}
    params = {k: jnp.asarray(rng.uniform(-1, 1, shapes[k]) / np.sqrt(bounds[k]), dtype=dtype) for k in shapes}
    permutations = jnp.asarray(np.stack([rng.permutation(ROWS) for _ in range(epochs)]).astype(np.int32))
    run(params, permutations).block_until_ready()  # compiles
    return lambda: run(params, permutations).block_until_ready()


def test_jax_per_epoch(benchmark, synthetic):
    """JAX + optax, float64, the whole run in one jit, one thread."""
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    epochs = IMPLEMENTATIONS["fastopt"][1]
    benchmark.group = f"mlp-adam: 16,000 rows, batch 32, jax, {epochs} epochs"
    benchmark.pedantic(_jax_run(*synthetic, epochs), rounds=5)
    record_per_epoch(benchmark, "jax", "mlp-adam", epochs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_against_jax_round_by_round(synthetic, dtype):
    """Not timed by pytest-benchmark: fastopt and JAX alternate, 12 rounds of 10 epochs; prints JAX's time over fastopt's.

    On a shared machine the load drifts within seconds; a ratio per round,
    both timed back to back, is what survives it (the median is printed). Both in ``dtype``.
    """
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    X, y = (np.asarray(a, dtype=dtype) for a in synthetic)  # each given its data in the dtype, as a user would
    epochs = 10
    jax_epochs = _jax_run(X, y, epochs, dtype)
    kwargs = dict(epochs=epochs, batch_size=BATCH, stopping_threshold=0, seed=0, dtype=dtype, **CASES["mlp-adam"])
    fastopt.fit(X, y, "adam", **kwargs)
    ratios = []
    for _ in range(12):
        start = time.perf_counter()
        fastopt.fit(X, y, "adam", **kwargs)
        middle = time.perf_counter()
        jax_epochs()
        ratios.append((time.perf_counter() - middle) / (middle - start))
    print(f"\n{dtype}: JAX's epoch over fastopt's, 12 rounds: median {np.median(ratios):.2f}x, "
          f"range {min(ratios):.2f}-{max(ratios):.2f}x")  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_fixed_cost_of_a_call(benchmark, data, case):
    """A fit that runs no epoch: validation, setup and the result, what every short fit pays on top of its epochs."""
    X, y = data
    benchmark.group = "fixed cost of one fit call (epochs=0), 16,000 rows"
    kwargs = dict(epochs=0, batch_size=BATCH, stopping_threshold=0, seed=0, **CASES[case])
    fastopt.fit(X, y, "adam", **kwargs)
    benchmark.pedantic(fastopt.fit, args=(X, y, "adam"), kwargs=kwargs, rounds=200, warmup_rounds=5)
    if benchmark.stats is not None:
        FIXED_COST[case] = benchmark.stats.stats.median


COLD = (
    "import time, numpy as np; t = time.perf_counter(); import fastopt; "
    "x = np.random.default_rng(0).normal(size=(100, 10)); "
    "fastopt.fit(x, x[:, 0], 'adam', model=fastopt.MLP((50,)), epochs=2, seed=0); "
    "print(time.perf_counter() - t)"
)


def test_first_use_of_the_mlp_in_a_new_process(benchmark):
    """Import and one MLP fit in a new process, the compiled code loaded from Numba's cache."""
    benchmark.group = "cold start, MLP"
    command = [sys.executable, "-c", COLD]
    subprocess.run(command, check=True)  # fills the cache if this install never compiled
    benchmark.pedantic(subprocess.run, args=(command,), kwargs={"check": True}, rounds=5)


def test_where_the_mlp_epoch_goes(synthetic):
    """Not timed by pytest-benchmark: splits one epoch into its parts and prints them."""
    from fastopt.engine.network import _forward, work_size
    from fastopt.engine.variants import network_for_call
    from fastopt.methods import adam

    X, y = (a.copy() for a in synthetic)
    X.flags.writeable = y.flags.writeable = False
    spec = np.array([1, 0, 0, 0, 0, FEATURES, 50, 1], dtype=np.int64)
    capacity = 256
    work = np.empty(work_size(spec, capacity))
    params = fastopt.fit(X[:10], y[:10], "adam", model=MLP, epochs=0, seed=0).init.copy()
    grad, state = np.zeros_like(params), np.zeros((4, len(params)))
    hp = np.array([0.001, 0.9, 0.999, 1e-8, 0.0, 0.0])
    network_gradient, network_loss = network_for_call(spec)  # the passes a fit of this network runs
    index = np.arange(ROWS, dtype=np.uint32)

    def timed(function):
        function()
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    forward = timed(lambda: [_forward(X, index, s, s + BATCH, spec, params, work, capacity)
                             for s in range(0, ROWS, BATCH)])  # fmt: skip
    both = timed(lambda: [network_gradient(X, y, index, s, s + BATCH, spec, params, grad, work, capacity, 1.0)
                          for s in range(0, ROWS, BATCH)])  # fmt: skip
    # Adam's compiled step, which a network's epoch calls by address
    update = timed(lambda: [adam.rule(params, grad, state, 0.0, hp, k + 1) for k in range(ROWS // BATCH)])
    loss = timed(lambda: network_loss(X, y, spec, params, work, capacity, index))
    print(
        f"\nper epoch (Python calls per batch included): batch gradients {both * 1e3:.2f} ms (their forward "
        f"passes, for any architecture, {forward * 1e3:.2f} ms), Adam updates {update * 1e3:.2f} ms, "
        f"epoch loss {loss * 1e3:.2f} ms"
    )
