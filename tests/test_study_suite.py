"""The study's suite (problems on data sets nobody here made) and its protocol options: held-out variants,
seed sets and their stability, budget curves, every run in study.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fastopt
from fastopt.apps.study_runs import rerun_seeds, seed_set_of
from fastopt.apps.study_stats import kendall_tau
from fastopt.problems import PROBLEMS, VARIANTS, StudyData, StudyProblem

from conftest import run_cli

pytest.importorskip("matplotlib", reason="the plots extra is not installed")
pytest.importorskip("sklearn", reason="the sklearn extra is not installed")

TINY = dict(methods=["sgd", "adam"], budget=3, seeds=2, trial_seeds=2)


def test_the_suite_has_twelve_problems_on_five_data_sets_besides_diamonds():
    sources = {p.source.split(":")[0] for p in PROBLEMS.values() if p.objective is None}
    assert len(PROBLEMS) >= 12
    assert len(sources - {"diamonds"}) >= 5, sources
    kinds = {(p.loss, p.model == "linear") for p in PROBLEMS.values() if p.objective is None}
    assert {("squared_error", True), ("squared_error", False), ("cross_entropy", True), ("cross_entropy", False),
            ("log_loss", True)} <= kinds  # fmt: skip


@pytest.mark.parametrize("name", [*PROBLEMS, *VARIANTS])
def test_every_problem_builds_finite_standardized_splits_that_fit(name):
    problem = {**PROBLEMS, **VARIANTS}[name]
    data = problem.built()
    for part in ("train", "valid", "test"):
        x, y = getattr(data, f"x_{part}"), getattr(data, f"y_{part}")
        assert x.dtype == np.float64 and np.isfinite(x).all() and np.isfinite(y).all() and len(x) == len(y) > 0
    if problem.objective is None:
        np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-9)
        assert np.all((np.abs(data.x_train.std(axis=0) - 1) < 1e-9) | (data.x_train.std(axis=0) == 0))
        if problem.metric == "error":  # class labels 0..K-1, every class in the training rows
            labels = np.unique(data.y_train)
            np.testing.assert_array_equal(labels, np.arange(len(labels)))
            assert set(np.unique(data.y_test)) <= set(labels)
    # The defaults of Adam get somewhere on every problem in its epochs: no problem is broken or trivial.
    result = fastopt.fit(data.x_train, data.y_train, "rmsprop", seed=0, objective=problem.objective,
                         **problem.fit_arguments())  # fmt: skip
    start = fastopt.fit(data.x_train, data.y_train, "rmsprop", seed=0, objective=problem.objective,
                        **{**problem.fit_arguments(), "epochs": 0})  # fmt: skip
    trained = problem.score(result.params, data.x_test, data.y_test, data.scale)
    assert np.isfinite(trained) and trained < problem.score(start.params, data.x_test, data.y_test, data.scale)


def test_list_shows_each_problems_data_source_and_variant(capsys):
    result = run_cli(capsys, "study", "--list")
    assert result.returncode == 0
    for problem in PROBLEMS.values():
        assert f"data: {problem.source}" in result.stdout
        if problem.variant is not None:
            assert f"held-out variant: {problem.variant.name}" in result.stdout


def _line() -> StudyData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = x @ [1.0, -2.0] + 0.5 + 0.1 * rng.normal(size=300)
    return StudyData(x[:180], y[:180], x[180:240], y[180:240], x[240:], y[240:])


def _steeper_line() -> StudyData:
    data = _line()
    return StudyData(data.x_train, 3 * data.y_train, data.x_valid, 3 * data.y_valid, data.x_test, 3 * data.y_test)


STEEPER = StudyProblem("steeper", "the plane three times steeper", _steeper_line, metric="rmse", epochs=20,
                       target=0.5, batch_size=16)  # fmt: skip
MINE = StudyProblem("mine", "a noisy plane", _line, metric="rmse", epochs=20, target=0.2, batch_size=16,
                    variant=STEEPER)  # fmt: skip


def test_held_out_reruns_the_setting_tuned_on_the_problem_on_its_variant(tmp_path):
    held = fastopt.study([MINE], held_out=True, out=tmp_path, **TINY)
    own = fastopt.study([MINE], **TINY)
    assert [p.name for p in held.problems] == ["steeper"] and held.settings["tuned_on"] == {"steeper": "mine"}
    assert set(held.runs.loc[held.runs["stage"] == "tune", "problem"]) == {"mine"}
    assert set(held.runs.loc[held.runs["stage"] != "tune", "problem"]) == {"steeper"}
    # The same tuning as the study on the problem itself, so the same settings; rerun and scored on the variant.
    for method in TINY["methods"]:
        tuned = held.results.set_index("method").loc[method, "tuned"]
        assert tuned == own.results.set_index("method").loc[method, "tuned"]
        row = held.runs[(held.runs["stage"] == "best") & (held.runs["method"] == method)].iloc[0]
        data = STEEPER.built()
        result = fastopt.fit(data.x_train, data.y_train, method, seed=int(row["seed"]),
                             **{**STEEPER.fit_arguments(), **json.loads(tuned)})  # fmt: skip
        assert STEEPER.score(result.params, data.x_test, data.y_test) == row["test"]
    markdown = (tmp_path / "report.md").read_text()
    assert "## steeper" in markdown and "Settings tuned on mine, rerun here (held out)." in markdown
    with pytest.raises(ValueError, match="held_out=True needs a problem with a held-out variant; none of steeper"):
        fastopt.study([STEEPER], held_out=True, **TINY)


def test_seed_sets_rerun_on_disjoint_seeds_and_the_report_compares_the_rankings(tmp_path):
    report = fastopt.study([MINE, "rosenbrock_noisy"], methods=["sgd", "momentum", "adam"], budget=2, seeds=3,
                           trial_seeds=1, seed_sets=2, out=tmp_path)  # fmt: skip
    best = report.runs[report.runs["stage"] == "best"]
    sets = seed_set_of(best["seed"])
    assert set(best["seed"][sets == 0]) == set(rerun_seeds(0, 3)) and set(best["seed"][sets == 1]) == set(
        rerun_seeds(1, 3)
    )
    assert not set(rerun_seeds(0, 3)) & set(rerun_seeds(1, 3)) and min(rerun_seeds(0, 3)) > 2
    # The tables read seed set 0 alone: the same as a study with one seed set.
    one = fastopt.study([MINE, "rosenbrock_noisy"], methods=["sgd", "momentum", "adam"], budget=2, seeds=3,
                        trial_seeds=1)  # fmt: skip
    np.testing.assert_array_equal(report.results["test_median"], one.results["test_median"])
    assert one.stability == []
    rows = [r for r in report.stability if r["problem"] is not None]
    assert {r["problem"] for r in rows} == {"mine", "rosenbrock_noisy"}
    for row in rows:  # tau recomputed from the second set's runs
        again = best[(sets == 1) & (best["problem"] == row["problem"])].groupby("method")["test"].median()
        first = report.results[report.results["problem"] == row["problem"]].set_index("method")["test_median"]
        assert row["kendall_tau"] == pytest.approx(kendall_tau(first.to_dict(), again.to_dict()), nan_ok=True)
    across = [r for r in report.stability if r["problem"] is None]
    assert len(across) == 1 and -1 <= across[0]["kendall_tau"] <= 1
    markdown = (tmp_path / "report.md").read_text()
    assert "## Stability over seed sets" in markdown and "Kendall's tau between the average ranks" in markdown


def test_kendall_tau_of_rankings():
    first = {"a": 1.0, "b": 2.0, "c": 3.0}
    assert kendall_tau(first, {"a": 0.1, "b": 0.2, "c": 0.3}) == pytest.approx(1.0)
    assert kendall_tau(first, {"a": 3.0, "b": 2.0, "c": 1.0}) == pytest.approx(-1.0)
    assert kendall_tau(first, {"a": 1.0, "b": np.inf, "c": 2.0}) == pytest.approx(1 / 3)  # a diverged method ranks last
    assert np.isnan(kendall_tau(first, {"a": 1.0, "b": 1.0, "c": 1.0}))  # one tie: no ranking to compare
    assert np.isnan(kendall_tau(first, {"a": 1.0}))


def test_budget_curves_start_at_the_defaults_and_never_rise(tmp_path):
    report = fastopt.study([MINE], out=tmp_path, **TINY)
    tuned = report.runs[report.runs["stage"] == "tune"]
    for method, curve in report.budget_curves["mine"]["constant"].items():
        scores = tuned[tuned["method"] == method].groupby("trial")["validation"].median()
        assert len(curve) == TINY["budget"] + 1 and curve[0] == scores[0]  # trial 0: the defaults
        np.testing.assert_array_equal(curve, np.minimum.accumulate(scores.to_numpy()))
        chosen = report.results.set_index("method").loc[method, "validation_median"]
        assert curve[-1] == chosen
    payload = json.loads((tmp_path / "study.json").read_text())
    assert payload["budget_curves"]["mine"]["constant"] == report.budget_curves["mine"]["constant"]
    assert "## Budget" in (tmp_path / "report.md").read_text()


def test_study_json_holds_every_runs_seed_and_settings(tmp_path):
    report = fastopt.study([MINE], out=tmp_path, **TINY)
    payload = json.loads((tmp_path / "study.json").read_text())
    columns, rows = payload["runs"]["columns"], payload["runs"]["rows"]
    assert len(rows) == len(report.runs)
    for row, (_, run) in zip(rows, report.runs.iterrows(), strict=True):
        cell = dict(zip(columns, row, strict=True))
        assert (cell["stage"], cell["method"], cell["seed"], cell["settings"]) == (
            run["stage"], run["method"], run["seed"], run["settings"])  # fmt: skip
        assert cell["test"] == run["test"]


def test_the_turned_rosenbrocks_gradient_matches_finite_differences():
    from fastopt.problems import noisy

    data = VARIANTS["rosenbrock_turned_noisy"].built()
    no_rows = np.zeros(0, dtype=np.int64)  # no noise rows: the gradient alone
    for x in np.random.default_rng(0).normal(size=(5, 2)):
        grad = np.zeros(2)
        noisy._turned_rosenbrock_gradient(x, data.x_train, data.y_train, no_rows, grad)
        h = 1e-6
        numeric = [(noisy._turned_rosenbrock_value(x + h * e, data.x_train, data.y_train)
                    - noisy._turned_rosenbrock_value(x - h * e, data.x_train, data.y_train)) / (2 * h)
                   for e in np.eye(2)]  # fmt: skip
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)
