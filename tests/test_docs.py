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
