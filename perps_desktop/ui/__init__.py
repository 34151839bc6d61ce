"""The Qt window: main window, panels, table models, charts, theme; reads only `perps_desktop.app`."""

from __future__ import annotations

from perps_desktop.ui.controller import ActionController
from perps_desktop.ui.main import run
from perps_desktop.ui.main_window import MainWindow, WindowOptions
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable, RowAction

__all__ = [
    "ActionController",
    "Column",
    "DataTable",
    "MainWindow",
    "RowAction",
    "SnapshotTableModel",
    "WindowOptions",
    "run",
]
