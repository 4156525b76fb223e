"""``fastopt gallery``: the fairly tuned gallery of optimizer paths, or the tutorial's scenes."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..apps.gallery import GALLERY_FUNCTIONS, GALLERY_METHODS, gallery
from ..apps.scenes import scenes
from ..functions import FUNCTIONS
from .options import add_methods, positive_int

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """The ``gallery`` sub-command."""

    gallery = commands.add_parser(
        "gallery",
        help="tune every method on the test functions and draw their paths (or, with --scene, the stories)",
        description=(
            "For each test function and method, tune the learning rate and one more hyperparameter on a log "
            "grid with the same step budget from several starts, then draw each method's path with its tuned "
            "settings: <function>.png, <function>.gif, summary.png and gallery.csv (every tuned setting and the "
            "exact fastopt.minimize call to rerun it). --scene writes the tutorial's stories instead."
        ),
    )
    gallery.add_argument("--out", metavar="DIR", required=True, help="folder for the figures and gallery.csv")
    gallery.add_argument(
        "--functions", nargs="+", type=str.lower, choices=list(FUNCTIONS), default=list(GALLERY_FUNCTIONS),
        metavar="NAME", help=f"(default: {' '.join(GALLERY_FUNCTIONS)}; choices: {', '.join(FUNCTIONS)})",
    )  # fmt: skip
    add_methods(gallery, "methods to tune", default=list(GALLERY_METHODS))
    gallery.add_argument("--steps", type=positive_int, default=300, help="step budget of every run (default: 300)")
    gallery.add_argument("--starts", type=positive_int, default=3, help="starting points per setting (default: 3)")
    gallery.add_argument(
        "--frame-every", type=positive_int, default=10, help="steps per frame of the GIFs (default: 10)"
    )
    gallery.add_argument("--no-animation", dest="animate", action="store_false", help="skip the GIFs")
    gallery.add_argument("--scene", action="store_true", help="write the tutorial's scenes instead of the gallery")
    gallery.add_argument("--quiet", action="store_true", help="no progress lines")
    gallery.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:

    say = None if args.quiet else print
    began = time.perf_counter()
    if args.scene:
        written = scenes(args.out, progress=say)
        print(f"wrote {len(written)} scenes to {args.out} in {time.perf_counter() - began:.1f} s")
        return
    results = gallery(
        args.out, functions=args.functions, methods=args.methods, steps=args.steps, starts=args.starts,
        frame_every=args.frame_every, animate=args.animate, progress=say,
    )  # fmt: skip
    print(
        f"tuned {len(results)} (function, method) pairs in {time.perf_counter() - began:.1f} s; wrote "
        f"gallery.csv, summary.png and a PNG{' and a GIF' if args.animate else ''} per function to {args.out}"
    )
