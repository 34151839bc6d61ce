"""Themes: the QSS files shipped in `perps_desktop/resources/styles/`, and state via properties.

Every colour of the window lives in `dark.qss` / `light.qss`. Widgets only set dynamic
properties (`state="open"`, `level="warn"`, `tone="neg"`) and call `set_state()`, which
re-polishes them so the style sheet's property selectors apply.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QWidget

__all__ = ["THEMES", "app_icon", "load_qss", "set_state"]

THEMES = ("dark", "light")


def load_qss(name: str) -> str:
    """The style sheet text of theme `name` (package data, so it ships in wheels and builds)."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; one of {', '.join(THEMES)}")
    return resources.files("perps_desktop").joinpath("resources", "styles", f"{name}.qss").read_text("utf-8")


def app_icon() -> QIcon:
    """The window and tray icon (empty when the icons are not installed)."""
    icon = QIcon()
    base = resources.files("perps_desktop").joinpath("resources", "icons")
    for size in (16, 32, 64, 128, 256):
        f = base.joinpath(f"perps-desktop-{size}.png")
        if f.is_file():
            pm = QPixmap()
            pm.loadFromData(f.read_bytes())
            icon.addPixmap(pm)
    return icon


def set_state(widget: QWidget, name: str, value: Any) -> None:
    """Set a dynamic property the QSS selects on, re-polishing only when it changed."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
