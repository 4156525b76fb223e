"""fastopt.torch: a torch module in (architecture and weights), the trained weights back out.

Skipped where torch is not installed (it is no dependency of fastopt).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastopt
import fastopt.torch

torch = pytest.importorskip("torch")
nn = torch.nn


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 10))
    return X, np.tanh(X[:, 0] - X[:, 1]) + 0.1 * rng.normal(size=64)


def _net(activation=nn.ReLU, dtype=torch.float32):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 50), activation(), nn.Linear(50, 1)).to(dtype)


def _torch_steps(net, optimizer, steps, Xt, yt):
    """``steps`` full-batch torch steps of ``optimizer`` on the MSE of ``net``."""
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(Xt)[:, 0], yt).backward()
        optimizer.step()


def test_a_module_is_the_architecture_and_the_start(data):
    X, y = data
    net = _net(nn.Tanh)
    start = nn.utils.parameters_to_vector(net.parameters()).detach().double().numpy()
    result = fastopt.fit(X, y, "adam", model=net, epochs=3, seed=1)
    same = fastopt.fit(X, y, "adam", model=fastopt.MLP((50,), "tanh"), init=start, epochs=3, seed=1)
    assert fastopt.MLP.from_torch(net) == fastopt.MLP((50,), activation="tanh")
    np.testing.assert_array_equal(result.init, start)
    np.testing.assert_array_equal(result.params, same.params)
    # init=module with the model given as an MLP, and an explicit init winning over the module's weights
    np.testing.assert_array_equal(
        fastopt.fit(X, y, "adam", model=fastopt.MLP((50,), "tanh"), init=net, epochs=0).init, start
    )
    zeros = np.zeros_like(start)
    np.testing.assert_array_equal(fastopt.fit(X, y, "adam", model=net, init=zeros, epochs=0).init, zeros)


def test_the_trained_weights_go_back_without_warnings_in_the_modules_dtype(data):
    X, y = data
    net = _net()
    result = fastopt.fit(X, y, "adam", model=net, epochs=5, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's "The given NumPy array is not writable"
        assert result.load_into(net) is net
        fresh = result.to_torch(dtype=torch.float64)
    assert next(net.parameters()).dtype == torch.float32
    np.testing.assert_allclose(nn.utils.parameters_to_vector(net.parameters()).detach().numpy(), result.params,
                               rtol=1e-6, atol=1e-7)  # fmt: skip  # float32's rounding
    with torch.no_grad():
        np.testing.assert_allclose(fresh(torch.from_numpy(X))[:, 0].numpy(), result.predict(X), rtol=1e-12, atol=1e-12)
    linear = fastopt.fit(X, y, "sgd", model=nn.Linear(10, 1), epochs=3, seed=0)
    assert type(linear.to_torch()).__name__ == "Linear"
    np.testing.assert_allclose(linear.to_torch(torch.float64).weight.detach().numpy()[0], linear.coef, rtol=1e-15)


def test_fastopt_adam_on_the_module_matches_torch_adam(data):
    """Full batch (the row order cannot matter): 20 Adam steps on the module, fastopt against torch.optim."""
    X, y = data
    net = _net(dtype=torch.float64)
    result = fastopt.fit(X, y, "adam", model=net, learning_rate=0.01, epochs=20, batch_size=len(y),
                         stopping_threshold=0)  # fmt: skip
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(20):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(Xt)[:, 0], yt).backward()
        optimizer.step()
    trained = nn.utils.parameters_to_vector(net.parameters()).detach().numpy()
    np.testing.assert_allclose(result.params, trained, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "module, message",
    [
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 1)), "layer 1 is Sigmoid"),
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Dropout(), nn.Linear(5, 1)), "layer 2 is Dropout"),
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.Linear(5, 1)), "follows a Linear"),
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.ReLU()), "last layer must be Linear"),
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 1)), "mixes"),
        (lambda: nn.Sequential(nn.Linear(10, 5, bias=False), nn.ReLU(), nn.Linear(5, 1)), "no bias"),
        (lambda: nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(4, 1)), "follows Linear"),
        (lambda: nn.Conv1d(1, 1, 3), "got Conv1d"),
    ],
)
def test_other_modules_are_refused_naming_the_layer(data, module, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        fastopt.fit(X, y, "adam", model=module(), epochs=1)


def test_a_module_of_other_layers_cannot_take_the_weights(data):
    X, y = data
    result = fastopt.fit(X, y, "adam", model=_net(), epochs=1)
    with pytest.raises(ValueError, match="layer sizes"):
        result.load_into(nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1)))
    with pytest.raises(ValueError, match="is model='linear'"):
        fastopt.MLP.from_torch(nn.Linear(10, 1))
    with pytest.raises(ValueError, match=r"layer sizes are \(3, 5, 1\), but 10 feature"):
        fastopt.fit(X, y, "adam", model=nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1)), epochs=1)


@pytest.mark.parametrize("kind", ["adam", "adamw", "rmsprop", "sgd", "adagrad"])
def test_torch_and_fastopt_take_turns_on_one_run(data, kind):
    """5 torch steps, 5 fastopt epochs resumed from torch's state, 5 torch steps again: the all-torch run to 1e-9.

    Full batches, so the row order cannot matter.
    """
    X, y = data
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    options = {"adam": {}, "adamw": {"weight_decay": 0.1}, "rmsprop": {"momentum": 0.5, "centered": True},
               "sgd": {"momentum": 0.9}, "adagrad": {}}[kind]  # fmt: skip
    hyper = {"rmsprop": dict(beta=0.99), "sgd": dict(clip_value=None)}.get(kind, {})
    classes = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop,
               "sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad}  # fmt: skip

    reference = _net(dtype=torch.float64)
    _torch_steps(reference, classes[kind](reference.parameters(), lr=0.01, **options), 15, Xt, yt)
    net = _net(dtype=torch.float64)
    optimizer = classes[kind](net.parameters(), lr=0.01, **options)
    _torch_steps(net, optimizer, 5, Xt, yt)
    fast_options = {k: v for k, v in options.items() if k != "weight_decay"}
    if kind == "adamw":
        hyper["weight_decay"] = 0.1
    result = fastopt.fit(X, y, kind, model=net, optimizer_state=optimizer, learning_rate=0.01, epochs=5,
                         batch_size=len(y), stopping_threshold=0, **fast_options, **hyper)  # fmt: skip
    assert result.n_steps == (6 if kind == "sgd" else 10)  # torch's SGD counts no steps: its buffer counts one
    result.load_into(net)
    optimizer.load_state_dict(result.optimizer_state_dict(optimizer))
    _torch_steps(net, optimizer, 5, Xt, yt)
    np.testing.assert_allclose(nn.utils.parameters_to_vector(net.parameters()).detach().numpy(),
                               nn.utils.parameters_to_vector(reference.parameters()).detach().numpy(),
                               rtol=1e-9, atol=1e-12)  # fmt: skip


def test_a_torch_optimizer_of_another_method_is_refused(data):
    X, y = data
    net = _net(dtype=torch.float64)
    with pytest.raises(ValueError, match="method 'adam' is torch.optim.Adam, but the optimizer is SGD"):
        fastopt.fit(X, y, "adam", model=net, optimizer_state=torch.optim.SGD(net.parameters(), lr=0.1), epochs=1)
    with pytest.raises(ValueError, match="not 'nadam'"):
        fastopt.fit(X, y, "nadam", model=net, optimizer_state=torch.optim.NAdam(net.parameters()), epochs=1)


def test_a_state_goes_back_only_to_an_optimizer_of_the_same_parameters(data):
    X, y = data
    result = fastopt.fit(X, y, "adam", model=_net(dtype=torch.float64), epochs=1)
    other = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1))
    with pytest.raises(ValueError, match="the optimizer's parameters have 241 entries, the fit's state 601"):
        result.optimizer_state_dict(torch.optim.Adam(other.parameters()))


PORTED = [
    (torch.optim.SGD, dict(lr=0.05, momentum=0.9), "sgd"),
    (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), "nesterov"),
    (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True), "adam"),
    (torch.optim.AdamW, dict(lr=0.01), "adamw"),
    (torch.optim.RMSprop, dict(lr=0.01, centered=True), "rmsprop"),
    (torch.optim.Adagrad, dict(lr=0.1), "adagrad"),
    (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3, weight_decay=0.01), "adagrad"),
    (torch.optim.NAdam, dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1), "nadam"),
    (torch.optim.Rprop, dict(lr=0.01, etas=(0.4, 1.3)), "rprop"),
    (torch.optim.ASGD, dict(lr=0.01, t0=5), "asgd"),
    (torch.optim.Adam, dict(lr=0.01, maximize=True, weight_decay=0.1), "adam"),
    (torch.optim.SGD, dict(lr=0.01, momentum=0.5, maximize=True), "sgd"),
]


@pytest.mark.parametrize(("kind", "options", "method"), PORTED, ids=[f"{p[2]}-{i}" for i, p in enumerate(PORTED)])
def test_a_ported_optimizer_runs_torchs_run(data, kind, options, method):
    """method_of(optimizer), torch's defaults included, then fit: the torch run to 1e-9 (full batches).

    torch keeps an optimizer's scalars (NAdam's product of momenta, a step count) in its default dtype:
    float64 here, as in the golden runs (in float32 NAdam's product alone differs by 1e-8).
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _compare_ported(data, kind, options, method)
    finally:
        torch.set_default_dtype(previous)


def _compare_ported(data, kind, options, method):
    X, y = data
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    net = _net(dtype=torch.float64)
    start = nn.utils.parameters_to_vector(net.parameters()).detach().numpy().copy()
    optimizer = kind(net.parameters(), **options)
    name, hyperparameters = fastopt.torch.method_of(optimizer)
    assert name == method
    _torch_steps(net, optimizer, 15, Xt, yt)
    result = fastopt.fit(X, y, name, model=_net(dtype=torch.float64), init=start, epochs=15, batch_size=len(y),
                         stopping_threshold=0, **hyperparameters)  # fmt: skip
    np.testing.assert_allclose(result.params, nn.utils.parameters_to_vector(net.parameters()).detach().numpy(),
                               rtol=1e-9, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: torch.optim.Adam(p, decoupled_weight_decay=True),
         r"Adam\(decoupled_weight_decay=True\): no fastopt method"),
        (lambda p: torch.optim.LBFGS(p), r"torch.optim.LBFGS has no fastopt equal; fastopt ports ASGD"),
        (lambda p: torch.optim.Adafactor(p), r"torch.optim.Adafactor has no fastopt equal"),  # its lr is None
        (lambda p: torch.optim.SGD([{"params": p[:2]}, {"params": p[2:], "weight_decay": 0.1}], lr=0.1),
         r"parameter groups have different settings"),
    ],
)
def test_a_torch_setting_fastopt_lacks_is_refused_naming_it(make, message):
    with pytest.raises(ValueError, match=message):
        fastopt.torch.method_of(make(list(_net().parameters())))
    with pytest.raises(TypeError, match=r"optimizer must be a torch.optim optimizer, got str"):
        fastopt.torch.method_of("adam")


