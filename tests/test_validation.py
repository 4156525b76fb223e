"""Bad input gets a ValueError or TypeError that names the argument."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import fastopt
from fastopt.methods import REGISTRY

X = np.linspace(-1, 1, 20)
Y = 2 * X + 1
X2 = np.column_stack([X, X**2])

# (description, x, y, kwargs, exception, message pattern)
BAD_INPUTS = [
    (
        "unknown method",
        X,
        Y,
        dict(method="lbfgs"),
        ValueError,
        r"unknown method 'lbfgs'; valid methods are: sgd, momentum",
    ),
    ("method not a string", X, Y, dict(method=3), TypeError, r"method must be a string"),
    (
        "foreign hyperparameter",
        X,
        Y,
        dict(method="sgd", beta1=0.9),
        ValueError,
        r"'sgd' does not take 'beta1'; its hyperparameters are: learning_rate, clip_value, weight_decay",
    ),
    (
        "foreign hyperparameter is also a TypeError",
        X,
        Y,
        dict(method="sgd", beta1=0.9),
        TypeError,
        r"does not take 'beta1'",
    ),
    ("amsgrad for sgd", X, Y, dict(method="sgd", amsgrad=True), ValueError, r"'sgd' does not take 'amsgrad'"),
    (
        "amsgrad for rmsprop",
        X,
        Y,
        dict(method="rmsprop", amsgrad=True),
        ValueError,
        r"'rmsprop' does not take 'amsgrad'",
    ),
    ("amsgrad not a bool", X, Y, dict(method="adam", amsgrad=1), TypeError, r"amsgrad must be True or False"),
    (
        "negative weight decay",
        X,
        Y,
        dict(method="adam", weight_decay=-0.1),
        ValueError,
        r"weight_decay must be >= 0, got -0.1",
    ),
    (
        "negative weight decay adamw",
        X,
        Y,
        dict(method="adamw", weight_decay=-1e-3),
        ValueError,
        r"weight_decay must be >= 0",
    ),
    (
        "weight decay for nothing",
        X,
        Y,
        dict(method="adagrad", weight_decay="0.1"),
        TypeError,
        r"weight_decay must be a real number",
    ),
    (
        "schedule not a Schedule",
        X,
        Y,
        dict(schedule="cosine"),
        TypeError,
        r"schedule must be None or made by fastopt.schedules",
    ),
    (
        "typo in hyperparameter",
        X,
        Y,
        dict(method="adam", beta_1=0.9),
        TypeError,
        r"does not take 'beta_1'.*beta1, beta2, epsilon",
    ),
    ("shape mismatch", X, Y[:-1], {}, ValueError, r"x has 20 row\(s\) but y has 19"),
    ("empty x", np.array([]), np.array([]), {}, ValueError, r"x is empty"),
    ("empty features", np.empty((5, 0)), np.zeros(5), {}, ValueError, r"x is empty"),
    ("3-D x", np.zeros((4, 2, 2)), np.zeros(4), {}, ValueError, r"x must be 1-D or 2-D"),
    ("2-D y", X, Y.reshape(-1, 1), {}, ValueError, r"y must be 1-D, got an array of shape \(20, 1\)"),
    ("NaN in x", np.array([1.0, np.nan, 2.0]), np.ones(3), {}, ValueError, r"x contains 1 NaN or infinite"),
    ("inf in y", np.ones(3), np.array([1.0, np.inf, 2.0]), {}, ValueError, r"y contains 1 NaN or infinite"),
    ("+inf and -inf in x", np.array([np.inf, -np.inf, 2.0]), np.ones(3), {}, ValueError, r"x contains 2 NaN"),
    ("strings", ["a", "b"], [1.0, 2.0], {}, TypeError, r"x must be numeric, got dtype <U1"),
    ("a string", "abc", [1.0], {}, TypeError, r"x must be a numeric array, got a str"),
    (
        "object array",
        np.array([1, None], dtype=object),
        [1.0, 2.0],
        {},
        TypeError,
        r"x must be numeric, got dtype object",
    ),
    ("booleans", np.array([True, False]), [1.0, 2.0], {}, TypeError, r"x must be numeric, got booleans"),
    (
        "a text column",
        pd.DataFrame({"carat": [0.3, 0.4], "cut": ["Ideal", "Good"]}),
        [1.0, 2.0],
        {},
        TypeError,
        r"column 'cut' of x is not numeric \(dtype .*\); drop it or encode it as numbers",
    ),
    (
        "labels 1 and 2",
        X,
        np.repeat([1.0, 2.0], 10),
        dict(loss="cross_entropy"),
        ValueError,
        r"infers K = max\(y\) \+ 1 = 3, but label \[0\] has no sample \(y has \[1, 2\]\); encode them as 0..K-1",
    ),
    (
        "labels 0 and 2",
        X,
        np.repeat([0.0, 2.0], 10),
        dict(loss="cross_entropy"),
        ValueError,
        r"label \[1\] has no sample",
    ),
    (
        "log loss, labels 1 and 2",
        X,
        np.repeat([1.0, 2.0], 10),
        dict(loss="log_loss"),
        ValueError,
        r"loss='log_loss' needs labels 0 and 1, got labels \[1, 2\]; encode them as 0..K-1 .*FastoptClassifier",
    ),
    ("complex", np.array([1j, 2j]), [1.0, 2.0], {}, TypeError, r"x must be real"),
    ("ragged", [[1.0], [1.0, 2.0]], [1.0, 2.0], {}, ValueError, r"x could not be read as an array"),
    ("batch_size 0", X, Y, dict(batch_size=0), ValueError, r"batch_size must be >= 1, got 0"),
    ("batch_size float", X, Y, dict(batch_size=32.0), TypeError, r"batch_size must be an integer"),
    ("negative epochs", X, Y, dict(epochs=-1), ValueError, r"epochs must be >= 0, got -1"),
    ("float epochs", X, Y, dict(epochs=10.5), TypeError, r"epochs must be an integer, got float"),
    ("bool epochs", X, Y, dict(epochs=True), TypeError, r"epochs must be an integer, got bool"),
    ("zero learning rate", X, Y, dict(learning_rate=0.0), ValueError, r"learning_rate must be > 0, got 0.0"),
    ("negative learning rate", X, Y, dict(learning_rate=-0.1), ValueError, r"learning_rate must be > 0"),
    ("NaN learning rate", X, Y, dict(learning_rate=float("nan")), ValueError, r"learning_rate must be a finite number"),
    (
        "string learning rate",
        X,
        Y,
        dict(learning_rate="0.1"),
        TypeError,
        r"learning_rate must be a real number, got str",
    ),
    ("momentum 1", X, Y, dict(method="momentum", momentum=1.0), ValueError, r"momentum must be in \[0, 1\), got 1.0"),
    ("negative momentum", X, Y, dict(method="momentum", momentum=-0.1), ValueError, r"momentum must be in \[0, 1\)"),
    ("beta 1.5", X, Y, dict(method="rmsprop", beta=1.5), ValueError, r"beta must be in \[0, 1\)"),
    ("beta1 1", X, Y, dict(method="adam", beta1=1.0), ValueError, r"beta1 must be in \[0, 1\)"),
    ("beta2 -0.5", X, Y, dict(method="adam", beta2=-0.5), ValueError, r"beta2 must be in \[0, 1\)"),
    ("negative epsilon", X, Y, dict(method="adam", epsilon=-1e-8), ValueError, r"epsilon must be >= 0"),
    ("zero clip", X, Y, dict(method="sgd", clip_value=0.0), ValueError, r"clip_value must be > 0"),
    ("negative clip", X, Y, dict(method="momentum", clip_value=-1.0), ValueError, r"clip_value must be > 0"),
    ("negative threshold", X, Y, dict(stopping_threshold=-1e-6), ValueError, r"stopping_threshold must be >= 0"),
    ("init too short", X, Y, dict(init=[0.0]), ValueError, r"init must have shape \(2,\)"),
    (
        "init for the wrong d",
        X2,
        Y,
        dict(init=np.zeros(2)),
        ValueError,
        r"init must have shape \(3,\) = d \+ 1 for d = 2",
    ),
    ("init with NaN", X, Y, dict(init=[np.nan, 0.0]), ValueError, r"init contains 1 NaN"),
    ("negative seed", X, Y, dict(seed=-1), ValueError, r"seed must be >= 0"),
    ("float seed", X, Y, dict(seed=1.5), TypeError, r"seed must be an integer"),
    ("shuffle not bool", X, Y, dict(shuffle="yes"), TypeError, r"shuffle must be True or False"),
    *(
        (f"huge int {name}", X, Y, {name: 10**400, **extra}, ValueError, rf"{name} must be a finite number, got an "
         "integer too large for float64")
        for name, extra in [("learning_rate", {}), ("weight_decay", {}), ("clip_value", dict(method="sgd")),
                            ("stopping_threshold", {})]
    ),  # fmt: skip
    ("huge int epochs", X, Y, dict(epochs=10**400), ValueError, r"epochs must be <= "),
    (
        "masked x",
        np.ma.masked_array([1.0, 2.0, 1e6], mask=[False, False, True]),
        [1.0, 2.0, 3.0],
        {},
        TypeError,
        r"x is a masked array and fastopt does not honour masks: drop the masked rows first",
    ),
    (
        "masked y",
        [1.0, 2.0, 3.0],
        np.ma.masked_invalid([1.0, 2.0, np.nan]),
        {},
        TypeError,
        r"y is a masked array",
    ),
]


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: fastopt.schedules.step(3, gamma=10**400), "gamma"),
        (lambda: fastopt.schedules.exponential(10**400), "gamma"),
        (lambda: fastopt.schedules.cosine(3, eta_min=10**400), "eta_min"),
    ],
)
def test_huge_ints_in_schedules_name_the_argument(make, name):
    with pytest.raises(ValueError, match=rf"{name} must be a finite number, got an integer too large for float64"):
        make()


def test_huge_int_in_a_sweep_keeps_the_configuration_prefix():
    with pytest.raises(ValueError, match=r"configuration 0 .*weight_decay must be a finite number, got an integer"):
        fastopt.sweep(X, Y, {"method": ["adamw"], "weight_decay": [10**400]}, progress=False)


@pytest.mark.parametrize("fit", [fastopt.fit, fastopt.reference.fit], ids=["kernel", "reference"])
@pytest.mark.parametrize(
    "x, y, kwargs, exception, pattern", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_is_rejected_clearly(fit, x, y, kwargs, exception, pattern):
    with pytest.raises(exception, match=pattern):
        fit(x, y, **kwargs)


def test_inputs_are_never_modified():
    x = np.linspace(-1, 1, 50).reshape(-1, 1)
    y = 3 * x[:, 0] - 1
    init = np.array([0.5, -0.5])
    copies = x.copy(), y.copy(), init.copy()
    for fit in (fastopt.fit, fastopt.reference.fit):
        fit(x, y, "adam", init=init, epochs=5, seed=0)
        np.testing.assert_array_equal(x, copies[0])
        np.testing.assert_array_equal(y, copies[1])
        np.testing.assert_array_equal(init, copies[2])


def test_finite_data_whose_sum_overflows_is_accepted():
    """The finiteness check sums the data first; a sum beyond float64's range is no error."""
    from fastopt.api.checks import check_array

    x = np.array([[1e308, 1e308], [-1.0, 2.0]])
    with np.errstate(over="ignore"):
        assert not np.isfinite(x.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does the sum's overflow reach the caller as a RuntimeWarning
        np.testing.assert_array_equal(check_array("x", x, (2,)), x)
        with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite"):
            check_array("x", np.array([[1e308, 1e308], [np.nan, 2.0]]), (2,))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8, np.uint16])
