"""One table model for every panel: rows keyed by id, columns declared, cells updated in place.

A panel declares its columns as a tuple of frozen `Column` specs (vnpy's idea, typed) and hands
the model the rows of each snapshot. The model diffs them against what it shows: vanished keys
are removed, new keys inserted where they appear, and for rows that stayed only the cells whose
text, sort value or tone changed emit `dataChanged` — so a 10 Hz snapshot of 20 unchanged
positions costs no repaint at all.

Colour never lives here: a column may give a cell a *tone* ("pos", "neg", "warn", "crit", ...),
which the view's delegate turns into colours it reads from the QSS.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

__all__ = ["CHIP_ROLE", "KEY_ROLE", "SORT_ROLE", "SPARK_ROLE", "TONE_ROLE", "Column", "RowSortProxy",
           "SnapshotTableModel"]

R = TypeVar("R")

KEY_ROLE = Qt.ItemDataRole.UserRole + 1     # the row's key (symbol, (symbol, oid), name ...)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2    # the raw value a column sorts by
TONE_ROLE = Qt.ItemDataRole.UserRole + 3    # "pos" | "neg" | "warn" | "crit" | "ok" | "muted" | "*-bg" | None
SPARK_ROLE = Qt.ItemDataRole.UserRole + 4   # a tuple of floats for sparkline cells
CHIP_ROLE = Qt.ItemDataRole.UserRole + 5    # a tuple of short words drawn as chips ("reduce-only", "GTC")

# the roles data() answers, as plain ints: a view asks ~8 roles a cell on every paint, and an
# enum member's lookup and comparison cost more than the answer
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_ALIGN_ROLE = Qt.ItemDataRole.TextAlignmentRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole.value
_ANSWERED = frozenset({_DISPLAY, _ALIGN_ROLE, _TOOLTIP, _ACCESSIBLE, KEY_ROLE, SORT_ROLE, TONE_ROLE, SPARK_ROLE,
                       CHIP_ROLE})

_ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "right": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    "center": Qt.AlignmentFlag.AlignCenter,
}


def _str(v: Any) -> str:
    return "–" if v is None else str(v)


def _chips_text(v: Any) -> str:
    return " · ".join(v) if v else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Column(Generic[R]):
    """One declared column: how to read a row, print the value, tone and align the cell."""

    key: str
    title: str
    value: Callable[[R], Any]                       # the raw value; also the sort key
    fmt: Callable[[Any], str] = _str                # the text shown
    tone: Callable[[R], str | None] | None = None   # a tone name the delegate colours
    tooltip: Callable[[R], str] | None = None
    align: str = "left"
    width: int = 90
    spark: bool = False                             # value is a tuple of floats drawn as a sparkline
    chips: bool = False                             # value is a tuple of words drawn as chips
    header_tip: str = ""

    @property
    def painted(self) -> bool:
        """Drawn by the delegate (sparkline, chips), not as display text."""
        return self.spark or self.chips


@dataclass(slots=True)
class _Row(Generic[R]):
    key: Hashable
    item: R
    cells: list[tuple[str, Any, str | None]]       # (text, sort value, tone) per column


class SnapshotTableModel(QAbstractTableModel, Generic[R]):
    """Rows keyed by `key(row)`, kept in the order the snapshot gives them."""

    def __init__(self, columns: Sequence[Column[R]], key: Callable[[R], Hashable], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[R], ...] = tuple(columns)
        self._key = key
        self._rows: list[_Row[R]] = []
        self._index: dict[Hashable, int] = {}
        self.cells_changed = 0          # counters for tests and the bench: what an update cost
        self.resets = 0

    # --- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role not in _ANSWERED or not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == KEY_ROLE:
            return row.key
        text, sort_value, tone = row.cells[index.column()]
        if role == TONE_ROLE:
            return tone
        col = self.columns[index.column()]
        if role == _DISPLAY:
            return "" if col.painted else text
        if role == _ALIGN_ROLE:
            return _ALIGN.get(col.align, _ALIGN["left"])
        if role == _TOOLTIP:
            return col.tooltip(row.item) if col.tooltip else (text if len(text) > 24 else None)
        if role == _ACCESSIBLE:
            return f"{col.title}: {text}"
        return sort_value           # SORT_ROLE, SPARK_ROLE, CHIP_ROLE

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN.get(col.align, _ALIGN["left"])
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.header_tip or col.title
        return None

    # --- reading ------------------------------------------------------------------------
    def row_keys(self) -> list[Hashable]:
        return [r.key for r in self._rows]

    def item(self, row: int) -> R:
        return self._rows[row].item

    def item_for(self, key: Hashable) -> R | None:
        i = self._index.get(key)
        return None if i is None else self._rows[i].item

    def text(self, key: Hashable, column_key: str) -> str | None:
        """The text shown in a cell (tests and accessibility read it)."""
        i = self._index.get(key)
        if i is None:
            return None
        c = next(n for n, col in enumerate(self.columns) if col.key == column_key)
        return self._rows[i].cells[c][0]

    def tone(self, key: Hashable, column_key: str) -> str | None:
        i = self._index.get(key)
        if i is None:
            return None
        c = next(n for n, col in enumerate(self.columns) if col.key == column_key)
        return self._rows[i].cells[c][2]

    # --- updating -----------------------------------------------------------------------
    def _cells(self, item: R) -> list[tuple[str, Any, str | None]]:
        out = []
        for col in self.columns:
            v = col.value(item)
            text = "" if col.spark else (_chips_text(v) if col.chips else col.fmt(v))
            out.append((text, v, col.tone(item) if col.tone else None))
        return out

    def set_rows(self, items: Sequence[R]) -> int:
        """Show `items` (in their order); returns how many cells changed."""
        new_keys = [self._key(it) for it in items]
        if len(set(new_keys)) != len(new_keys):   # duplicate keys: keep the first of each
            first: dict[Hashable, R] = {}
            for k, it in zip(new_keys, items, strict=True):
                first.setdefault(k, it)
            new_keys, items = list(first), list(first.values())
        wanted = set(new_keys)
        # 1. remove vanished rows, bottom-up, a contiguous run at a time
        i = len(self._rows) - 1
        while i >= 0:
            if self._rows[i].key in wanted:
                i -= 1
                continue
            j = i
            while j - 1 >= 0 and self._rows[j - 1].key not in wanted:
                j -= 1
            self.beginRemoveRows(QModelIndex(), j, i)
            del self._rows[j:i + 1]
            self.endRemoveRows()
            i = j - 1
        # 2. the survivors must keep their relative order, else one reset (rare: a re-sorted feed)
        survivors = [r.key for r in self._rows]
        if survivors != [k for k in new_keys if k in set(survivors)]:
            self.beginResetModel()
            self._rows = [_Row(k, it, self._cells(it)) for k, it in zip(new_keys, items, strict=True)]
            self._reindex()
            self.endResetModel()
            self.resets += 1
            return len(self._rows) * len(self.columns)
        # 3. walk the new order: insert runs of new keys in place, diff the cells of the others
        changed = 0
        last_col = len(self.columns) - 1
        kept = set(survivors)
        pos = 0
        while pos < len(new_keys):
            k, it = new_keys[pos], items[pos]
            if pos < len(self._rows) and self._rows[pos].key == k:
                row = self._rows[pos]
                row.item = it
                cells = self._cells(it)
                if cells != row.cells:
                    old = row.cells
                    row.cells = cells
                    for c in range(last_col + 1):
                        if cells[c] != old[c]:
                            ix = self.index(pos, c)
                            self.dataChanged.emit(ix, ix)
                            changed += 1
                pos += 1
                continue
            end = pos                       # a run of new keys: one insertion
            while end < len(new_keys) and new_keys[end] not in kept:
                end += 1
            self.beginInsertRows(QModelIndex(), pos, end - 1)
            self._rows[pos:pos] = [_Row(new_keys[i], items[i], self._cells(items[i])) for i in range(pos, end)]
            self.endInsertRows()
            changed += (end - pos) * len(self.columns)
            pos = end
        self._reindex()
        self.cells_changed += changed
        return changed

    def _reindex(self) -> None:
        self._index = {r.key: n for n, r in enumerate(self._rows)}


class RowSortProxy(QSortFilterProxyModel):
    """Sorts by the raw value (SORT_ROLE); None sorts last, mixed types by their text."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        a = left.data(SORT_ROLE)
        b = right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not None and b is None
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
