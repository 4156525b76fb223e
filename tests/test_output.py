"""Output files written whole or not at all, under names no other writer shares, and one run per out folder."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import warnings

import pytest

import fastopt
from fastopt.io.output import LOCK_NAME, folder_lock, partial_name, write_file


def test_partial_names_are_hidden_unique_and_keep_the_suffix(tmp_path):
    names = {partial_name(tmp_path / "rosenbrock.gif") for _ in range(100)}
    assert len(names) == 100
    for name in names:
        assert name.parent == tmp_path and name.name.startswith(".rosenbrock.") and name.suffix == ".gif"
        assert f".{os.getpid()}-" in name.name


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_an_interrupted_write_leaves_no_file(tmp_path, error):
    def write(partial):
        partial.write_text("half")
        raise error

    with pytest.raises(type(error) if isinstance(error, OSError) else error):
        write_file(tmp_path / "runs.csv", write)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_gif_leaves_no_file(tmp_path, monkeypatch):
    """Pillow's writer takes the format from the name: the partial file must end in .gif itself."""
    animation = pytest.importorskip("matplotlib.animation")

    saved = []

    def save(self, path, *args, **kwargs):
        saved.append(path)
        open(path, "w").write("frames")  # noqa: SIM115
        raise KeyboardInterrupt

    monkeypatch.setattr(animation.FuncAnimation, "save", save)
    with pytest.raises(KeyboardInterrupt) as interrupted:
        fastopt.gallery(tmp_path, functions=["rosenbrock"], methods=["sgd"], steps=5, starts=1)
    del interrupted  # its traceback holds the animation: collect it here, where its warning is expected
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Animation was deleted without rendering")  # the save was replaced
        gc.collect()
    assert len(saved) == 1 and saved[0].suffix == ".gif"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_folder_in_use_is_refused_and_released_after(tmp_path):
    with folder_lock(tmp_path, "study"):
        assert (tmp_path / LOCK_NAME).read_text() == str(os.getpid())
        with pytest.raises(RuntimeError, match=rf"in use by another study \(process {os.getpid()}\)"):
            with folder_lock(tmp_path, "study"):
                pass
    assert not (tmp_path / LOCK_NAME).exists()
    with folder_lock(tmp_path, "study"):  # free again
        pass


def test_a_lock_left_by_a_process_that_is_gone_is_taken_over(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / LOCK_NAME).write_text(str(gone.pid))
    with folder_lock(tmp_path, "study"):
        assert (tmp_path / LOCK_NAME).read_text() == str(os.getpid())


def test_a_second_study_on_one_folder_is_refused(tmp_path):
    (tmp_path / LOCK_NAME).write_text(str(os.getppid()))  # a running process holds it
    with pytest.raises(RuntimeError, match="in use by another study"):
        fastopt.study(["rosenbrock_noisy"], ["sgd"], budget=1, seeds=1, trial_seeds=1, out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME]  # nothing run, nothing written
