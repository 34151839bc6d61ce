"""LayoutStore: the window's geometry, dock layout, column widths and theme between runs (QSettings).

Stored in an INI file in the data directory (so each test, and each PERPS_DATA_DIR, has its own),
apart from the trading Settings. Everything carries `VERSION`: a layout saved by a different
version of the window is ignored, not half-applied. Besides the autosaved layout (`window/`,
`tables/`), the trader keeps named ones ("Save layout as…" under View → Layouts) in `layouts/`,
each with its docks and column states; Reset layout forgets the autosaved one only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QTableView

from perps_desktop.config import data_dir

__all__ = ["LayoutStore"]


def _group(name: str) -> str:
    """A layout name as a QSettings group (no "/" or "\\", which nest groups)."""
    return "layouts/" + "".join(c if c.isalnum() or c in " -_." else "_" for c in name.strip())[:60]


class LayoutStore:
    VERSION = 2         # 2: the size-aware default layout, the Actions and Timeline docks

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

    # --- named layouts ------------------------------------------------------------------------
    def layout_names(self) -> list[str]:
        self._qs.beginGroup("layouts")
        try:
            return sorted(n for n in self._qs.childGroups()
                          if self._qs.value(f"{n}/version", 0, type=int) == self.VERSION)
        finally:
            self._qs.endGroup()

    def save_named(self, name: str, window: QMainWindow, tables: list[QTableView]) -> str:
        """Keep the window's current layout as `name`; returns the name it is listed under."""
        group = _group(name)
        if group == "layouts/":
            raise ValueError("a layout needs a name")
        qs = self._qs
        qs.remove(group)
        qs.setValue(f"{group}/version", self.VERSION)
        qs.setValue(f"{group}/geometry", window.saveGeometry())
        qs.setValue(f"{group}/state", window.saveState(self.VERSION))
        for t in tables:
            qs.setValue(f"{group}/tables/{t.objectName()}", t.horizontalHeader().saveState())
        qs.sync()
        return group.removeprefix("layouts/")

    def restore_named(self, name: str, window: QMainWindow, tables: list[QTableView]) -> bool:
        """Apply the layout saved as `name` (docks and columns; the window keeps its size)."""
        group = _group(name)
        state = self._qs.value(f"{group}/state")
        if self._qs.value(f"{group}/version", 0, type=int) != self.VERSION or not isinstance(state, QByteArray):
            return False
        ok = window.restoreState(state, self.VERSION)
        for t in tables:
            header = self._qs.value(f"{group}/tables/{t.objectName()}")
            if isinstance(header, QByteArray):
                t.horizontalHeader().restoreState(header)
        return bool(ok)

    def delete_named(self, name: str) -> None:
        self._qs.remove(_group(name))
        self._qs.sync()

    def theme(self, default: str) -> str:
        value = self._qs.value("window/theme", default)
        return str(value) if value else default

    def clear(self) -> None:
        """Forget the autosaved layout (Reset layout); the theme and the named layouts stay."""
        theme = self._qs.value("window/theme")
        self._qs.remove("window")
        self._qs.remove("tables")
        if theme:
            self._qs.setValue("window/theme", theme)
        self._qs.sync()
