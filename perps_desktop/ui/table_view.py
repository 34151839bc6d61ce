"""DataTable: the one table view, with toned cells, sparklines, chips and per-row actions.

Colours come from the QSS through Qt properties (`qproperty-positiveColor: #3fb950;`), so the
delegate can paint a cell green or red without a colour in the code. Per-row actions (Close,
Reduce 50%, Cancel, Reset ...) are compact icon buttons in one narrow column (words cut off at
1280x720), each with a stable objectName, a tooltip and an accessibleName naming its row; the
same actions, spelled out, head the right-click menu (`ui.table_menu`), which also copies rows,
exports the selection to CSV and chooses columns. Either way the table emits
`row_action(name, key)`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Property, QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QContextMenuEvent, QFont, QFontMetrics, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.table_menu import column_menu, row_menu
from perps_desktop.ui.table_model import (
    CHIP_ROLE,
    KEY_ROLE,
    SPARK_ROLE,
    TONE_ROLE,
    RowSortProxy,
    SnapshotTableModel,
)

__all__ = ["CELLS_PER_TURN", "STORY_ACTION", "DataTable", "RowAction", "chips_width"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RowAction:
    """A button shown in every row's action cell."""

    name: str               # what `row_action` carries: "close", "reduce", "cancel" ...
    text: str               # the words, in the right-click menu and the tooltip
    icon: str               # the button's glyph: "✕", "½", "↺" ...
    object_name: str        # the contract name, e.g. closePositionButton
    accessible: str         # "{label}" is replaced by the row's label, e.g. "Close {label} position"
    tip: str = ""
    danger: bool = False
    trading: bool = True    # False: it only shows something (Show story), so watch mode and replay keep it


#: the row action that opens the Timeline on the row's story (positions, orders, fills)
STORY_ACTION = RowAction(name="story", text="Show story", icon="⌕", object_name="showStoryButton",
                         accessible="Show the story of {label}", tip="open the Timeline on why this happened",
                         trading=False)


def _color_property(attr: str) -> Property:
    def getter(self: DataTable) -> QColor:
        return self._colors[attr]

    def setter(self: DataTable, value: QColor) -> None:
        self._colors[attr] = QColor(value)
        self.viewport().update()

    return Property(QColor, getter, setter)


class ToneDelegate(QStyledItemDelegate):
    """Paints a cell's tone (text colour, or a tinted background for `*-bg`) and sparklines."""

    def __init__(self, table: DataTable) -> None:
        super().__init__(table)
        self._table = table

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        colors = self._table._colors
        if self._table.stale:                   # numbers the venue has not confirmed lately: greyed
            option.palette.setColor(QPalette.ColorRole.Text, colors["mutedColor"])
            option.palette.setColor(QPalette.ColorRole.HighlightedText, colors["mutedColor"])
            return
        tone = index.data(TONE_ROLE)
        if not tone:
            return
        base, _, bg = str(tone).partition("-")
        color = colors.get(_TONES.get(base, "mutedColor"))
        if color is None:
            return
        option.palette.setColor(QPalette.ColorRole.Text, color)
        option.palette.setColor(QPalette.ColorRole.HighlightedText, color)
        if bg:
            tint = QColor(color)
            tint.setAlpha(48)
            option.backgroundBrush = QBrush(tint)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        col = self._table.source_model.columns[index.column()]    # a proxy sorts rows, never columns
        if not col.painted:
            return
        value = index.data(CHIP_ROLE if col.chips else SPARK_ROLE)
        if not isinstance(value, (tuple, list)):
            return
        if col.spark:
            _draw_sparkline(painter, QRectF(option.rect).adjusted(4, 4, -4, -4), value,
                            self._table._colors["sparklineColor"])
        else:
            _draw_chips(painter, QRectF(option.rect), value, self._table._colors["mutedColor"],
                        option.palette.color(QPalette.ColorRole.Text), option.font)


CHIP_PAD = 5            # inside a chip, each side
CHIP_GAP = 4            # between chips
CELL_PAD = 4            # from the cell's edge


def chips_width(words: Sequence[str], metrics: QFontMetrics) -> int:
    """The width `words` take as chips (the elided-text test and the column widths use it)."""
    if not words:
        return 0
    return (sum(metrics.horizontalAdvance(w) + 2 * CHIP_PAD for w in words) + CHIP_GAP * (len(words) - 1)
            + 2 * CELL_PAD)