def _porting_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "make_porting_docs.py"
    spec = importlib.util.spec_from_file_location("make_porting_docs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_porting_facts_are_torchs():
    import json

    script = _porting_script()
    committed = json.loads(script.FACTS.read_text())
    assert committed == json.loads(json.dumps(script.torch_facts())), "rerun python scripts/make_porting_docs.py"


def test_the_porting_pages_example_runs():
    import re

    script = _porting_script()
    example, groups = re.findall(r"```py\n(.+?)```", script.PAGE.read_text(), flags=re.DOTALL)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(example, "docs/porting.md", "exec"), namespace)
    assert namespace["method"] == "adam" and namespace["optimizer"].state  # torch holds Adam's moments again
    exec(compile(groups, "docs/porting.md", "exec"), namespace)  # on the example's network
    assert namespace["method"] == "adamw" and namespace["hyperparameters"]["decay_biases"] is False


def test_an_optimizer_over_named_parameters_ports_as_well():
    optimizer = torch.optim.Adam(_net().named_parameters(), lr=0.01)  # its group holds the names too
    assert fastopt.torch.method_of(optimizer) == fastopt.torch.method_of(torch.optim.Adam(_net().parameters(), lr=0.01))


def _no_bias_decay(net, kind, **options):
    """torch's recipe: every layer's weight in one group, the biases in another without weight decay."""
    weights = [p for name, p in net.named_parameters() if not name.endswith("bias")]
    biases = [p for name, p in net.named_parameters() if name.endswith("bias")]
    return kind([{"params": weights}, {"params": biases, "weight_decay": 0.0}], **options)


@pytest.mark.parametrize(("kind", "options"), [(torch.optim.AdamW, dict(lr=0.01, weight_decay=0.5)),
                                               (torch.optim.SGD, dict(lr=0.01, momentum=0.9, weight_decay=0.5))])
def test_two_groups_without_decay_on_the_biases_port_and_take_turns(data, kind, options):
    """method_of reads the two groups as decay_biases=False; 5 torch steps, 5 fastopt epochs from torch's state,
    5 torch steps again: the all-torch run to 1e-9 (full batches); and not the one-group run."""
    X, y = data
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    reference = _net(dtype=torch.float64)
    _torch_steps(reference, _no_bias_decay(reference, kind, **options), 15, Xt, yt)
    net = _net(dtype=torch.float64)
    optimizer = _no_bias_decay(net, kind, **options)
    name, hyperparameters = fastopt.torch.method_of(optimizer)
    assert hyperparameters["decay_biases"] is False
    _torch_steps(net, optimizer, 5, Xt, yt)
    hyperparameters.pop("learning_rate")
    result = fastopt.fit(X, y, name, model=net, optimizer_state=optimizer, learning_rate=0.01, epochs=5,
                         batch_size=len(y), stopping_threshold=0, **hyperparameters)  # fmt: skip
    result.load_into(net)
    optimizer.load_state_dict(result.optimizer_state_dict(optimizer))
    _torch_steps(net, optimizer, 5, Xt, yt)
    expected = nn.utils.parameters_to_vector(reference.parameters()).detach().numpy()
    np.testing.assert_allclose(nn.utils.parameters_to_vector(net.parameters()).detach().numpy(), expected,
                               rtol=1e-9, atol=1e-12)  # fmt: skip
    one_group = fastopt.fit(X, y, name, model=_net(dtype=torch.float64), learning_rate=0.01, epochs=15,
                            batch_size=len(y), stopping_threshold=0, **{**hyperparameters, "decay_biases": True})
    assert np.max(np.abs(one_group.params - expected)) > 1e-4


def test_two_groups_of_other_parameters_are_refused():
    net = _net(dtype=torch.float64)
    first, second = list(net.parameters())[:2], list(net.parameters())[2:]  # by layer, not weights and biases
    optimizer = torch.optim.AdamW([{"params": first}, {"params": second, "weight_decay": 0.0}], weight_decay=0.1)
    with pytest.raises(ValueError, match=r"different settings.*decay_biases=False"):
        fastopt.torch.method_of(optimizer)
    with pytest.raises(ValueError, match=r"parameter groups are not \[weights, biases\]"):
        fastopt.torch.state_from_torch(optimizer, "adamw")
