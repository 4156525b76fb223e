"""fastopt study: the protocol end to end, determinism, resuming, a problem of your own, Dask."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import fastopt
from fastopt.api.optimize import fit
from fastopt.problems import PROBLEMS, StudyData, StudyProblem

from conftest import run_cli

pytest.importorskip("matplotlib", reason="the plots extra is not installed")

TINY = dict(methods=["sgd", "adam"], budget=3, seeds=2, trial_seeds=2)
FILES = ["distributions.png", "loss_curves.png", "ranking.csv", "report.md", "report.tex", "results.csv", "runs.csv",
         "sensitivity.png", "study.json"]  # fmt: skip


def _line() -> StudyData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = x @ [1.0, -2.0] + 0.5 + 0.1 * rng.normal(size=300)
    return StudyData(x[:180], y[:180], x[180:240], y[180:240], x[240:], y[240:])


MINE = StudyProblem("mine", "a noisy plane, two features", _line, metric="rmse", epochs=20, target=0.2,
                    batch_size=16)  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    return out, fastopt.study([MINE, "rosenbrock_noisy"], out=out, **TINY)


def test_a_tiny_study_writes_every_file(tiny):
    out, report = tiny
    assert sorted(p.name for p in out.iterdir()) == FILES
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and set(results["method"]) == {"sgd", "adam"}
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * (2 * 3 * 2 + 2 * 2 * 2)  # problems x (tuning + best and defaults reruns)
    payload = json.loads((out / "study.json").read_text())
    assert payload["settings"]["budget"] == 3 and payload["machine"]["cores"]
    markdown = (out / "report.md").read_text()
    assert "## mine" in markdown and "## Ranking" in markdown and "| adam |" in markdown
    assert r"\begin{tabular}" in (out / "report.tex").read_text()
    assert report.ranking["median_rank"].between(1, 2).all()


def test_the_tuned_setting_reproduces_its_metric_with_fit(tiny):
    _, report = tiny
    for problem in (MINE, PROBLEMS["rosenbrock_noisy"]):
        data = problem.built()
        row = report.runs[(report.runs["problem"] == problem.name) & (report.runs["stage"] == "best")].iloc[0]
        result = fit(data.x_train, data.y_train, row["method"], seed=int(row["seed"]), objective=problem.objective,
                     **{**problem.fit_arguments(), **row["settings"]})  # fmt: skip
        assert problem.score(result.params, data.x_test, data.y_test, data.scale) == row["test"]
        summary = report.results[(report.results["problem"] == problem.name)
                                 & (report.results["method"] == row["method"])].iloc[0]  # fmt: skip
        finals = report.runs[(report.runs["problem"] == problem.name) & (report.runs["stage"] == "best")
                             & (report.runs["method"] == row["method"])]  # fmt: skip
        assert summary["test_median"] == np.median(finals["test"])


def test_the_same_study_gives_the_same_report(tiny, tmp_path):
    _, first = tiny
    again = fastopt.study([MINE, "rosenbrock_noisy"], out=tmp_path, **TINY)
    columns = ["problem", "method", "tuned", "validation", "test_median", "test_iqr", "defaults_median",
               "epochs_to_target", "trials_to_within_1pct"]  # fmt: skip
    pd.testing.assert_frame_equal(first.results[columns], again.results[columns])


def test_a_rerun_skips_the_runs_already_done(tiny, monkeypatch):
    out, first = tiny

    def no_sweep(*args, **kwargs):
        raise AssertionError("a finished run was run again")

    monkeypatch.setattr(sys.modules["fastopt.apps.study"], "sweep", no_sweep)
    resumed = fastopt.study([MINE, "rosenbrock_noisy"], out=out, **TINY)
    pd.testing.assert_frame_equal(first.results, resumed.results)


def _other_line() -> StudyData:
    data = _line()
    return StudyData(data.x_train, -data.y_train, data.x_valid, -data.y_valid, data.x_test, -data.y_test)


@pytest.mark.parametrize("change", [dict(epochs=5), dict(data=_other_line), dict(batch_size=32)])
def test_a_redefined_problem_runs_again_instead_of_resuming_stale_runs(tiny, tmp_path, change):
    """The same problem name with other epochs, data or batch size: the report is a fresh study's."""
    out, first = tiny
    for name in FILES:
        (tmp_path / name).write_bytes((out / name).read_bytes())
    redefined = dataclasses.replace(MINE, **change)
    resumed = fastopt.study([redefined], out=tmp_path, **TINY)
    fresh = fastopt.study([redefined], **TINY)
    columns = ["problem", "method", "tuned", "validation", "test_median", "test_iqr", "defaults_median"]
    pd.testing.assert_frame_equal(resumed.results[columns], fresh.results[columns])
    old = first.results[first.results["problem"] == "mine"].reset_index(drop=True)
    assert not np.array_equal(old["test_median"], fresh.results["test_median"])


