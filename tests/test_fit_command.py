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
            "not class labels; a classifier's target is text or integers",
        ),
    ],
)
def test_fit_command_bad_options_fail_with_one_line(houses, capsys, args, message):
    result = run_cli(capsys, "fit", "--csv", str(houses), *args, "--epochs", "2")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


@pytest.mark.parametrize("labels", [("F", "M"), (1, 2), (-1, 1)])
@pytest.mark.parametrize("loss", ["log_loss", "cross_entropy"])
def test_fit_command_encodes_any_two_labels_of_a_classifier(houses, tmp_path, capsys, labels, loss):
    """Text or integer labels other than 0/1 train two classes (not three, one empty), named in fit.json."""
    path = tmp_path / "labels.csv"
    path.write_text("size,sex\n" + "".join(f"{s},{labels[int(s > 150)]}\n" for s in SIZE))
    out = tmp_path / "out"
    result = run_cli(capsys, "fit", "--csv", str(path), "--x", "size", "--y", "sex", "--loss", loss,
                     "--epochs", "300", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "fit.json").read_text())
    assert report["classes"] == list(labels) and len(report["params"]) == (2 if loss == "log_loss" else 4)
    assert report["train_accuracy"] > 0.9
    assert f"classes of sex, in output order: {labels[0]}, {labels[1]}" in result.stdout
    if loss == "log_loss":
        assert f"logit P(sex = {labels[1]}) = " in result.stdout


BROKEN = {
    "infinite": ("size,price\n1,2\n1e400,3\n", "column size of {path} has an infinite value on line 3"),
    "inf": ("size,price\n1,2\n3,-inf\n", "column price of {path} has an infinite value on line 3"),
    "text": ("size,price\n1,2\n3,4\nbig,5\n", "column size of {path} is not numeric: line 4 holds 'big'"),
    "missing": ("size,price\n1,2\n3,\n", "column price of {path} has a missing value on line 3"),
    "ragged": ("size,price\n1,2\n3,4,5\n", "{path} line 3 has 3 fields where the header has 2"),
    "open quote": ('size,price\n1,2\n3,"4\n5,6\n', "{path} line 3 opens a quoted field that never closes"),
    "latin-1": ("size,price,café\n1,2,3\n".encode("latin-1"), "{path} is not UTF-8 text (byte 0xe9 on line 1)"),
    "empty": ("", "{path} is empty"),
    "no file": (None, "{path}: no such file"),
}


@pytest.mark.parametrize("command", ["fit", "sweep"])
@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_csv_is_named_with_its_column_and_line_by_every_command(tmp_path, capsys, command, case):
    content, message = BROKEN[case]
    path = tmp_path / "table.csv"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run_cli(capsys, command, "--csv", str(path), "--x", "size", "--y", "price", "--epochs", "2")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message.format(path=path) in result.stderr, result.stderr


def test_missing_extra_is_named(monkeypatch):
    import sys

    from fastopt.figures.style import close_all

    monkeypatch.setitem(sys.modules, "seaborn", None)  # as if the plots extra were not installed
    with pytest.raises(ImportError, match=r'drawing figures needs seaborn, .* pip install "fastopt\[plots\]"'):
        close_all()
