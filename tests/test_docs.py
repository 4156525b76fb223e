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
def test_readme_examples_run():
    """Every Python block of the README runs as written, in order, in one namespace."""
    import re
    import warnings
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.+?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 7
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the examples show what fit warns about
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["soft"].n_classes == 3
    assert abs(namespace["clf"].score(namespace["iris"].data, namespace["labels"]) - 1) < 0.05
    assert len(namespace["df"]) == 4 * 3 * 2 * 3
