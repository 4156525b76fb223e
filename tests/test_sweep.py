"""fastopt.sweep: grids, bit-for-bit equality with fit, parallelism, Dask."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastopt
from fastopt.methods import REGISTRY
from fastopt import schedules
from fastopt.api.sweep import expand_grid

from conftest import linear_problem, run_cli

X, Y = linear_problem(300, 2, seed=3)
X_TEST, Y_TEST = linear_problem(100, 2, seed=4)

GRID = {
    "method": ["sgd", "momentum", "rmsprop", "adam"],
    "learning_rate": [1e-3, 1e-2, 1e-1],
    "batch_size": [16, 64],
    "seed": range(3),
}


def fit_config(config):
    """The README's promise: fit(x, y, **configurations[i]) runs row i again, with nothing added."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fastopt.fit(X, Y, **config)


def assert_rows_equal_fits(table):
    for i, config in enumerate(table.attrs["configurations"]):
        fit = fit_config(config)
        row = table.iloc[i]
        assert (row.epochs_run, row.n_steps, row.status) == (fit.epochs_run, fit.n_steps, fit.status), config
        np.testing.assert_array_equal(row.params, fit.params)
        np.testing.assert_array_equal(row.train_mse, fit.loss_history[-1] if fit.epochs_run else np.nan)


@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=pytest.mark.jit)])
def test_rows_equal_individual_fits_bit_for_bit(n_jobs):
    table = fastopt.sweep(X, Y, GRID, epochs=40, n_jobs=n_jobs, progress=False, x_test=X_TEST, y_test=Y_TEST)
    assert len(table) == 4 * 3 * 2 * 3
    assert_rows_equal_fits(table)
    params = np.stack(table["params"])
    expected = np.mean((X_TEST @ params[:, :-1].T + params[:, -1] - Y_TEST[:, None]) ** 2, axis=0)
    np.testing.assert_allclose(table["test_mse"], expected, rtol=1e-12)


@pytest.mark.jit
def test_result_does_not_depend_on_threads_or_sharing():
    one = fastopt.sweep(X, Y, GRID, epochs=30, n_jobs=1, progress=False)
    two = fastopt.sweep(X, Y, GRID, epochs=30, n_jobs=2, progress=False)
    alone = fastopt.sweep(X, Y, GRID, epochs=30, n_jobs=2, progress=False, share_permutations=False)
    for other in (two, alone):
        assert one.drop(columns=["params", "runtime_s"]).equals(other.drop(columns=["params", "runtime_s"]))
        np.testing.assert_array_equal(np.stack(one["params"]), np.stack(other["params"]))


def test_every_argument_of_fit_can_be_a_dimension():
    grid = {
        "method": {
            "adam": {"beta1": [0.8, 0.9], "amsgrad": [False, True]},
            "rmsprop": {"beta": [0.9, 0.99]},
            "sgd": {},
            "nesterov": {"momentum": [0.5]},
            "adagrad": {},
            "adamw": {"weight_decay": [0.1]},
        },
        "schedule": [None, schedules.cosine(10)],
        "epochs": [5, 12],
        "stopping_threshold": [0, 1e-4],
        "shuffle": [True, False],
    }
    table = fastopt.sweep(X, Y, grid, progress=False, keep_history=True)
    assert len(table) == (4 + 2 + 1 + 1 + 1 + 1) * 2 * 2 * 2 * 2
    assert_rows_equal_fits(table)
    assert all(len(h) == n for h, n in zip(table["loss_history"], table["epochs_run"]))
    adam = table[table["method"] == "adam"]
    assert set(adam["beta1"]) == {0.8, 0.9} and table.loc[table["method"] == "sgd", "beta1"].isna().all()
    assert set(table["schedule"].dropna()) == {"cosine(t_max=10, eta_min=0.0)"}


def test_list_of_dicts_gives_explicit_configurations():
    configs = [{"method": "sgd", "learning_rate": 0.05}, {"method": "adam", "beta2": 0.99, "seed": 7}]
    table = fastopt.sweep(X, Y, configs, epochs=10, progress=False)
    assert list(table["method"]) == ["sgd", "adam"] and list(table["seed"]) == [0, 7]
    assert_rows_equal_fits(table)


