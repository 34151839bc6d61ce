"""The store's public surface changes only on purpose."""

from __future__ import annotations

import perps_desktop.store as store


def test_all_is_sorted_and_complete():
    assert store.__all__ == sorted(store.__all__)
    public = {n for n in dir(store) if not n.startswith("_") and not isinstance(getattr(store, n), type(store))}
    assert public == set(store.__all__)
