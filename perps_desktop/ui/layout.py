"""LayoutStore: the window's geometry, dock layout, column widths and theme between runs (QSettings).

Stored in an INI file in the data directory (so each test, and each PERPS_DATA_DIR, has its own),
apart from the trading Settings. Everything carries `VERSION`: a layout saved by a different
version of the window is ignored, not half-applied.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QTableView

from perps_desktop.config import data_dir

__all__ = ["LayoutStore"]


class LayoutStore:
    VERSION = 1

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "window.ini"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def has_layout(self) -> bool:
        return self._qs.value("window/version", 0, type=int) == self.VERSION and self._qs.contains("window/state")

    def save(self, window: QMainWindow, tables: list[QTableView], theme: str) -> None:
        qs = self._qs
        qs.setValue("window/version", self.VERSION)
        qs.setValue("window/geometry", window.saveGeometry())
        qs.setValue("window/state", window.saveState(self.VERSION))
        qs.setValue("window/theme", theme)
        for t in tables:
            qs.setValue(f"tables/{t.objectName()}", t.horizontalHeader().saveState())
        qs.sync()

    def restore(self, window: QMainWindow, tables: list[QTableView]) -> bool:
        """Apply the saved layout; False (and nothing applied) when there is none for this version."""
        if not self.has_layout():
            return False
        geometry = self._qs.value("window/geometry")
        state = self._qs.value("window/state")
        if isinstance(geometry, QByteArray):
            window.restoreGeometry(geometry)
        ok = isinstance(state, QByteArray) and window.restoreState(state, self.VERSION)
        for t in tables:
            header = self._qs.value(f"tables/{t.objectName()}")
            if isinstance(header, QByteArray):
                t.horizontalHeader().restoreState(header)
        return bool(ok)

    def theme(self, default: str) -> str:
        value = self._qs.value("window/theme", default)
        return str(value) if value else default

    def clear(self) -> None:
        """Forget the layout (Reset layout); the theme stays."""
        theme = self._qs.value("window/theme")
        self._qs.clear()
        if theme:
            self._qs.setValue("window/theme", theme)
        self._qs.sync()