def test_diverging_configuration_does_not_stop_the_sweep():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the sweep reports divergence in its rows, without warnings
        table = fastopt.sweep(
            X,
            1e6 * Y,
            {"method": ["sgd"], "learning_rate": [1e-4, 1e3], "clip_value": [None]},
            epochs=50,
            progress=False,
        )
    assert list(table["status"]) == ["max_epochs", "diverged"]
    assert np.isfinite(table["train_mse"].iloc[0])
    assert table["epochs_run"].iloc[1] < 50


def test_history_is_kept_only_when_asked():
    table = fastopt.sweep(X, Y, {"method": ["adam"]}, epochs=5, progress=False)
    assert "loss_history" not in table.columns


@pytest.mark.parametrize(
    "grid, pattern",
    [
        ({"lr": [0.1]}, r"unknown grid key 'lr'"),
        ({"learning_rate": []}, r"grid\['learning_rate'\] is an empty list"),
        ({"learning_rate": 0.1}, r"grid\['learning_rate'\] must be a list of values, got float"),
        ({"method": "adam"}, r"grid\['method'\] must be a list of values, got str"),
        (
            {"method": ["sgd", "adam"], "beta1": [0.9]},
            r"grid key 'beta1' is not a hyperparameter of 'sgd' \(methods that take it: "
            + ", ".join(m.name for m in REGISTRY if "beta1" in m.defaults)
            + r"\); give it per method, e.g. grid=\{'method': \{'sgd': \{\}, 'adam': \{'beta1': \[...\]\}\}",
        ),
        ({"method": {"sgd": {"beta1": [0.9]}}}, r"grid key 'beta1' is not a hyperparameter of 'sgd'"),
        ({"method": ["lbfgs"]}, r"unknown method 'lbfgs'"),
        ({"method": {}}, r"grid\['method'\] is an empty dict"),
        ({}, r"grid is empty"),
        ([], r"grid is an empty list"),
        ([{"method": "sgd", "amsgrad": True}], r"grid key 'amsgrad' is not a hyperparameter of 'sgd'"),
        ([0.1], r"grid\[0\] must be a dict"),
        ("adam", r"grid must be a dict of lists or a list of dicts"),
        ({"learning_rate": [-1.0]}, r"configuration 0 .*learning_rate must be > 0"),
        ({"method": {"adam": {"beta1": []}}}, r"^grid\['method'\]\['adam'\]\['beta1'\] is an empty list"),
        # One rule for a value listed twice, whichever the key: refused (it would be one configuration run twice).
        ({"method": ["adam", "adam"]}, r"^grid\['method'\] lists 'adam' twice; .*vary the seed"),
        ({"seed": [1, 1]}, r"^grid\['seed'\] lists 1 twice"),
        ({"learning_rate": [0.1, 0.01, 0.1]}, r"^grid\['learning_rate'\] lists 0.1 twice"),
        ({"method": {"adam": {"beta1": [0.9, 0.9]}}}, r"^grid\['method'\]\['adam'\]\['beta1'\] lists 0.9 twice"),
    ],
)
def test_bad_grids_name_the_key(grid, pattern):
    with pytest.raises(ValueError, match=pattern):
        fastopt.sweep(X, Y, grid, progress=False)


def test_a_closed_dask_client_is_named():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        client = distributed.Client(cluster)
        client.close()
        with pytest.raises(ValueError, match=r"^client is closed: connect a new dask.distributed.Client"):
            fastopt.sweep(X, Y, {"method": ["adam"]}, client=client, progress=False)


def test_bad_sweep_arguments():
    with pytest.raises(ValueError, match="n_jobs must be a positive integer"):
        fastopt.sweep(X, Y, {"method": ["adam"]}, n_jobs=0)
    with pytest.raises(ValueError, match="give both x_test and y_test"):
        fastopt.sweep(X, Y, {"method": ["adam"]}, x_test=X_TEST)
    with pytest.raises(ValueError, match="x_test has 1 feature"):
        fastopt.sweep(X, Y, {"method": ["adam"]}, x_test=X_TEST[:, 0], y_test=Y_TEST)


