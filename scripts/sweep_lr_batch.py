"""Study: learning rate x batch size for every method on the diamonds line fit.

Usage: ``python scripts/sweep_lr_batch.py OUT [--epochs N] [--seeds N]``.
Writes ``OUT/lr_batch.csv`` (one row per fit) and ``OUT/lr_batch.png`` (test
RMSE in dollars, mean over seeds, per method), and prints the best setting of
each method.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import fastopt
from fastopt.figures import comparison as plots
from fastopt.datasets import tutorial_split


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for lr_batch.csv and lr_batch.png")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    split = tutorial_split()
    grid = {
        "method": list(fastopt.METHODS),
        "learning_rate": [1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        "batch_size": [16, 64, 256, 1024],
        "seed": range(args.seeds),
    }
    table = fastopt.sweep(split.x_train, split.y_train, grid, epochs=args.epochs,
                          x_test=split.x_test, y_test=split.y_test)  # fmt: skip
    table["test_rmse_dollars"] = split.rmse_from_mse(table["test_mse"])
    table.drop(columns=["params"]).to_csv(args.out / "lr_batch.csv", index=False)
    plots.sweep_heatmap(table, "test_rmse_dollars", "test RMSE ($)").savefig(args.out / "lr_batch.png", dpi=120)
    means = table.groupby(["method", "learning_rate", "batch_size"])["test_rmse_dollars"].mean().reset_index()
    print(means.loc[means.groupby("method")["test_rmse_dollars"].idxmin()].to_string(index=False))
    print(f"{len(table)} fits; wrote lr_batch.csv and lr_batch.png to {args.out}")


if __name__ == "__main__":
    main()
