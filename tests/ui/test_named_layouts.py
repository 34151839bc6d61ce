"""Named layouts: save the arrangement as, switch between them; Reset layout forgets only the autosaved one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from perps_desktop.ui.menus import _fill_layouts
from tests import stubs

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea


def test_a_named_layout_is_saved_switched_to_and_kept_across_reset_and_restart(make_window, tmp_path):
    layout = tmp_path / "layout.ini"
    w = make_window(stubs.StubControl(), layout_path=layout)
    default_area = w.dockWidgetArea(w.docks["risk"])
    assert default_area != LEFT
    w.removeDockWidget(w.docks["risk"])
    w.addDockWidget(LEFT, w.docks["risk"])
    w.docks["risk"].show()
    w.panels["positions"].table.horizontalHeader().setSectionHidden(2, True)
    assert w.save_layout_as("risk left / no size") == "risk left _ no size"
    w.reset_layout()                                        # back to the default; the named one stays
    assert w.dockWidgetArea(w.docks["risk"]) == default_area
    assert not w.panels["positions"].table.horizontalHeader().isSectionHidden(2)
    assert w.layout_store.layout_names() == ["risk left _ no size"]
    assert w.switch_layout("risk left _ no size")
    assert w.dockWidgetArea(w.docks["risk"]) == LEFT
    assert w.panels["positions"].table.horizontalHeader().isSectionHidden(2)

    menu = QMenu()
    _fill_layouts(w, menu, w.action("saveLayoutAsAction"))
    entries = [a.text() for a in menu.actions() if a.text()]
    assert entries[0] == "&Save layout as…" and "risk left _ no size" in entries

    w2 = make_window(stubs.StubControl(), layout_path=layout)      # another run: still listed
    assert w2.layout_store.layout_names() == ["risk left _ no size"]
    w2.layout_store.delete_named("risk left _ no size")
    assert w2.layout_store.layout_names() == []