def test_numeric_dtypes_are_converted_to_float64(dtype):
    x = np.arange(-5, 6).astype(dtype)
    y = (2 * np.arange(-5, 6) + 1).astype(dtype)
    result = fastopt.fit(x, y, "adam", learning_rate=0.1, epochs=200, batch_size=11, stopping_threshold=0, seed=0)
    same = fastopt.fit(
        x.astype(np.float64),
        y.astype(np.float64),
        "adam",
        learning_rate=0.1,
        epochs=200,
        batch_size=11,
        stopping_threshold=0,
        seed=0,
    )
    np.testing.assert_array_equal(result.params, same.params)


def test_lists_and_pandas_are_accepted():
    import pandas as pd

    frame = pd.DataFrame({"a": np.linspace(0, 1, 10), "b": np.linspace(1, 0, 10) ** 2})
    target = pd.Series(np.arange(10.0))
    from_frame = fastopt.fit(frame, target, epochs=3, seed=1)
    from_lists = fastopt.fit(frame.to_numpy().tolist(), list(target), epochs=3, seed=1)
    np.testing.assert_array_equal(from_frame.params, from_lists.params)


def test_none_hyperparameters_mean_defaults_and_clip_none_disables_clipping():
    r = fastopt.fit(X, Y, "adam", learning_rate=None, beta1=None, epochs=1, seed=0)
    assert dict(r.hyperparameters) == {
        "learning_rate": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "bias_correction": True,
    }
    r = fastopt.fit(X, Y, "sgd", clip_value=None, epochs=1, seed=0)
    assert dict(r.hyperparameters) == {"learning_rate": 0.01, "clip_value": None, "weight_decay": 0.0, "momentum": 0.0,
                                       "dampening": 0.0}


