"""``fastopt study``: the tuned, seeded optimizer benchmark from the command line."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from .. import problems
from ..apps.study import DEFAULT_METHODS, SCHEDULES, study
from ..io.extras import require
from .options import add_methods, non_negative_int, positive_int

__all__ = ["add_parser", "run"]


class _ProblemNames(Sequence[str]):
    """The suite's problem names, read when argparse first checks or prints them: the suite takes about a
    second to load (:mod:`fastopt.problems`), which ``fastopt compare`` and the others should not pay for."""

    def __getitem__(self, index: Any) -> Any:
        return list(problems.PROBLEMS)[index]

    def __len__(self) -> int:
        return len(problems.PROBLEMS)


def add_parser(commands: Any) -> None:
    """The ``study`` sub-command."""

    study = commands.add_parser(
        "study",
        help="tune every method on a suite of small problems, rerun the best over seeds, and report",
        description=(
            "For each problem and method: its defaults and --budget settings of random search (each "
            "scored by the median validation metric over --trial-seeds seeds), then the best setting and "
            "the defaults rerun with "
            "--seeds fresh seeds on the test rows. Writes runs.csv, results.csv, ranking.csv, study.json, "
            "report.md, report.tex and five figures (sensitivity, distributions, loss curves, critical "
            "difference, performance profile) to --out; "
            "rerunning with the same --out skips the runs already done."
        ),
    )
    study.add_argument("--list", action="store_true", help="list the problems and exit")
    study.add_argument("--problems", nargs="+", choices=_ProblemNames(), metavar="NAME",
                       help="(default: all: %(choices)s)")  # fmt: skip
    add_methods(study, "methods to tune", default=list(DEFAULT_METHODS))
    study.add_argument("--budget", type=non_negative_int, default=20,
                       help="random settings per method besides its defaults (default: 20; 0: none)")  # fmt: skip
    study.add_argument("--seeds", type=positive_int, default=10, help="fresh seeds of the reruns (default: 10)")
    study.add_argument("--trial-seeds", type=positive_int, default=3, help="seeds per tried setting (default: 3)")
    study.add_argument(
        "--seed-sets",
        type=positive_int,
        default=1,
        metavar="N",
        help="rerun the best settings on N disjoint sets of --seeds seeds; the report compares "
        "the rankings (Kendall's tau) and findings of set 0 with the others (default: 1)",
    )
    study.add_argument(
        "--held-out",
        action="store_true",
        help="tune on each problem that has a held-out variant and report on the variant "
        "(--list names them); problems without one are left out",
    )
    study.add_argument("--schedules", nargs="+", choices=list(SCHEDULES), default=["constant"],
                       help="(default: constant)")  # fmt: skip
    study.add_argument("--out", metavar="DIR", help="folder for the report (and for resuming)")
    study.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    study.add_argument("--quiet", action="store_true", help="no progress lines")
    study.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:

    if args.list:
        for problem in problems.PROBLEMS.values():
            print(f"{problem.name}: {problem.description}; {problem.metric} ({problems.METRICS[problem.metric]}), "
                  f"{problem.epochs} epochs, target {problem.target:g}")  # fmt: skip
            print(f"    data: {problem.source}")
            if problem.variant is not None:
                print(f"    held-out variant: {problem.variant.name}: {problem.variant.description}")
        return
    client = None
    if args.scheduler:
        distributed = require("distributed", "running on a Dask cluster", "dask")
        client = distributed.Client(args.scheduler)
    began = time.perf_counter()
    try:
        report = study(
            args.problems, args.methods, budget=args.budget, seeds=args.seeds, trial_seeds=args.trial_seeds,
            schedules=args.schedules, seed_sets=args.seed_sets, held_out=args.held_out, out=args.out,
            client=client, progress=None if args.quiet else print,
        )  # fmt: skip
    finally:
        if client is not None:
            client.close()
    print(report.markdown())
    where = f"; wrote the report to {args.out}" if args.out else ""
    print(f"study finished in {time.perf_counter() - began:.1f} s{where}")
