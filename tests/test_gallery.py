"""The gallery and the scenes: tuned settings reproduce their scores, every promised file is written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fastopt
from fastopt.apps.gallery import LEARNING_RATES, settings_grid, tune
from fastopt.figures.gallery import frames

from conftest import run_cli

pytest.importorskip("matplotlib", reason="the plots extra is not installed")
PIL = pytest.importorskip("PIL.Image", reason="Pillow (with matplotlib) is not installed")


def test_a_tuned_setting_reproduces_its_score_with_minimize():
    tuned = tune("beale", "adam", steps=120, starts=3)
    assert tuned.trials == len(settings_grid("adam")) == 2 * len(LEARNING_RATES)
    rerun = []
    for start in range(3):
        result = fastopt.minimize(**tuned.minimize_arguments(start))
        rerun.append(result.value - tuned.function.minimum_value)
    assert np.median(rerun) == tuned.score
    # ... and no other setting of the grid scores better
    for settings in settings_grid("adam"):
        values = [fastopt.minimize("beale", list(p), "adam", steps=120, record_path=False, **settings).value
                  for p in tuned.starts]  # fmt: skip
        assert np.median(values) >= tuned.score - 1e-12 or not np.all(np.isfinite(values))


def test_divergence_from_any_start_disqualifies_a_setting():
    tuned = tune("rosenbrock", "sgd", steps=100, starts=3)
    assert np.isfinite(tuned.score) and tuned.run.status == "max_steps"


def test_command_writes_every_file_and_one_gif_frame_per_step_group(tmp_path, capsys):
    out = tmp_path / "gallery"
    result = run_cli(capsys, "gallery", "--out", str(out), "--functions", "himmelblau", "ravine", "--methods", "sgd",
                     "adam", "--steps", "40", "--starts", "2", "--frame-every", "7", "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "gallery.csv", "himmelblau.gif", "himmelblau.png", "ravine.gif", "ravine.png", "summary.png"
    ]  # fmt: skip
    with PIL.open(out / "himmelblau.gif") as gif:
        assert gif.n_frames == frames(40, 7) == 7  # steps 0, 7, ..., 35 and 40
    table = pd.read_csv(out / "gallery.csv")
    assert list(table[["function", "method"]].itertuples(index=False, name=None)) == [
        ("himmelblau", "sgd"), ("himmelblau", "adam"), ("ravine", "sgd"), ("ravine", "adam")
    ]  # fmt: skip
    row = table.iloc[1]
    arguments = json.loads(row["minimize_arguments"])
    assert arguments["steps"] == 40 and arguments["method"] == "adam" and "learning_rate" in arguments
    assert fastopt.minimize(**arguments).value == pytest.approx(row["final_value"], rel=0, abs=0)
    assert "tuned 4 (function, method) pairs" in result.stdout


def test_scenes_are_written(tmp_path, capsys):
    result = run_cli(capsys, "gallery", "--scene", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bias_correction.png", "escape.png", "ravine.png", "saddle.png", "scaling.png"
    ]  # fmt: skip


def test_the_stories_the_scenes_tell_hold():
    from fastopt.apps.scenes import SCENES, run_scene
    from fastopt.figures.gallery import step_lengths

    runs = {scene.name: dict(run_scene(scene)) for scene in SCENES}
    ravine = runs["ravine"]  # 5e-11 against 5e-3, about 1e8 times lower
    assert f"{ravine['momentum 0.7'].value:.0e}" == "5e-11" and f"{ravine['SGD'].value:.0e}" == "5e-03"
    assert 0.5e-8 < ravine["momentum 0.7"].value / ravine["SGD"].value < 2e-8
    scaling = runs["scaling"]  # the numbers its caption states
    covered = {k: 1 - abs(r.x[0]) / 1.8 for k, r in scaling.items()}
    assert covered["SGD, lr 0.0019"] < 0.4 and covered["RMSprop, lr 0.01"] > 0.95 and covered["Adam, lr 0.01"] > 0.75
    spread = {k: np.std(step_lengths(r)[-100:]) / np.mean(step_lengths(r)[-100:]) for k, r in scaling.items()}
    assert spread["RMSprop, lr 0.01"] > 1.5 * spread["Adam, lr 0.01"]
    escape = runs["escape"]
    assert escape["GD, no noise"].x[0] > 0 and np.all(escape["SGD, noise 3.5"].path[-200:, 0] < 0)
    deep = [np.mean(fastopt.minimize("double_well", None, "sgd", steps=400, learning_rate=0.05, clip_value=None,
                                     noise=3.5, seed=seed).path[-200:, 0] < 0) for seed in range(20)]  # fmt: skip
    assert np.mean(deep) >= 0.84 and sum(d >= 0.8 for d in deep) >= 15  # the caption's 85 % and 15 of 20
    bias = runs["bias_correction"]
    corrected, plain = (step_lengths(r) / 0.05 for r in (bias["Adam"], bias["Adam, no bias correction"]))
    assert plain[0] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-6) and np.sum(plain[:10] > 1) == 6
    assert corrected[0] == pytest.approx(1.0, rel=1e-6) and np.all(corrected[:10] <= 1.0 + 1e-12)
    saddle = runs["saddle"]
    gd = abs(saddle["GD"].x[1])
    assert round(gd, 3) == 0.023 and round(abs(saddle["SGD, noise 0.1"].x[1]), 3) == 0.048
    for fast in ("momentum 0.9", "Adam"):
        assert np.any(np.abs(saddle[fast].path[:50, 1]) > 1.0), fast
    noisy = [abs(fastopt.minimize("saddle", None, "sgd", steps=80, learning_rate=0.02, clip_value=None, noise=0.1,
                                  seed=seed).x[1]) for seed in range(20)]  # fmt: skip
    assert sum(y > gd for y in noisy) >= 15


def test_gallery_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown method 'lbfgs'"):
        fastopt.gallery(tmp_path, methods=["lbfgs"])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        fastopt.gallery(tmp_path, steps=0)


def test_a_path_that_leaves_the_window_is_marked_where_it_crosses():
    from fastopt.figures.gallery import exit_of

    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    inside = np.array([[0.0, 0.0], [1.0, 1.0], [1.5, 2.5]])
    assert exit_of(inside, bounds) is None
    path = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 2.0], [5.0, 2.0], [1.0, 1.0]])
    step, point, outside = exit_of(path, bounds)
    assert step == 2 and outside == 2
    np.testing.assert_allclose(point, [2.0, 1.5])  # (1, 1) -> (3, 2) crosses x = 2 halfway
    below = np.array([[0.0, 0.0], [-0.5, -3.0]])
    np.testing.assert_allclose(exit_of(below, bounds)[1], [-1 / 6, -1.0])


def _apart(a, b):
    """The larger distance from a point of one path to the other path: 0 when they draw the same curve."""
    gaps = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    return max(gaps.min(axis=1).max(), gaps.min(axis=0).max())


def test_the_default_gallery_draws_the_methods_apart_and_marks_exits():
    """The committed default gallery (docs/gallery): on every function some two tuned methods draw paths at least
    10 % of the window's diagonal apart (no function on which they all draw the same line), and the Rosenbrock
    paths that leave the window are the ones its panels mark."""
    from fastopt.apps.gallery import GALLERY_FUNCTIONS, GALLERY_METHODS
    from fastopt.figures.gallery import exit_of

    docs = Path(__file__).resolve().parent.parent / "docs" / "gallery"
    table = pd.read_csv(docs / "gallery.csv")
    assert tuple(dict.fromkeys(table["function"])) == GALLERY_FUNCTIONS
    for function, rows in table.groupby("function", sort=False):
        assert list(rows["method"]) == list(GALLERY_METHODS)
        f = fastopt.functions.get_function(function)
        diagonal = np.hypot(*(high - low for low, high in f.bounds))
        paths = [fastopt.minimize(**json.loads(a)).path for a in rows["minimize_arguments"]]
        assert max(_apart(p, q) for p in paths for q in paths) > 0.1 * diagonal, function
        if function == "rosenbrock":
            left = [m for m, p in zip(rows["method"], paths, strict=True) if exit_of(p, f.bounds) is not None]
            assert left == ["rmsprop"]  # lr 0.215: its first step leaves through the top (Adam's, lr 1, grazes it)
    for dropped in ("styblinski_tang", "plateau"):  # the same line from every method: out of the default gallery
        assert dropped not in GALLERY_FUNCTIONS
