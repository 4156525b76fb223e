"""The command line as a whole (usage, --version, spellings) and `fastopt fit`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bounds import StandardizedLeastSquares
from conftest import run_cli

import fastopt

pytestmark = pytest.mark.numerics  # compared with NumPy / BLAS results: run again in CI with other SIMD loops

RNG = np.random.default_rng(7)
SIZE = RNG.uniform(50, 250, size=120)
ROOMS = RNG.integers(1, 6, size=120).astype(float)
PRICE = 1200 * SIZE + 15_000 * ROOMS + 40_000 + RNG.normal(scale=5_000, size=120)


@pytest.fixture
def houses(tmp_path):
    path = tmp_path / "houses.csv"
    path.write_text("size,rooms,price,big\n" + "\n".join(
        f"{s},{r},{p},{int(s > 150)}" for s, r, p in zip(SIZE, ROOMS, PRICE, strict=True)) + "\n")  # fmt: skip
    return path


def test_bare_command_prints_usage(capsys):
    result = run_cli(capsys)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: fastopt") and "compare" in result.stdout and "fit" in result.stdout


def test_version(capsys):
    result = run_cli(capsys, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"fastopt {fastopt.__version__}"


def test_method_names_in_any_case():
    x = np.linspace(-1, 1, 50)
    assert fastopt.fit(x, x, "Adam", epochs=2, seed=0).method == "adam"
    assert fastopt.fit(x, x, "SGD", loss="MSE", epochs=2, seed=0).loss == "squared_error"


def test_fit_command_prints_the_model_in_the_data_units_next_to_least_squares(houses, tmp_path, capsys):
    # Full-batch gradient descent at lr = 1 / λ_max(H) on the standardized columns (the command's default):
    # a contraction by 1 - λ_min / λ_max per step, so after 3000 steps the model is least squares to the
    # rounding floor, on any CPU. (Adam at a constant rate is no such oracle: at the floor its normalised
    # steps kick the iterate away again, by up to 1e-2 in standardized units on this data.)
    X = np.column_stack([SIZE, ROOMS])
    problem = StandardizedLeastSquares.of(X, PRICE)
    out = tmp_path / "out"
    result = run_cli(capsys, "fit", "--csv", str(houses), "--x", "size", "rooms", "--y", "price", "--method", "SGD",
                     "--epochs", "3000", "--batch-size", "120", "--learning-rate", repr(1.0 / problem.lambda_max),
                     "--stopping-threshold", "0", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"sgd on {houses}: linear, squared_error")
    assert lines[1].startswith("  price = +") and "* size" in lines[1] and "* rooms" in lines[1]
    assert lines[2].split()[:3] == ["fastopt", "train", "RMSE"] and lines[3].split()[:3] == [
        "least",
        "squares",
        "train",
    ]
    report = json.loads((out / "fit.json").read_text())
    params = np.array([report["coef"]["size"], report["coef"]["rooms"], report["intercept"]])
    within = problem.prediction_bounds(X, params, problem.distance_bound(problem.standardized(params)))
    assert np.all(np.abs(X @ params[:-1] + params[-1] - problem.predictions(X)) <= within)
    assert np.max(within / np.abs(problem.predictions(X))) < 1e-10
    # The raw least squares the command prints (κ of the raw design ~1e3: its error, κ² u, is far below this).
    np.testing.assert_allclose(report["least_squares"], params, rtol=1e-6)
    assert report["train_rmse"] == pytest.approx(report["least_squares_train_rmse"], rel=1e-9)  # O(distance²)
    assert (out / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_fit_command_holds_out_a_test_set_and_fits_classifiers(houses, capsys):
    result = run_cli(capsys, "fit", "--csv", str(houses), "--x", "size", "--y", "big", "--loss", "log_loss",
                     "--test-fraction", "0.25", "--epochs", "300")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "logit P(big = 1) = " in result.stdout
    accuracy = [line for line in result.stdout.splitlines() if "train accuracy" in line][0]
    train, test = (float(part.split()[-1]) for part in accuracy.split(","))
    assert train > 0.9 and test > 0.8


def test_fit_command_warns_in_one_line_without_standardize(houses, capsys):
    result = run_cli(capsys, "fit", "--csv", str(houses), "--x", "size", "--y", "price", "--no-standardize",
                     "--epochs", "3")  # fmt: skip
    assert result.returncode == 0
    assert "fastopt fit: UnscaledDataWarning: the data is far from standardized: size (mean" in result.stderr
    assert "price (mean" in result.stderr and "<frozen" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--x", "size", "--y", "nope"], "has no column(s) nope"),
        (["--x", "size", "--y", "price", "--test-fraction", "1"], "argument --test-fraction: must be below 1"),
        (["--x", "size", "--y", "price", "--model", "linear", "--hidden", "3"], "--hidden and --activation go with"),
        (
            ["--x", "size", "--y", "price", "--loss", "log_loss"],
            "y must hold class labels (integers from 0) for loss='log_loss'",
        ),
    ],
)
def test_fit_command_bad_options_fail_with_one_line(houses, capsys, args, message):
    result = run_cli(capsys, "fit", "--csv", str(houses), *args, "--epochs", "2")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_missing_extra_is_named(monkeypatch):
    import sys

    from fastopt.figures.style import close_all

    monkeypatch.setitem(sys.modules, "seaborn", None)  # as if the plots extra were not installed
    with pytest.raises(ImportError, match=r'drawing figures needs seaborn, .* pip install "fastopt\[plots\]"'):
        close_all()
