"""Every table's right-click menu: the row's actions, copy, export the selection to CSV, columns."""

from __future__ import annotations

import csv
import io

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from perps_desktop.ui.panels import PositionsPanel
from perps_desktop.ui.table_menu import row_menu, selection_csv, write_csv
from perps_desktop.ui.table_view import CELLS_PER_TURN
from tests import stubs
from tests.helpers import wait_until


def _panel(qtbot) -> PositionsPanel:
    panel = PositionsPanel()
    qtbot.addWidget(panel)
    panel.resize(1300, 300)
    panel.show()
    panel.set_snapshot(stubs.snapshot(positions=(stubs.position("BTC", 0.5, entry="65012.5", mark=65500),
                                                 stubs.position("ETH", -2, entry=3400, mark="3390.25"))))
    return panel


def _select(table, *rows: int) -> None:
    sel = table.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(table.model().index(r, 0), QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)


async def test_the_selection_exports_to_csv_as_shown(qtbot, tmp_path):
    panel = _panel(qtbot)
    table = panel.table
    _select(table, 1)
    text = selection_csv(table)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["Coin", "Side", "Size", "Entry", "Mark"] and "" not in rows[0]   # no action column
    assert rows[1:] == [[panel.model.text("ETH", c.key) for c in panel.model.columns if c.title]]
    assert rows[1][:5] == ["ETH", "SHORT", "2", "3,400", "3,390.25"]
    path = await write_csv(tmp_path / "positions.csv", text)
    assert path.read_text("utf-8") == text

    table.horizontalHeader().setSectionHidden(2, True)          # the column chooser's work
    _select(table)                                              # nothing selected: every row
    rows = list(csv.reader(io.StringIO(selection_csv(table))))
    assert "Size" not in rows[0] and [r[0] for r in rows[1:]] == ["BTC", "ETH"]


def test_the_menu_offers_the_rows_actions_and_copies_the_row(qtbot):
    panel = _panel(qtbot)
    table = panel.table
    asked: list[str] = []
    panel.close_requested.connect(asked.append)
    pos = table.visualRect(table.model().index(0, 0)).center()
    menu = row_menu(table, pos)
    names = [a.objectName() for a in menu.actions()]
    assert names[:2] == ["closePositionButtonMenu", "reducePositionButtonMenu"]
    assert {"copyRowsAction", "copyCellAction", "exportCsvAction"} <= set(names)
    next(a for a in menu.actions() if a.objectName() == "closePositionButtonMenu").trigger()
    assert asked == ["BTC"]
    next(a for a in menu.actions() if a.objectName() == "copyRowsAction").trigger()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied[0].startswith("Coin\tSide\tSize") and copied[1].startswith("BTC\tLONG\t0.5\t65,012.5")
    panel.set_read_only(True)
    menu = row_menu(table, pos)
    assert not next(a for a in menu.actions() if a.objectName() == "closePositionButtonMenu").isEnabled()


async def test_export_asks_for_a_file_without_blocking_and_writes_it(qtbot, tmp_path):
    panel = _panel(qtbot)
    table = panel.table
    _select(table, 0)
    menu = row_menu(table, table.visualRect(table.model().index(0, 0)).center())
    next(a for a in menu.actions() if a.objectName() == "exportCsvAction").trigger()
    dialog = table.window().findChild(QFileDialog, "exportCsvDialog")
    assert dialog is not None and dialog.isVisible()          # open(), not exec(): the loop kept running
    target = tmp_path / "btc.csv"
    dialog.selectFile(str(target))
    dialog.accept()
    await table.export_task
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert [r[0] for r in rows] == ["Coin", "BTC"]


async def test_rows_replaced_at_once_get_their_action_cells_a_few_per_turn(qtbot):
    panel = PositionsPanel()
    qtbot.addWidget(panel)
    panel.resize(1300, 600)
    panel.show()
    coins = [f"C{i}" for i in range(3 * CELLS_PER_TURN)]
    panel.set_snapshot(stubs.snapshot(positions=tuple(stubs.position(c, 1, entry=10, mark=10) for c in coins)))
    table = panel.table
    model = table.model()

    def cells() -> int:
        return sum(table.indexWidget(model.index(r, table.action_col)) is not None for r in range(model.rowCount()))

    assert model.rowCount() == len(coins) and cells() == CELLS_PER_TURN     # the loop is not held for all of them
    await wait_until(lambda: cells() == len(coins))                         # the rest on the next turns
    panel.set_snapshot(stubs.snapshot(positions=tuple(stubs.position(c + "X", 1, entry=10, mark=10) for c in coins)))
    assert cells() == CELLS_PER_TURN
    assert table.button_for(coins[-1] + "X", "closePositionButton") is not None   # asking makes them all now
    assert cells() == len(coins)
