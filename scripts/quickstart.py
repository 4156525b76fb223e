"""Fit the tutorial's line (diamonds: carat -> price) with every method and print test RMSE.

Runs offline with ``pip install ".[data]"``. Usage: ``python scripts/quickstart.py``.
"""

from __future__ import annotations

import time

import numpy as np

import fastopt
from fastopt.benchmark import TUTORIAL_BATCH_SIZE, TUTORIAL_EPOCHS, TUTORIAL_SETTINGS
from fastopt.datasets import tutorial_split


def main() -> None:
    split = tutorial_split()
    design = np.column_stack([split.x_train, np.ones_like(split.x_train)])
    m, b = np.linalg.lstsq(design, split.y_train, rcond=None)[0]
    print(f"{'method':<10} {'status':<10} {'epochs':>6} {'seconds':>8} {'test RMSE ($)':>14}")
    for method, settings in TUTORIAL_SETTINGS.items():
        start = time.perf_counter()
        result = fastopt.fit(
            split.x_train,
            split.y_train,
            method,
            epochs=TUTORIAL_EPOCHS,
            batch_size=TUTORIAL_BATCH_SIZE,
            seed=0,
            **settings,
        )
        seconds = time.perf_counter() - start
        print(
            f"{method:<10} {result.status:<10} {result.epochs_run:>6} {seconds:>8.3f} "
            f"{split.rmse_dollars(result):>14,.2f}"
        )
    print(f"{'OLS':<10} {'closed form':<10} {'-':>6} {'-':>8} {split.rmse_dollars(split.x_test * m + b):>14,.2f}")


if __name__ == "__main__":
    main()
