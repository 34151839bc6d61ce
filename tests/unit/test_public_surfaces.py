"""Each subpackage's __init__ is its public surface: a sorted __all__ (ruff RUF022 order) of real names.

The public surface changes only on purpose: a name added without listing it, or listed without
existing, fails here (the httpx rule in ../shared/research/style.md).
"""

from __future__ import annotations

import importlib

import pytest

SUBPACKAGES = ["app", "bench", "core", "exchange", "sim", "store", "ui"]


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2  # CONSTANTS, Classes, functions
    return kind, name


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_all_is_sorted_unique_and_importable(name):
    module = importlib.import_module(f"perps_desktop.{name}")
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    assert len(set(exported)) == len(exported)
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == []
