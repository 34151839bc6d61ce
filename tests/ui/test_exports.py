"""The ui package's public surface changes only on purpose."""

from __future__ import annotations

import perps_desktop.ui as ui


def test_all_is_sorted_and_complete():
    assert ui.__all__ == sorted(ui.__all__)
    for name in ui.__all__:
        assert getattr(ui, name) is not None, name


def test_both_themes_ship_as_package_data_and_keep_colours_out_of_code():
    from perps_desktop.ui.theme import THEMES, load_qss

    for name in THEMES:
        qss = load_qss(name)
        assert "qproperty-positiveColor" in qss and "QWidget#gaugeBar" in qss
