"""Shared fixtures: the tutorial split and small synthetic problems."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings

# CI draws the same examples every run (a failure there reproduces); local runs explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

from fastopt.datasets import tutorial_split


@pytest.fixture(scope="session")
def split():
    return tutorial_split()


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Closed-form OLS parameters ``[w_1 .. w_d, b]`` via ``np.linalg.lstsq``."""
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    design = np.column_stack([X, np.ones(len(y))])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def linear_problem(n: int, d: int, seed: int = 0, noise: float = 0.1):
    """Standardized-scale features, known weights, Gaussian noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = X @ w + 0.5 + noise * rng.normal(size=n)
    return X, y


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def python_output(script: str) -> str:
    """What ``script`` prints in a new interpreter (for what a fresh process imports or computes)."""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout


def run_cli(capsys, *args: str) -> CliResult:
    """Run the ``fastopt`` command line in this process (so coverage sees it)."""
    from fastopt.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
