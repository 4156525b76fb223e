"""fastopt compare: the table, the files it writes, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import fastopt
from fastopt.apps import peers
from fastopt.apps.compare import COLUMNS, compare
from fastopt.apps.report import format_table

pytestmark = pytest.mark.jit  # every test runs the 16,000-row benchmark

FILES = ["results.csv", "results.json", "comparison.png", "loss_curves.png", "paths.png"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(split, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    table = compare(epochs=300, reference_epochs=3, out=out, split=split)
    return table, out


def test_table_has_one_row_per_method_and_the_ols_row(run):
    table, _ = run
    assert list(table.columns) == list(COLUMNS)
    assert list(table["method"]) == ["sgd", "momentum", "rmsprop", "adam", "ols"]
    methods = table[table["implementation"] == "fastopt"]
    numeric = methods[
        [
            "runtime_s",
            "epochs",
            "train_mse",
            "test_rmse_dollars",
            "seconds_per_epoch",
            "reference_runtime_s",
            "speedup_vs_reference",
        ]
    ]
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert (methods["epochs"] == 300).all() and (methods["status"] == "max_epochs").all()
    assert (methods["speedup_vs_reference"] > 1).all()


def test_rmse_is_within_two_percent_of_closed_form(run):
    table, _ = run
    ols = table.loc[table["method"] == "ols", "test_rmse_dollars"].item()
    assert ols == pytest.approx(1569.81, abs=0.01)
    rmse = table.loc[table["implementation"] == "fastopt", "test_rmse_dollars"]
    assert (abs(rmse / ols - 1) < 0.02).all(), rmse


def test_files_are_written(run):
    table, out = run
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    csv = pd.read_csv(out / "results.csv")
    assert list(csv.columns) == list(COLUMNS) and len(csv) == 5
    assert np.isfinite(csv.loc[csv["implementation"] == "fastopt", ["runtime_s", "test_rmse_dollars"]]).all().all()
    payload = json.loads((out / "results.json").read_text())
    assert {"cpu", "cores", "python", "numpy", "numba", "fastopt"} <= set(payload["machine"])
    assert payload["settings"]["epochs"] == 300 and len(payload["rows"]) == 5


@pytest.mark.parametrize("name", [n for n in FILES if n.endswith(".png")])
def test_pictures_are_valid_pngs(run, name):
    import matplotlib.image

    _, out = run
    assert (out / name).read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(out / name)
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image.std() > 0.01  # not a blank canvas


def test_tutorial_stopping_rule_reports_epochs_actually_run(split):
    table = compare(["sgd", "adam"], epochs=2000, stopping_threshold=1e-6, reference=False, split=split)
    runs = table[table["implementation"] == "fastopt"]
    assert (runs["epochs"] < 2000).all() and (runs["status"] == "stalled").all()
    assert runs["speedup_vs_reference"].isna().all()


def test_peers_are_left_out_when_not_installed(split, monkeypatch):
    monkeypatch.setattr(peers, "installed", lambda module: False)
    table = compare(["sgd"], epochs=20, reference_epochs=2, peers=True, split=split)
    assert list(table["implementation"]) == ["fastopt", "numpy.linalg.lstsq"]


@pytest.mark.skipif(not peers.installed("torch"), reason="torch is not installed (an optional peer)")
def test_torch_peer_runs_the_same_algorithm(split):
    table = compare(["adam"], epochs=20, reference_epochs=2, peers=True, peer_epochs=20, split=split)
    fast = table[table["implementation"] == "fastopt"].iloc[0]
    torch_row = table[table["implementation"] == "torch"].iloc[0]
    assert torch_row["label"] == "torch.optim.Adam" and torch_row["runtime_is_estimate"]
    assert torch_row["test_rmse_dollars"] == pytest.approx(fast["test_rmse_dollars"], rel=0.02)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(methods=["lbfgs"]), "unknown method 'lbfgs'"),
        (dict(methods=[]), "methods must name at least one"),
        (dict(epochs=0), "epochs must be >= 1"),
        (dict(reference_epochs=0), "reference_epochs must be >= 1"),
        (dict(seeds=0), "seeds must be >= 1"),
    ],
)
def test_compare_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        compare(**kwargs)


@pytest.fixture(scope="module")
def every_column():
    return fastopt.datasets.tutorial_split(features=fastopt.datasets.DIAMONDS_FEATURES)


@pytest.fixture(scope="module")
def network_run(every_column, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare_mlp")
    table = compare(model="mlp", epochs=10, reference_epochs=1, out=out, split=every_column)
    return table, out


def test_network_table_has_the_linear_and_ols_rows_to_beat(network_run):
    table, out = network_run
    assert list(table["method"]) == ["sgd", "momentum", "rmsprop", "adam", "adam", "ols"]
    assert list(table["model"]) == ["MLP(hidden=(50,), activation='relu')"] * 4 + ["linear", "linear"]
    assert table["label"].iloc[4] == "Linear model, Adam"
    runs = table[table["implementation"] == "fastopt"]
    assert (runs["epochs"] == 10).all() and (runs["speedup_vs_reference"] > 1).all()
    # The tutorial's learning rates train the network on every column past the best line there is.
    ols = table["test_rmse_dollars"].iloc[-1]
    assert 1_000 < ols < 1_400
    assert table["test_rmse_dollars"].iloc[4] == pytest.approx(ols, rel=0.05)
    for method in ("sgd", "rmsprop", "adam"):
        assert runs.loc[runs["method"] == method, "test_rmse_dollars"].iloc[0] < 0.8 * ols
    assert sorted(p.name for p in out.iterdir()) == sorted(n for n in FILES if n != "paths.png")
    assert table.attrs["files"] == ["results.csv", "results.json", "comparison.png", "loss_curves.png"]
    assert table.attrs["settings"]["model"] == "MLP(hidden=(50,), activation='relu')"


def test_network_rows_report_the_train_mse_fastopt_trained(network_run, every_column):
    table, _ = network_run
    adam = table[(table["method"] == "adam") & (table["model"] != "linear")].iloc[0]
    again = fastopt.fit(every_column.x_train, every_column.y_train, "adam", model=fastopt.MLP((50,)), epochs=10,
                        batch_size=64, learning_rate=0.01, stopping_threshold=0, seed=0)  # fmt: skip
    assert adam["train_mse"] == again.loss_history[-1]
    assert adam["test_rmse_dollars"] == pytest.approx(every_column.rmse_dollars(again), rel=1e-12)


@pytest.mark.skipif(not peers.installed("torch"), reason="torch is not installed (an optional peer)")
def test_torch_peer_builds_the_same_network_from_the_same_parameters(every_column):
    """One full-batch SGD epoch: the shuffle order cannot matter, so torch must agree to rounding."""
    x, y = every_column.x_train[:500], every_column.y_train[:500]
    mlp = fastopt.MLP((7, 5), activation="tanh")
    fast = fastopt.fit(x, y, "sgd", model=mlp, learning_rate=0.1, epochs=1, batch_size=500, seed=3)
    run = peers.torch_fit(x, y, "sgd", fast.hyperparameters, epochs=1, batch_size=500, init=fast.init, seed=0,
                          model=fast.model)  # fmt: skip
    np.testing.assert_allclose(run.params, fast.params, rtol=1e-12, atol=1e-14)


@pytest.mark.skipif(not peers.installed("torch"), reason="torch is not installed (an optional peer)")
def test_torch_peer_trains_the_compared_network(every_column):
    table = compare(["adam"], model="mlp", epochs=3, reference=False, peers=True, peer_epochs=3, split=every_column)
    assert list(table["implementation"]) == ["fastopt", "fastopt", "torch", "numpy.linalg.lstsq"]
    fast, torch_row = table.iloc[0], table.iloc[2]
    assert torch_row["model"] == fast["model"] and torch_row["label"] == "torch.optim.Adam"
    assert torch_row["test_rmse_dollars"] == pytest.approx(fast["test_rmse_dollars"], rel=0.15)


def test_compare_rejects_an_unknown_model():
    with pytest.raises(ValueError, match="model must be 'linear', 'mlp' or a fastopt.MLP, got 'cnn'"):
        compare(model="cnn")


def test_command_line_compares_a_network(tmp_path, capsys):
    result = run_cli(capsys, "compare", "--model", "mlp", "--hidden", "8", "--activation", "tanh", "--methods",
                     "sgd", "--epochs", "2", "--reference-epochs", "1", "--quiet", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("SGD ") and lines[2].startswith("Linear model, SGD")
    assert lines[3].startswith("Closed-form OLS")
    assert "wrote results.csv, results.json, comparison.png, loss_curves.png to" in lines[4]
    csv = pd.read_csv(tmp_path / "results.csv")
    assert csv["model"].iloc[0] == "MLP(hidden=(8,), activation='tanh')"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "fastopt", *args], capture_output=True, text=True, timeout=300)


def test_command_line_end_to_end(tmp_path):
    result = cli(
        "compare",
        "--methods",
        "sgd",
        "rmsprop",
        "--epochs",
        "50",
        "--reference-epochs",
        "2",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Method", "Runtime", "(s)"]
    assert lines[1].startswith("SGD") and lines[2].startswith("RMSprop") and lines[3].startswith("Closed-form OLS")
    # no progress bars when the output is not a terminal (a piece compiled for first use is announced)
    assert [line for line in result.stderr.splitlines() if not line.startswith("fastopt: compiling ")] == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--methods", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
        (["--epochs", "ten"], "argument --epochs: expected a whole number"),
        (["--stopping-threshold", "-1"], "must be a finite number >= 0"),
        (["--out", "FILE/sub"], "is not writable"),
        (["--hidden", "20"], "--hidden and --activation go with --model mlp"),
        (["--model", "mlp", "--hidden", "0"], "argument --hidden: must be >= 1, got 0"),
        (["--model", "cnn"], "invalid choice: 'cnn'"),
    ],
)
def test_command_line_bad_options_fail_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "FILE").write_text("a file, not a folder")
    args = [str(tmp_path / a) if a == "FILE/sub" else a for a in args]
    extra = ["--epochs", "5"] if "--epochs" not in args else []
    result = run_cli(capsys, "compare", "--quiet", *extra, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_public_api_exports_compare():
    assert fastopt.compare is compare


def test_command_line_in_process_writes_the_table(tmp_path, capsys):
    result = run_cli(capsys, "compare", "--methods", "adam", "--epochs", "30", "--reference-epochs", "2",
                     "--stopping-threshold", "1e-6", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("Adam")
    assert "wrote results.csv" in result.stdout


def test_a_string_is_one_method(split):
    table = compare("adam", epochs=5, reference=False, split=split)
    assert list(table["method"]) == ["adam", "ols"]


def test_multi_feature_split_in_its_own_units(tmp_path):
    from fastopt.datasets import standardized_split

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    split = standardized_split(np.column_stack([X, X @ [1.0, 2.0] + 0.1 * rng.normal(size=400)]), units="kg")
    table = compare(["adam", "sgd"], epochs=50, reference_epochs=2, split=split, out=tmp_path)
    assert table.attrs["settings"]["units"] == "kg"
    assert "Test RMSE (kg)" in format_table(table).splitlines()[0]
    # The (m, b) plane is for one feature: no paths.png, and every file that is there is complete.
    assert table.attrs["files"] == ["results.csv", "results.json", "comparison.png", "loss_curves.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(table.attrs["files"])


def test_compare_out_on_a_full_disk_prints_the_table_and_names_the_file(tmp_path, capsys, monkeypatch):
    import errno

    def full_disk(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    result = run_cli(capsys, "compare", "--methods", "adam", "--epochs", "20", "--no-reference", "--quiet",
                     "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.splitlines()[1].startswith("Adam")
    assert result.stderr.strip() == (
        f"fastopt compare: error: could not write {tmp_path / 'results.csv'}: No space left on device"
    )
    assert list(tmp_path.iterdir()) == []


def test_several_seeds_give_the_test_rmse_its_spread(split, tmp_path):
    table = compare(["sgd", "momentum"], epochs=60, reference=False, seeds=4, out=tmp_path, split=split)
    fast = table[table["implementation"] == "fastopt"]
    assert (fast["seeds"] == 4).all()
    assert (fast["test_rmse_min"] <= fast["test_rmse_dollars"]).all()
    assert (fast["test_rmse_dollars"] <= fast["test_rmse_max"]).all() and (fast["test_rmse_min"] < fast["test_rmse_max"]).all()
    again = fastopt.fit(split.x_train, split.y_train, "momentum", learning_rate=0.1, epochs=60, batch_size=64,
                        stopping_threshold=0, seed=3)  # the last seed's run, one end of the spread or inside it
    assert fast["test_rmse_min"].iloc[1] <= split.rmse_dollars(again) <= fast["test_rmse_max"].iloc[1]
    assert (tmp_path / "comparison.png").read_bytes().startswith(PNG_SIGNATURE)
    one = compare(["sgd"], epochs=5, reference=False, split=split)
    assert one["seeds"].iloc[0] == 1 and one["test_rmse_min"].iloc[0] == one["test_rmse_dollars"].iloc[0]