def _draw_chips(painter: QPainter, rect: QRectF, words: Sequence[str], color: QColor, text: QColor,
                font: QFont) -> None:
    """Each word in a pill tinted with `color`, written in the table's text colour (any theme)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setFont(font)
    fm = QFontMetrics(font)
    h = min(rect.height() - 6, fm.height() + 2)
    x = rect.left() + CELL_PAD
    y = rect.center().y() - h / 2
    for w in words:
        width = fm.horizontalAdvance(w) + 2 * CHIP_PAD
        chip = QRectF(x, y, width, h)
        tint = QColor(color)
        tint.setAlpha(60)
        painter.setPen(QPen(tint, 1))
        painter.setBrush(tint)
        painter.drawRoundedRect(chip, h / 2, h / 2)
        painter.setPen(text)
        painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), w)
        x += width + CHIP_GAP
    painter.restore()


def _draw_sparkline(painter: QPainter, rect: QRectF, series: Sequence[float], color: QColor) -> None:
    values = [v for v in series if v is not None]
    if len(values) < 2 or rect.width() < 8:
        return
    lo, hi = 0.0, 1.0                                   # hit rates: a fixed 0..1 scale reads best
    if min(values) < lo or max(values) > hi:
        lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = rect.width() / (len(values) - 1)
    poly = QPolygonF([QPointF(rect.left() + i * step, rect.bottom() - (v - lo) / span * rect.height())
                      for i, v in enumerate(values)])
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(color, 1.5))
    painter.drawPolyline(poly)
    painter.restore()


_TONES = {
    "pos": "positiveColor", "ok": "positiveColor", "neg": "negativeColor", "crit": "criticalColor",
    "warn": "warningColor", "muted": "mutedColor", "accent": "accentColor",
}


ACTION_BUTTON_W = 24
#: new action cells made per turn of the event loop (~0.5 ms each with the theme's style sheet, most
#: of it in setIndexWidget): a feed that replaces every order at once would otherwise hold it a frame
CELLS_PER_TURN = 2


def action_column_width(n_actions: int) -> int:
    """The icon column's width for `n_actions` buttons."""
    return n_actions * (ACTION_BUTTON_W + 2) + 6


