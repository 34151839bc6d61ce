"""The right-click menu every table shares: the row's actions, copy, export to CSV, columns.

As VeighNa's monitors do, any table copies what it shows: the row under the mouse or the
selection, as tab-separated text (pastes into a spreadsheet) or as a CSV file. The texts are the
cells as displayed (formatted prices, "LONG", chips joined by " · "), in the columns' visual
order, hidden columns and the action column left out. The file is written off the event loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu

from perps_desktop.ui.table_model import KEY_ROLE

if TYPE_CHECKING:
    from perps_desktop.ui.table_view import DataTable

__all__ = ["column_menu", "row_menu", "selection_csv", "selection_rows", "write_csv"]

log = logging.getLogger(__name__)


def shown_columns(table: DataTable) -> list[int]:
    """Logical indices of the columns a reader sees, in visual order (no action column)."""
    header = table.horizontalHeader()
    cols = table.source_model.columns
    out = []
    for visual in range(header.count()):
        logical = header.logicalIndex(visual)
        if header.isSectionHidden(logical) or logical == table.action_col:
            continue
        if not cols[logical].title:
            continue
        out.append(logical)
    return out


def _row_texts(table: DataTable, key: Hashable, logical: list[int]) -> list[str]:
    model = table.source_model
    return [model.text(key, model.columns[c].key) or "" for c in logical]


def selection_rows(table: DataTable) -> list[Hashable]:
    """The selected rows' keys in view order; every row when nothing is selected."""
    m = table.model()
    sel = table.selectionModel()
    chosen = sorted(i.row() for i in sel.selectedRows()) if sel is not None else []
    rows = chosen or list(range(m.rowCount()))
    return [m.index(r, 0).data(KEY_ROLE) for r in rows]


def selection_csv(table: DataTable, keys: list[Hashable] | None = None, *, delimiter: str = ",") -> str:
    """The header and the rows of `keys` (default: the selection) as CSV text."""
    logical = shown_columns(table)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([table.source_model.columns[c].title for c in logical])
    for key in selection_rows(table) if keys is None else keys:
        writer.writerow(_row_texts(table, key, logical))
    return out.getvalue()


async def write_csv(path: Path, text: str) -> Path:
    """Write `text` to `path` on a worker thread (file I/O never runs on the shared loop)."""
    await asyncio.to_thread(path.write_text, text, "utf-8", newline="")
    return path


def _copy(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


def _log_export_failure(task: asyncio.Task[Path]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("CSV export failed: %s", task.exception())


def _export(table: DataTable, keys: list[Hashable]) -> None:
    """Ask for a file (a non-blocking dialog: no nested event loop) and write the rows there."""
    text = selection_csv(table, keys)
    dialog = QFileDialog(table.window(), "Export to CSV", f"{table.objectName()}.csv", "CSV files (*.csv)")
    dialog.setObjectName("exportCsvDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")

    def chosen(name: str) -> None:
        table.export_task = asyncio.ensure_future(write_csv(Path(name), text))
        table.export_task.add_done_callback(_log_export_failure)
    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()


def column_menu(table: DataTable, menu: QMenu) -> None:
    """Checkable entries that show or hide each column (saved with the layout)."""
    header = table.horizontalHeader()
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    for logical, col in enumerate(table.source_model.columns):
        if logical == table.action_col or not col.title:
            continue
        act = QAction(col.title, menu)
        act.setCheckable(True)
        act.setChecked(not header.isSectionHidden(logical))
        act.setEnabled(not (len(shown) <= 1 and logical in shown))      # never hide the last column
        act.toggled.connect(lambda on, c=logical: header.setSectionHidden(c, not on))
        menu.addAction(act)


def row_menu(table: DataTable, pos: QPoint) -> QMenu:
    """The menu for a right click at `pos` (viewport coordinates); the caller shows it."""
    menu = QMenu(table)
    menu.setObjectName("tableMenu")
    index = table.indexAt(pos)
    key = index.data(KEY_ROLE) if index.isValid() else None
    if key is not None:
        label = table.row_label(key)
        for act in table.row_actions:
            a = menu.addAction(f"{act.text} {label}")
            a.setObjectName(f"{act.object_name}Menu")
            a.setEnabled(table.actions_enabled or not act.trading)
            a.triggered.connect(lambda _=False, n=act.name, k=key: table.row_action.emit(n, k))
        if table.row_actions:
            menu.addSeparator()
        sel_keys = selection_rows(table) if table.selectionModel().hasSelection() else []
        keys = sel_keys if key in sel_keys else [key]
        copy = menu.addAction("Copy row" if len(keys) == 1 else f"Copy {len(keys)} rows")
        copy.setObjectName("copyRowsAction")
        copy.triggered.connect(lambda: _copy(selection_csv(table, keys, delimiter="\t")))
        cell = menu.addAction("Copy cell")
        cell.setObjectName("copyCellAction")
        text = table.source_model.text(key, table.source_model.columns[index.column()].key) or ""
        cell.triggered.connect(lambda: _copy(text))
    else:
        keys = selection_rows(table)
    export = menu.addAction("Export selection to CSV…" if table.selectionModel().hasSelection()
                            else "Export all rows to CSV…")
    export.setObjectName("exportCsvAction")
    export.triggered.connect(lambda: _export(table, keys if key is not None else selection_rows(table)))
    menu.addSeparator()
    column_menu(table, menu.addMenu("Columns"))
    return menu
