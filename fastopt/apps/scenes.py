"""The tutorial's stories about the optimizers, each one figure with a caption of what to look at.

``fastopt gallery --scene --out DIR`` (or :func:`scenes`) writes them:

- ``ravine.png``: momentum carries you along a ravine where plain SGD zigzags;
- ``scaling.png``: RMSprop and Adam take even steps in steep and flat directions;
- ``escape.png``: noisy SGD leaves a shallow valley that noiseless GD stays in;
- ``bias_correction.png``: Adam's first 50 steps with and without bias correction;
- ``saddle.png``: how long each method lingers at a saddle point.

Every run is a :func:`fastopt.minimize` call whose settings are in the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api.minimize import MinimizeResult, minimize
from ..figures.gallery import scene_figure
from ..figures.style import write_png
from ..functions import get_function
from ..io.output import output_folder

__all__ = ["scenes", "SCENES"]


@dataclass(frozen=True)
class Scene:
    name: str
    title: str
    caption: str
    function: Any  # (name, constants)
    runs: tuple[tuple[str, str, dict[str, Any]], ...]  # (label, method, minimize arguments)
    steps: int
    curve: str  # "value", "step" (each step's largest coordinate), "escape" (|y|) or "side" (x, which valley)


SCENES: tuple[Scene, ...] = (
    Scene(
        "ravine",
        "Momentum through a ravine",
        "Curvatures 1 and 100, the same learning rate (0.019, just under plain SGD's stability limit 2/100). "
        "SGD bounces between the steep walls and crawls along the gentle floor; momentum (0.7) keeps its velocity "
        "along the floor, where the gradients agree, and cancels it across the walls, where they alternate: "
        "after 150 steps its value is 5e-11 against SGD's 5e-3, about 100 million times lower.",
        ("ravine", {"condition": 100.0}),
        (
            ("SGD", "sgd", dict(learning_rate=0.019, clip_value=None)),
            ("momentum 0.7", "momentum", dict(learning_rate=0.019, momentum=0.7, clip_value=None)),
        ),
        150,
        "value",
    ),
    Scene(
        "scaling",
        "Adaptive steps in a badly scaled valley",
        "Curvatures 1 and 1000. SGD must keep its rate below 2/1000 for the steep direction and then barely "
        "moves along the flat one: after 200 steps it has covered a third of the way (x from -1.8 to -1.23). "
        "RMSprop and Adam, at one rate (0.01), divide each coordinate's step by its own gradient size and cover "
        "99 % and 80 % of it. RMSprop's steps rattle: over the last 100 their lengths vary by 36 % of their "
        "mean, Adam's by 18 %, its momentum averaging the steep direction's alternating gradients.",
        ("ravine", {"condition": 1000.0}),
        (
            ("SGD, lr 0.0019", "sgd", dict(learning_rate=0.0019, clip_value=None)),
            ("RMSprop, lr 0.01", "rmsprop", dict(learning_rate=0.01)),
            ("Adam, lr 0.01", "adam", dict(learning_rate=0.01)),
        ),
        200,
        "value",
    ),
    Scene(
        "escape",
        "Noise helps escape a local minimum",
        "Both start in the shallow right-hand valley with the same rate (0.05). Noiseless gradient descent "
        "stays there; SGD with gradient noise (standard deviation 3.5, a stand-in for minibatch noise) is "
        "knocked over the ridge into the deeper left-hand valley, which is harder to leave than the shallow one "
        "was: the run drawn (seed 0) spends all of its last 200 steps there, and over seeds 0-19 the noisy runs "
        "spend 85 % of their last 200 steps there on average, 15 of the 20 at least 80 % (noise still knocks "
        "some back).",
        ("double_well", {}),
        (  # the noisy run first, so that the noiseless path and its start are drawn over it
            ("SGD, noise 3.5", "sgd", dict(learning_rate=0.05, clip_value=None, noise=3.5, seed=0)),
            ("GD, no noise", "sgd", dict(learning_rate=0.05, clip_value=None)),
        ),
        400,
        "side",
    ),
    Scene(
        "bias_correction",
        "Adam's bias correction in the first steps",
        "m and v start at zero. Without correction v is tiny at first (0.001 g**2 after one step) while m is "
        "0.1 g, so the first step moves a coordinate 0.1/sqrt(0.001) = 3.2 times the learning rate, and 6 of the "
        "first 10 steps exceed it; with correction no early step does, as intended. (After 50 steps the "
        "uncorrected run is nearer the minimum here, its oversized early steps having carried it further down "
        "the valley: the correction sets the first steps' size, it does not promise a better destination.)",
        ("rosenbrock", {}),
        (
            ("Adam", "adam", dict(learning_rate=0.05)),
            ("Adam, no bias correction", "adam", dict(learning_rate=0.05, bias_correction=False)),
        ),
        50,
        "step",
    ),
    Scene(
        "saddle",
        "Leaving a saddle point",
        "f = x**2 - y**2, starting 0.001 off the ridge line. Gradient descent first slides to the saddle and "
        "lingers, since the gradient there is nearly zero: after 80 steps it is only 0.023 off the ridge line. "
        "Momentum (0.9) builds speed along the escape direction and Adam rescales the tiny gradient: both pass "
        "|y| = 1 before step 50. Noise alone (0.1) pushes gradient descent off faster too: at step 80 it is "
        "farther from the ridge line than the noiseless run on at least 15 of 20 seeds (the drawn one, seed 0, "
        "at 0.048). Right: the distance from the ridge line, |y|, which grows exponentially once a method is on "
        "its way.",
        ("saddle", {}),
        (
            ("GD", "sgd", dict(learning_rate=0.02, clip_value=None)),
            ("momentum 0.9", "momentum", dict(learning_rate=0.02, momentum=0.9, clip_value=None)),
            ("Adam", "adam", dict(learning_rate=0.02)),
            ("SGD, noise 0.1", "sgd", dict(learning_rate=0.02, clip_value=None, noise=0.1, seed=0)),
        ),
        80,
        "escape",
    ),
)


def run_scene(scene: Scene) -> list[tuple[str, MinimizeResult]]:
    name, constants = scene.function
    f = get_function(name, **constants)
    return [(label, minimize(f, None, method, steps=scene.steps, **args)) for label, method, args in scene.runs]


def scenes(out: str | Path, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every scene's figure to ``out``; return the paths."""

    folder = output_folder(out)
    assert folder is not None
    written = []
    for scene in SCENES:
        runs = run_scene(scene)
        path = folder / f"{scene.name}.png"
        write_png(scene_figure(scene, runs), path)
        written.append(path)
        if progress is not None:
            progress(f"wrote {path}")
    return written
