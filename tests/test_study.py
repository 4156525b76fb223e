"""fastopt study: the protocol end to end, determinism, resuming, a problem of your own, Dask."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
import time

import numpy as np
import pandas as pd
import pytest

import fastopt
from fastopt.api.optimize import fit
from fastopt.problems import PROBLEMS, StudyData, StudyProblem

from conftest import python_output, run_cli

pytest.importorskip("matplotlib", reason="the plots extra is not installed")

TINY = dict(methods=["sgd", "adam"], budget=3, seeds=2, trial_seeds=2)
FILES = ["budget_curves.png", "critical_difference.png", "distributions.png", "loss_curves.png", "performance_profile.png", "ranking.csv",
         "report.md", "report.tex", "results.csv", "runs.csv",
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
    assert len(runs) == 2 * (2 * 4 * 2 + 2 * 2 * 2)  # problems x (tuning: defaults + 3 + best and defaults reruns)
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
    columns = ["problem", "method", "tuned", "validation_median", "test_median", "test_iqr", "defaults_test_median",
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
    columns = [
        "problem",
        "method",
        "tuned",
        "validation_median",
        "test_median",
        "test_iqr",
        "defaults_test_median",
        "tied_with_best",
        "p_vs_best",
    ]
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
        full = text.splitlines(keepends=True)  # cut inside the quoted settings of line 3, as a crash would
        return "".join([*full[:2], full[2][: full[2].index('"{') + 3]]).encode()
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


DAMAGES = {"cut mid-line": "runs.csv line 3", "garbage row": "line 3: stage is empty",
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
    other = python_output(code).strip()
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
    with pytest.raises(ValueError, match="budget must be >= 0"):
        fastopt.study([MINE], methods=["sgd"], budget=-1)


def test_the_defaults_are_always_tried_so_tuning_never_loses_to_them_on_validation(tiny):
    _, report = tiny
    tuned = report.runs[report.runs["stage"] == "tune"]
    for (problem, method), runs in tuned.groupby(["problem", "method"]):
        defaults = runs[runs["trial"] == 0]
        assert (
            defaults["settings"].iloc[0]["learning_rate"]
            == fastopt.methods.get_method(method).defaults["learning_rate"]
        )
        chosen = report.results[(report.results["problem"] == problem) & (report.results["method"] == method)]
        assert chosen["validation_median"].iloc[0] <= np.median(defaults["validation"])
    # budget 0: the defaults only, as Schmidt et al.'s one-shot setting
    one_shot = fastopt.study([MINE], methods=["adam"], budget=0, seeds=2, trial_seeds=2)
    assert set(one_shot.runs.loc[one_shot.runs["stage"] == "tune", "trial"]) == {0}
    assert json.loads(one_shot.results["tuned"].iloc[0]) == {"learning_rate": 0.001, "beta1": 0.9}


# Far above one of these fits: ~1 ms compiled, 0.10-0.15 s as plain Python (CI's coverage run).
SLOW = 0.6


def test_seconds_to_target_are_each_runs_own(monkeypatch):
    """A method made slower in its own runs only is slower to the target: times are not a group's split evenly."""
    module = sys.modules["fastopt.apps.study"]
    real_fit = module.fit

    def slow_adam(*args, **kwargs):
        if args[2] == "adam":
            time.sleep(SLOW)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(module, "fit", slow_adam)
    report = fastopt.study([MINE], **TINY)
    best = report.runs[report.runs["stage"] == "best"]
    assert (best.loc[best["method"] == "adam", "runtime_s"] >= SLOW).all()
    assert (best.loc[best["method"] == "sgd", "runtime_s"] < SLOW).all()
    seconds = report.results.set_index("method")["seconds_to_target"]
    epochs = report.results.set_index("method")["epochs_to_target"]
    assert seconds["adam"] >= SLOW / MINE.epochs * epochs["adam"] > 0


def test_results_mark_ties_with_the_best_and_the_report_says_which_are_worse(tiny):
    out, report = tiny
    results = pd.read_csv(out / "results.csv")
    for column in ("validation_median", "defaults_validation_median", "test_median", "test_iqr",
                   "defaults_test_median", "tied_with_best", "p_vs_best"):  # fmt: skip
        assert column in results.columns
    assert results["tied_with_best"].all()  # two seeds cannot tell methods apart, and the report says so
    assert "With 2 seeds no difference can reach p < 0.05." in (out / "report.md").read_text()
    # Six seeds, the defaults only: Adam at 1e-3 for 20 epochs is far from SGD at 1e-2 on every seed.
    apart = fastopt.study([MINE], methods=["sgd", "adam"], budget=0, seeds=6, trial_seeds=1)
    by_method = apart.results.set_index("method")
    assert by_method.loc["sgd", "tied_with_best"] and np.isnan(by_method.loc["sgd", "p_vs_best"])
    assert not by_method.loc["adam", "tied_with_best"] and by_method.loc["adam", "p_vs_best"] == 2.0**-6
    assert "Worse than it (paired Wilcoxon over the seeds, Holm-corrected, p < 0.05): adam" in apart.markdown()


def test_no_test_function_problem_has_its_minimum_at_the_origin():
    """Weight decay pulls toward 0: a minimum there would reward the one method that searches it, for free."""
    from fastopt.problems import RASTRIGIN_SHIFT

    from fastopt.problems import VARIANTS
    from fastopt.problems.noisy import RASTRIGIN_SHIFT_HELD_OUT

    minima = {"rosenbrock_noisy": np.ones(2), "rastrigin_noisy": RASTRIGIN_SHIFT,
              "rosenbrock_turned_noisy": np.ones(2), "rastrigin_moved_noisy": RASTRIGIN_SHIFT_HELD_OUT}  # fmt: skip
    for name, minimum in minima.items():
        problem = {**PROBLEMS, **VARIANTS}[name]
        data = problem.built()
        assert problem.score(minimum.copy(), data.x_test, data.y_test) == pytest.approx(0.0, abs=1e-12)
        assert problem.score(np.zeros(2), data.x_test, data.y_test) >= 1.0  # Rosenbrock: 1; Rastrigin: 28.4
        # Each start as far from its minimum as the original problem's: the variants change only the geometry.
        np.testing.assert_allclose(np.linalg.norm(problem.objective.init - minimum),
                                   np.linalg.norm([2.2, 2.2] if "rastrigin" in name else [-2.5, 1.0]))  # fmt: skip
        start = problem.score(np.asarray(problem.objective.init, dtype=float), data.x_test, data.y_test)
        original = PROBLEMS[name.split("_")[0] + "_noisy"]
        assert start == pytest.approx(original.score(np.asarray(original.objective.init, dtype=float),
                                                     data.x_test, data.y_test), rel=1e-12)  # fmt: skip


def test_every_method_tries_the_same_learning_rates():
    """Common random numbers: a method cannot win a problem by a luckier draw of its learning rate."""
    from fastopt.apps.study import DEFAULT_METHODS, draw_settings

    rates = {m: [s["learning_rate"] for s in draw_settings("p", m, "constant", 8)[1:]] for m in DEFAULT_METHODS}
    assert len({tuple(r) for r in rates.values()}) == 1
    assert (
        draw_settings("p", "adam", "constant", 8)[1]["beta1"] != draw_settings("p", "adamw", "constant", 8)[1]["beta1"]
    )
