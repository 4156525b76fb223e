"""Study: how much each method's result varies from seed to seed (initial point and shuffles).

Usage: ``python scripts/seed_variance.py OUT [--epochs N] [--seeds N]``.
Each method runs with the tutorial's learning rate (its default for methods
outside the tutorial) for many seeds. Writes ``OUT/seed_variance.csv`` and
``OUT/seed_variance.png`` (test RMSE in dollars per seed, per method) and
prints mean, standard deviation and range per method.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import fastopt
from fastopt.apps.benchmark import TUTORIAL_BATCH_SIZE, TUTORIAL_SETTINGS
from fastopt.datasets import tutorial_split
from fastopt.figures.style import pyplot as _pyplot


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for seed_variance.csv and seed_variance.png")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=50)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    split = tutorial_split()
    grid = [
        {"method": method, **TUTORIAL_SETTINGS.get(method, {}), "seed": seed}
        for method in fastopt.METHODS
        for seed in range(args.seeds)
    ]
    table = fastopt.sweep(split.x_train, split.y_train, grid, epochs=args.epochs, batch_size=TUTORIAL_BATCH_SIZE,
                          stopping_threshold=0, x_test=split.x_test, y_test=split.y_test)  # fmt: skip
    table["test_rmse_dollars"] = split.rmse_from_mse(table["test_mse"])
    table.drop(columns=["params"]).to_csv(args.out / "seed_variance.csv", index=False)
    summary = table.groupby("method", sort=False)["test_rmse_dollars"].agg(["mean", "std", "min", "max"])
    print(summary.to_string(float_format=lambda v: f"{v:,.2f}"))
    plt, sns = _pyplot()
    figure, axis = plt.subplots(figsize=(9, 4.8))
    sns.stripplot(table, x="method", y="test_rmse_dollars", ax=axis, alpha=0.6)
    axis.set(xlabel="", ylabel="test RMSE ($)", title=f"Seed to seed: {args.seeds} seeds, {args.epochs} epochs each")
    figure.tight_layout()
    figure.savefig(args.out / "seed_variance.png", dpi=120)
    print(f"{len(table)} fits; wrote seed_variance.csv and seed_variance.png to {args.out}")


if __name__ == "__main__":
    main()
