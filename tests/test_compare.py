"""fastopt compare: the table, the files it writes, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import fastopt
from fastopt import peers
from fastopt.compare import COLUMNS, compare

from conftest import run_cli

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
    assert (runs["epochs"] < 2000).all() and (runs["status"] == "converged").all()
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
    ],
)
def test_compare_rejects_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        compare(**kwargs)


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
    assert result.stderr == ""  # no progress bars when the output is not a terminal
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--methods", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
        (["--epochs", "ten"], "argument --epochs: expected a whole number"),
        (["--stopping-threshold", "-1"], "must be a finite number >= 0"),
        (["--out", "FILE/sub"], "is not writable"),
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
