from __future__ import annotations

import perps_desktop.sim as sim


def test_public_names_are_sorted_and_importable():
    assert sim.__all__ == sorted(sim.__all__)
    assert all(hasattr(sim, name) for name in sim.__all__)
    assert "Simulator" in sim.__all__