class DataTable(QTableView):
    """A QTableView over a SnapshotTableModel (through a sort proxy when `sortable`)."""

    row_action = Signal(str, object)
    """A row's action button was clicked: (action name, row key)."""

    positiveColor = _color_property("positiveColor")
    negativeColor = _color_property("negativeColor")
    warningColor = _color_property("warningColor")
    criticalColor = _color_property("criticalColor")
    mutedColor = _color_property("mutedColor")
    accentColor = _color_property("accentColor")
    sparklineColor = _color_property("sparklineColor")

    def __init__(self, model: SnapshotTableModel[Any], *, object_name: str, accessible_name: str,
                 sortable: bool = True, actions: Sequence[RowAction] = (), action_column: str | None = None,
                 row_label: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors: dict[str, QColor] = {
            "positiveColor": QColor("#3fb950"), "negativeColor": QColor("#f85149"),
            "warningColor": QColor("#d29922"), "criticalColor": QColor("#f85149"),
            "mutedColor": QColor("#8b949e"), "accentColor": QColor("#58a6ff"),
            "sparklineColor": QColor("#58a6ff"),
        }
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self.source_model = model
        self.row_actions = tuple(actions)
        self._row_label = row_label or (lambda key: str(key))
        self.actions_enabled = True
        self.action_col = next((i for i, c in enumerate(model.columns) if c.key == action_column), None)
        self.export_task: Any = None            # the last CSV export (tests await it)
        self._busy: frozenset[Hashable] = frozenset()
        self._cells_queued = False
        self.stale = False
        if sortable:
            self._proxy: RowSortProxy | None = RowSortProxy(self)
            self._proxy.setSourceModel(model)
            self.setModel(self._proxy)
            self.setSortingEnabled(True)
            self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)   # the feed's own order until a header is clicked
        else:
            self._proxy = None
            self.setModel(model)
        self.setItemDelegate(ToneDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)   # copy / export a selection
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(26)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.reset_columns()
        if self.row_actions:
            model.rowsInserted.connect(self._sync_row_widgets)
            model.modelReset.connect(self._sync_row_widgets)
            model.layoutChanged.connect(self._sync_row_widgets)
            if self._proxy is not None:
                self._proxy.layoutChanged.connect(self._sync_row_widgets)

    # --- columns --------------------------------------------------------------------------
    def reset_columns(self) -> None:
        """Declared widths and order (the "Reset layout" path)."""
        header = self.horizontalHeader()
        for logical, col in enumerate(self.source_model.columns):
            visual = header.visualIndex(logical)
            if visual != logical:
                header.moveSection(visual, logical)
            header.setSectionHidden(logical, False)
            header.resizeSection(logical, action_column_width(len(self.row_actions))
                                 if logical == self.action_col else col.width)

    def row_label(self, key: Hashable) -> str:
        return str(self._row_label(key))

    # --- the right-click menus ----------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        row_menu(self, self.viewport().mapFrom(self, event.pos())).popup(event.globalPos())
        event.accept()

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.setObjectName("columnsMenu")
        column_menu(self, menu)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    # --- rows -----------------------------------------------------------------------------
    def key_at(self, view_row: int) -> Hashable | None:
        m = self.model()
        return m.index(view_row, 0).data(KEY_ROLE) if 0 <= view_row < m.rowCount() else None

    def selected_key(self) -> Hashable | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return rows[0].data(KEY_ROLE) if rows else None

    def view_row_of(self, key: Hashable) -> int | None:
        m = self.model()
        for r in range(m.rowCount()):
            if m.index(r, 0).data(KEY_ROLE) == key:
                return r
        return None

    # --- per-row actions ------------------------------------------------------------------
    def set_actions_enabled(self, enabled: bool) -> None:
        self.actions_enabled = enabled
        for button in self._buttons():
            self._enable(button)

    def set_busy(self, keys: frozenset[Hashable]) -> None:
        """Rows whose action is in flight: their buttons are disabled and say "…" until it ends,
        so a second click cannot send (or cancel) a second action on the same row."""
        if keys == self._busy:
            return
        self._busy = frozenset(keys)
        for button in self._buttons():
            self._enable(button)

    def is_busy(self, key: Hashable) -> bool:
        return key in self._busy

    def set_stale(self, stale: bool) -> None:
        """Grey every number (the data is older than the staleness threshold)."""
        if stale != self.stale:
            self.stale = stale
            self.viewport().update()

    def _enable(self, button: QPushButton) -> None:
        busy = getattr(button, "row_key", None) in self._busy
        button.setEnabled((self.actions_enabled or not getattr(button, "trading", True)) and not busy)
        idle = button.property("idleText")
        text = "…" if busy else idle
        if text and button.text() != text:
            button.setText(text)
        button.setProperty("busy", busy)

    def action_buttons(self, object_name: str | None = None) -> list[QPushButton]:
        """Every row's action buttons (the cells still queued are made first)."""
        self._sync_cells(budget=None)
        return self._buttons(object_name)

    def _buttons(self, object_name: str | None = None) -> list[QPushButton]:
        return [b for b in self.findChildren(QPushButton)
                if b.property("rowAction") and (object_name is None or b.objectName() == object_name)]

    def button_for(self, key: Hashable, object_name: str) -> QPushButton | None:
        for b in self.action_buttons(object_name):
            if getattr(b, "row_key", None) == key:
                return b
        return None

    def _sync_row_widgets(self, *_: Any) -> None:
        self._sync_cells(budget=CELLS_PER_TURN)

    def _sync_queued_cells(self) -> None:
        if self._cells_queued:
            self._sync_cells(CELLS_PER_TURN)

    def _sync_cells(self, budget: int | None) -> None:
        """Give each row without one its action cell: at most `budget` now (None: all), the
        rest on the next turns of the loop, so rows replaced all at once never hold it long."""
        self._cells_queued = False
        if self.action_col is None:
            return
        m = self.model()
        made = 0
        for r in range(m.rowCount()):
            index = m.index(r, self.action_col)
            key = index.data(KEY_ROLE)
            cell = self.indexWidget(index)
            if cell is not None and getattr(cell, "row_key", None) == key:
                continue
            if budget is not None and made >= budget:
                self._cells_queued = True
                QTimer.singleShot(0, self, self._sync_queued_cells)
                return
            self.setIndexWidget(index, self._make_cell(key))
            made += 1

    def _make_cell(self, key: Hashable) -> QWidget:
        cell = QWidget(self)
        cell.setObjectName("rowActions")
        cell.row_key = key  # type: ignore[attr-defined]
        lay = QHBoxLayout(cell)
        lay.setContentsMargins(2, 1, 2, 1)
        lay.setSpacing(2)
        label = self._row_label(key)
        for act in self.row_actions:
            b = QPushButton(act.icon, cell)
            b.setObjectName(act.object_name)
            b.setAccessibleName(act.accessible.format(label=label))
            b.setToolTip(f"{b.accessibleName()}" + (f" — {act.tip}" if act.tip else "") + " (or right-click the row)")
            b.setFixedWidth(ACTION_BUTTON_W)
            b.setProperty("rowAction", True)
            b.setProperty("idleText", act.icon)
            b.setProperty(ACTION_PROPERTY, act.trading)
            b.setProperty("danger", act.danger)
            b.trading = act.trading  # type: ignore[attr-defined]
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.row_key = key  # type: ignore[attr-defined]
            self._enable(b)
            b.clicked.connect(lambda _=False, n=act.name, b=b: self.row_action.emit(n, b.row_key))
            lay.addWidget(b)
        lay.addStretch(1)
        return cell
