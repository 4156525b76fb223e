"""docs/tutorial.ipynb: committed without outputs, and runs top to bottom offline (nbclient, a fresh kernel)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"
nbformat = pytest.importorskip("nbformat", reason="the test extra brings nbformat")


def test_the_tutorial_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 8
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "strip the outputs"


@pytest.mark.slow
@pytest.mark.jit
def test_the_tutorial_notebook_runs_top_to_bottom(tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="the test extra brings nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    began = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    assert time.perf_counter() - began < 180
    errors = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]  # fmt: skip
    assert not errors
    text = "".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs)
    assert "tutorial's sign, 8 epoch(s): test RMSE $11," in text  # the runaway the markdown describes
    assert "momentum 0.7: f - f* after 150 steps = 5" in text and "e-11" in text