def _damaged(text: str, damage: str) -> bytes:
    """``text`` (a finished study's runs.csv) damaged the way a crash, an editor or a copy can."""
    if damage == "empty":
        return b""
    if damage == "binary":
        return bytes(range(128, 256)) * 4
    header, *rows = list(csv.reader(io.StringIO(text)))
    if damage == "cut mid-line":
        full = text.splitlines(keepends=True)
        return "".join(full[:2] + [full[2][: len(full[2]) // 2]]).encode()
    if damage == "garbage row":
        rows.insert(1, ["#@!", "garbage"])
    elif damage == "text in a metric":
        rows[2][header.index("validation")] = "high"
    elif damage == "broken JSON":
        rows[1][header.index("settings")] = '{"learning_rate": 0.1'
    else:
        assert damage == "no status column"
        keep = [i for i, name in enumerate(header) if name != "status"]
        header, rows = [header[i] for i in keep], [[row[i] for i in keep] for row in rows]
    lines = io.StringIO()
    csv.writer(lines, lineterminator="\n").writerows([header, *rows])
    return lines.getvalue().encode()


DAMAGES = {"cut mid-line": "line 3 opens a quoted field", "garbage row": "line 3: stage is empty",
           "text in a metric": "line 4: validation is 'high', not a number",
           "broken JSON": "line 3: settings is not valid JSON", "empty": "is empty", "binary": "is not UTF-8 text",
           "no status column": "has no column(s) status"}  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_runs_csv_is_refused_in_one_line_before_any_run(tiny, tmp_path, monkeypatch, damage):
    out, _ = tiny
    path = tmp_path / "runs.csv"
    path.write_bytes(_damaged((out / "runs.csv").read_text(), damage))

    def no_sweep(*args, **kwargs):
        raise AssertionError("a run started before runs.csv was checked")

    monkeypatch.setattr(sys.modules["fastopt.apps.study"], "sweep", no_sweep)
    with pytest.raises(ValueError) as error:
        fastopt.study([MINE, "rosenbrock_noisy"], out=tmp_path, **TINY)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and DAMAGES[damage] in message
    assert "delete the file to start the study over" in message


def _overflowing() -> StudyData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2)) * 1e160  # every squared error overflows float64
    y = x @ [1.0, -2.0]
    return StudyData(x[:60], y[:60], x[60:80], y[60:80], x[80:], y[80:])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # each run warns that it diverged
def test_a_study_in_which_every_run_diverges_writes_its_report(tmp_path):
    boom = StudyProblem("boom", "overflows float64", _overflowing, metric="rmse", epochs=3, target=1.0)
    report = fastopt.study([boom], out=tmp_path, **TINY)
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES
    assert (report.runs["status"] == "diverged").all()
    markdown = (tmp_path / "report.md").read_text()
    assert f"Every run diverged ({len(report.runs)} runs): no method is ranked on boom." in markdown
    assert "nothing to rank" in markdown


def test_the_fingerprint_is_the_same_in_every_process():
    code = "from fastopt.problems import PROBLEMS; print(PROBLEMS['rosenbrock_noisy'].fingerprint())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == PROBLEMS["rosenbrock_noisy"].fingerprint()
    assert MINE.fingerprint() != dataclasses.replace(MINE, epochs=21).fingerprint()


def test_dask_gives_the_same_report(tiny):
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    _, local = tiny
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            remote = fastopt.study([MINE, "rosenbrock_noisy"], client=client, **TINY)
    pd.testing.assert_frame_equal(local.results.drop(columns=["seconds_to_target"]),
                                  remote.results.drop(columns=["seconds_to_target"]))  # fmt: skip


def test_command_lists_the_problems_and_checks_its_arguments(capsys):
    result = run_cli(capsys, "study", "--list")
    assert result.returncode == 0
    for name in PROBLEMS:
        assert name in result.stdout
    bad = run_cli(capsys, "study", "--problems", "mnist")
    assert bad.returncode == 2 and "invalid choice: 'mnist'" in bad.stderr
    with pytest.raises(ValueError, match="unknown schedule 'step'"):
        fastopt.study([MINE], schedules=["step"], **{k: v for k, v in TINY.items()})
    with pytest.raises(ValueError, match="budget must be >= 1"):
        fastopt.study([MINE], methods=["sgd"], budget=0)
