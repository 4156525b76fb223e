"""The gallery and the scenes: tuned settings reproduce their scores, every promised file is written."""

from __future__ import annotations

import json

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
    ravine = runs["ravine"]
    assert ravine["momentum 0.7"].value < 1e-6 * ravine["SGD"].value
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
    assert abs(saddle["Adam"].x[1]) > 10 * abs(saddle["GD"].x[1])


def test_gallery_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown method 'lbfgs'"):
        fastopt.gallery(tmp_path, methods=["lbfgs"])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        fastopt.gallery(tmp_path, steps=0)