def test_expand_grid_order():
    configs = expand_grid({"method": ["sgd", "adam"], "learning_rate": [0.1, 0.2]})
    assert configs == [
        {"method": "sgd", "learning_rate": 0.1},
        {"method": "sgd", "learning_rate": 0.2},
        {"method": "adam", "learning_rate": 0.1},
        {"method": "adam", "learning_rate": 0.2},
    ]


def test_dask_cluster_gives_the_same_table():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    local = fastopt.sweep(X, Y, GRID, epochs=20, progress=False, keep_history=True)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            remote = fastopt.sweep(X, Y, GRID, epochs=20, progress=False, keep_history=True, client=client)
    assert local.drop(columns=["params", "runtime_s", "loss_history"]).equals(
        remote.drop(columns=["params", "runtime_s", "loss_history"])
    )
    np.testing.assert_array_equal(np.stack(local["params"]), np.stack(remote["params"]))
    for a, b in zip(local["loss_history"], remote["loss_history"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.jit
def test_sweep_command_on_diamonds(tmp_path, capsys):
    result = run_cli(
        capsys,
        "sweep",
        "--method",
        "adam",
        "rmsprop",
        "--learning-rate",
        "1e-3",
        "1e-2",
        "--batch-size",
        "32",
        "64",
        "--seeds",
        "2",
        "--epochs",
        "20",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "16 fits; best configuration per method" in result.stdout
    assert result.stdout.count("adam") >= 1 and result.stdout.count("rmsprop") >= 1
    import pandas as pd

    table = pd.read_csv(tmp_path / "sweep.csv")
    assert len(table) == 16 and set(table["method"]) == {"adam", "rmsprop"}
    assert (abs(table["test_rmse"] / 1569.81 - 1) < 0.05).all()  # dollars
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_command_on_a_csv_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200), rng.normal(size=200)
    (tmp_path / "data.csv").write_text("a,b,target\n" + "\n".join(f"{p},{q},{3 * p - q + 10}" for p, q in zip(a, b)))
    result = run_cli(
        capsys,
        "sweep",
        "--csv",
        str(tmp_path / "data.csv"),
        "--x",
        "a",
        "b",
        "--y",
        "target",
        "--method",
        "adam",
        "--learning-rate",
        "0.05",
        "--batch-size",
        "16",
        "--seeds",
        "1",
        "--epochs",
        "300",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert "test RMSE (target)" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--learning-rate", "0"], "argument --learning-rate: must be a finite number > 0, got 0"),
        (["--learning-rate", "-0.1"], "argument --learning-rate: must be a finite number > 0, got -0.1"),
        (["--method", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["--seeds", "0"], "argument --seeds: must be >= 1"),
        (["--csv", "nope.csv"], "--csv needs --x"),
        (["--x", "a"], "--x and --y go with --csv"),
    ],
)
def test_sweep_command_bad_options(capsys, args, message):
    result = run_cli(capsys, "sweep", "--epochs", "2", "--quiet", *args)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


@pytest.mark.slow
@pytest.mark.jit
@pytest.mark.parametrize(
    "script, files",
    [
        ("sweep_lr_batch.py", ["lr_batch.csv", "lr_batch.png"]),
        ("seed_variance.py", ["seed_variance.csv", "seed_variance.png"]),
    ],
)
def test_example_studies_write_their_table_and_figure(tmp_path, script, files):
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / script
    result = subprocess.run(
        [sys.executable, str(path), str(tmp_path), "--epochs", "5", "--seeds", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in files:
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("a,b\n1,2\n", ["--x", "a", "--y", "c"], "has no column(s) c"),
        ("a,b\nx,2\ny,3\n", ["--x", "a", "--y", "b"], "is not numeric: line 2 holds 'x'"),
        ("a,b\n1,2\n,3\n4,5\n", ["--x", "a", "--y", "b"], "has a missing value on line 3"),
    ],
)
def test_sweep_command_bad_csv(tmp_path, capsys, content, args, message):
    (tmp_path / "data.csv").write_text(content)
    result = run_cli(capsys, "sweep", "--csv", str(tmp_path / "data.csv"), *args, "--epochs", "2", "--quiet")
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", ["keep_history", "progress", "share_permutations"])
@pytest.mark.parametrize("value", [1, "yes", None])
def test_sweep_checks_its_flags(flag, value):
    with pytest.raises(TypeError, match=rf"{flag} must be True or False, got"):
        fastopt.sweep(X, Y, {"method": ["sgd"]}, epochs=1, **{"progress": False, flag: value})


def test_grid_key_no_method_takes_names_the_methods_that_do():
    with pytest.raises(ValueError, match=r"not a hyperparameter of 'sgd', 'adam' \(methods that take it: rmsprop\)"):
        fastopt.sweep(X, Y, {"method": ["sgd", "adam"], "beta": [0.9]}, progress=False)


def test_client_that_is_not_a_dask_client_is_refused():
    with pytest.raises(TypeError, match=r"client must be a dask.distributed.Client \(or None to use threads\), got str"):
        fastopt.sweep(X, Y, {"method": ["sgd"]}, client="tcp://localhost:8786", progress=False)


@pytest.mark.jit
def test_repeated_dask_sweeps_on_the_same_data_never_lose_their_data():
    """The data is scattered under a fresh key each time (hash=False): no race with the previous release."""
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    grid = {"method": ["adam", "sgd"], "seed": [0, 1]}
    expected = fastopt.sweep(X, Y, grid, epochs=3, progress=False)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        for _ in range(20):
            table = fastopt.sweep(X, Y, grid, epochs=3, client=client, progress=False)
            np.testing.assert_array_equal(np.stack(table["params"]), np.stack(expected["params"]))


def test_sweep_command_reports_a_method_whose_every_run_diverged(tmp_path, capsys):
    result = run_cli(capsys, "sweep", "--method", "nesterov", "adam", "--learning-rate", "1000", "--seeds", "1",
                     "--epochs", "20", "--quiet", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "nesterov: every configuration diverged (no finite test RMSE ($))" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv", "sweep.png"]


@pytest.mark.parametrize(
    "csv, args, message",
    [
        ("a,b\n", ["--x", "a", "--y", "b"], "data.csv has 0 data row(s); a train and a test set need(s) at least 2"),
        ("a,b\n1,2\n", ["--x", "a", "--y", "b"], "data.csv has 1 data row(s)"),
        ("a,b\n1,2\n2,3\n", ["--x", "a", "--y", "a"], "--y a is also a feature in --x"),
        ("a,b,f\n1,2,True\n2,3,False\n3,5,True\n", ["--x", "a", "f", "--y", "b"],
         "column f of data.csv holds True/False; write it as 0/1"),
        ("a,b\n1,2\n2,inf\n3,4\n", ["--x", "a", "--y", "b"], "column b of data.csv has an infinite value on line 3"),
        ("a,b\n1e200,2\n3e200,3\n4,5\n", ["--x", "a", "--y", "b"],
         "column 'a' of data.csv has values too large to standardize in float64"),
        ("a,b\n1,2\n1,3\n1,4\n", ["--x", "a", "--y", "b"], "column 'a' of data.csv is constant"),
    ],
    ids=["header only", "one row", "target is a feature", "booleans", "inf", "overflow", "constant"],
)  # fmt: skip
def test_sweep_command_names_what_is_wrong_with_a_csv(tmp_path, capsys, monkeypatch, csv, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text(csv)
    result = run_cli(capsys, "sweep", "--csv", "data.csv", *args, "--epochs", "2", "--quiet")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sweep_command_writing_to_a_full_disk_prints_the_table_and_names_the_file(tmp_path, capsys, monkeypatch):
    import errno

    import pandas as pd

    def full_disk(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    result = run_cli(capsys, "sweep", "--method", "adam", "--seeds", "1", "--epochs", "5", "--quiet",
                     "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 1
    assert "best configuration per method" in result.stdout
    assert f"could not write {tmp_path / 'sweep.csv'}: No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no partial file
