"""Examples in docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fastopt

MODULES = [name for _, name, _ in pkgutil.iter_modules(fastopt.__path__, "fastopt.") if name != "fastopt.__main__"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_public_function_has_a_docstring():
    for name in fastopt.__all__:
        obj = getattr(fastopt, name)
        if callable(obj):
            assert obj.__doc__ and len(obj.__doc__) > 40, name


def test_optimizer_page_is_generated_from_the_registry():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "make_optimizer_docs.py"
    spec = importlib.util.spec_from_file_location("make_optimizer_docs", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = module.PAGE.read_text()
    assert page == module.render(), "docs/optimizers.md is stale: run python scripts/make_optimizer_docs.py"
    for name in fastopt.METHODS:
        assert f"## `{name}`" in page


@pytest.mark.jit
def test_readme_models_section_runs():
    """The code blocks of the README's "Models and losses" section run as written, in order."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split("## Models and losses", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.+?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["r"].params.shape == (601,)
    assert namespace["soft"].n_classes == 3
