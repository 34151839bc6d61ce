"""The default arrangement of the docks, for the room the window has.

Two arrangements, picked by the window's width:

- compact (below `WIDE_FROM` px, e.g. 1280x720): Positions across the whole width on top
  (Open orders, Fills, Alerts, Traces, Actions as tabs behind it), then Risk beside Breakers (Performance,
  Recovery, Caches, Benchmarks as tabs behind it) — every table gets the width its columns need
  instead of three panels each cutting their text;
- wide (1920x1080): Positions over Open orders, both visible, beside Risk over Caches; Breakers
  beside Performance below — the room is used, not left empty.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

__all__ = ["WIDE_FROM", "arrange_docks", "size_docks"]

WIDE_FROM = 1600

_TOP, _BOTTOM = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
_H, _V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical


def _tabs(w: QMainWindow, d: dict[str, QDockWidget], first: str, *rest: str) -> None:
    prev = first
    for key in rest:
        w.tabifyDockWidget(d[prev], d[key])
        prev = key


def arrange_docks(w: QMainWindow, d: dict[str, QDockWidget], width: int, height: int) -> None:
    """Put every dock of `d` (keyed by panel) where it belongs for a `width` x `height` window."""
    for dock in d.values():
        w.removeDockWidget(dock)
    if width >= WIDE_FROM:
        _wide(w, d)
    else:
        _compact(w, d)
    for dock in d.values():
        dock.setFloating(False)
        dock.show()
    size_docks(w, d, width, height)


def size_docks(w: QMainWindow, d: dict[str, QDockWidget], width: int, height: int) -> None:
    """Share the room between the docks (again once the window is shown: before that Qt has no
    sizes to share and keeps what it likes)."""
    docks_h = height - 130                  # menu, summary bar, status bar
    if width >= WIDE_FROM:
        right = 440
        w.resizeDocks([d["positions"], d["risk"]], [width - right, right], _H)
        w.resizeDocks([d["breakers"], d["performance"]], [width * 40 // 100, width * 60 // 100], _H)
        top = docks_h * 60 // 100
        w.resizeDocks([d["positions"], d["breakers"]], [top, docks_h - top], _V)
        w.resizeDocks([d["positions"], d["orders"]], [top * 55 // 100, top * 45 // 100], _V)
        w.resizeDocks([d["risk"], d["caches"]], [top * 72 // 100, top * 28 // 100], _V)
    else:
        risk_w = 340
        w.resizeDocks([d["risk"], d["breakers"]], [risk_w, width - risk_w], _H)
        w.resizeDocks([d["positions"], d["risk"]], [docks_h * 40 // 100, docks_h * 60 // 100], _V)


def _compact(w: QMainWindow, d: dict[str, QDockWidget]) -> None:
    w.addDockWidget(_TOP, d["positions"])
    w.addDockWidget(_BOTTOM, d["risk"])
    w.splitDockWidget(d["risk"], d["breakers"], _H)
    _tabs(w, d, "positions", "orders", "fills", "alerts", "traces", "actions")
    _tabs(w, d, "breakers", "performance", "timeline", "recovery", "caches", "benchmarks")
    for key in ("positions", "breakers"):
        d[key].raise_()


def _wide(w: QMainWindow, d: dict[str, QDockWidget]) -> None:
    w.addDockWidget(_TOP, d["positions"])
    w.splitDockWidget(d["positions"], d["risk"], _H)
    w.splitDockWidget(d["positions"], d["orders"], _V)
    w.splitDockWidget(d["risk"], d["caches"], _V)
    w.addDockWidget(_BOTTOM, d["breakers"])
    w.splitDockWidget(d["breakers"], d["performance"], _H)
    _tabs(w, d, "positions", "fills", "alerts", "traces", "actions")
    _tabs(w, d, "breakers", "recovery")
    _tabs(w, d, "performance", "timeline", "benchmarks")
    for key in ("positions", "breakers", "performance"):
        d[key].raise_()
