"""The exchange package's public names: in ruff's isort order (RUF022), and all importable."""

from __future__ import annotations

import perps_desktop.exchange as exchange


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2  # CONSTANTS, Classes, functions
    return kind, name


def test_all_is_sorted_and_importable():
    assert list(exchange.__all__) == sorted(exchange.__all__, key=_isort_key)
    for name in exchange.__all__:
        assert getattr(exchange, name) is not None