def _outside(interval, integer=False):
    """Values just outside ``interval``: at an open end, past a closed one (by one, for integers)."""
    values = []
    for end, closed, sign in ((interval.low, interval.low_closed, -1.0), (interval.high, interval.high_closed, 1.0)):
        if math.isfinite(end):
            past = int(end + sign) if integer else end + sign * max(abs(end), 1.0) * 1e-9
            values.append(past if closed else end)
    return values


def _error_inputs():
    """Every hyperparameter of every method, given a value outside its valid range (from the rows alone)."""
    for method in REGISTRY:
        for h in method.hyperparameters:
            if h.choices is not None:
                continue  # Lookahead's base: tests/test_wrappers.py
            if h.is_flag:
                yield pytest.param(method.name, h.name, "yes", TypeError, "True or False", id=f"{method.name}-{h.name}")
                continue
            ranges = [(h.valid, None)] if h.second is None else [(h.valid, 0), (h.second, 1)]
            for interval, slot in ranges:
                for value in _outside(interval, h.integer):
                    given = value if slot is None else tuple(value if i == slot else d for i, d in enumerate(h.default))
                    name = h.name if slot is None else f"{h.name}[{slot}]"
                    yield pytest.param(method.name, h.name, given, ValueError, re.escape(f"{name} must be {interval}"),
                                       id=f"{method.name}-{name}-{value:g}")  # fmt: skip
            if h.integer:
                yield pytest.param(method.name, h.name, 2.5, TypeError, "must be an integer", id=f"{method.name}-{h.name}")


@pytest.mark.parametrize(("method", "name", "value", "exception", "pattern"), list(_error_inputs()))
def test_every_hyperparameter_outside_its_range_is_rejected_by_name(method, name, value, exception, pattern):
    x = np.linspace(-1.0, 1.0, 8)
    with pytest.raises(exception, match=rf"^{re.escape(name) if exception is TypeError else ''}.*{pattern}"):
        fastopt.fit(x, 2 * x, method, epochs=1, **{name: value})
