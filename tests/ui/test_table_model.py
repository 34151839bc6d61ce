"""SnapshotTableModel: rows keyed by id, cells updated in place, dataChanged only for changed cells."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt

from perps_desktop.ui.table_model import KEY_ROLE, SORT_ROLE, TONE_ROLE, Column, RowSortProxy, SnapshotTableModel


@dataclass(frozen=True)
class Row:
    key: str
    a: float
    b: str = "x"


COLUMNS = (
    Column(key="key", title="Key", value=lambda r: r.key),
    Column(key="a", title="A", value=lambda r: r.a, fmt=lambda v: f"{v:.1f}",
           tone=lambda r: "neg" if r.a < 0 else None),
    Column(key="b", title="B", value=lambda r: r.b),
)


class Spy:
    def __init__(self, model: SnapshotTableModel) -> None:
        self.changed: list[tuple[int, int]] = []
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.dataChanged.connect(lambda tl, br, roles=(): self.changed.append((tl.row(), tl.column())))
        model.rowsInserted.connect(lambda _p, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.removed.append((first, last)))
        model.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))


@pytest.fixture
def model(qapp):
    return SnapshotTableModel(COLUMNS, key=lambda r: r.key)


def test_same_rows_again_change_nothing(model):
    rows = [Row("BTC", 1.0), Row("ETH", 2.0)]
    model.set_rows(rows)
    spy = Spy(model)
    assert model.set_rows([Row("BTC", 1.0), Row("ETH", 2.0)]) == 0
    assert spy.changed == [] and spy.inserted == [] and spy.removed == [] and spy.resets == 0


def test_only_the_changed_cell_emits_data_changed(model):
    model.set_rows([Row("BTC", 1.0), Row("ETH", 2.0)])
    spy = Spy(model)
    model.set_rows([Row("BTC", 1.0), Row("ETH", 2.5)])
    assert spy.changed == [(1, 1)]
    assert model.text("ETH", "a") == "2.5"


def test_a_value_that_prints_the_same_still_updates_when_its_tone_changes(model):
    model.set_rows([Row("BTC", 0.01)])
    spy = Spy(model)
    model.set_rows([Row("BTC", -0.01)])         # "0.0" vs "-0.0": text and tone differ
    assert spy.changed == [(0, 1)]
    assert model.index(0, 1).data(TONE_ROLE) == "neg"


def test_new_rows_are_inserted_where_they_appear_and_vanished_rows_removed(model):
    model.set_rows([Row("b", 1), Row("c", 1)])
    spy = Spy(model)
    model.set_rows([Row("a", 1), Row("b", 1)])   # newest first: "a" arrives on top, "c" goes
    assert spy.removed == [(1, 1)]
    assert spy.inserted == [(0, 0)]
    assert spy.resets == 0
    assert model.row_keys() == ["a", "b"]


def test_a_reordered_feed_resets_once(model):
    model.set_rows([Row("a", 1), Row("b", 1), Row("c", 1)])
    spy = Spy(model)
    model.set_rows([Row("c", 1), Row("a", 1), Row("b", 1)])
    assert spy.resets == 1
    assert model.row_keys() == ["c", "a", "b"]


def test_duplicate_keys_keep_the_first(model):
    model.set_rows([Row("a", 1), Row("a", 2)])
    assert model.row_keys() == ["a"]
    assert model.text("a", "a") == "1.0"


def test_roles_carry_key_raw_value_and_alignment(model):
    model.set_rows([Row("BTC", 3.0)])
    ix = model.index(0, 1)
    assert ix.data(KEY_ROLE) == "BTC"
    assert ix.data(SORT_ROLE) == 3.0
    assert ix.data(Qt.ItemDataRole.DisplayRole) == "3.0"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "A"


def test_sort_proxy_sorts_by_raw_value_with_none_last(qapp):
    cols = (Column(key="k", title="K", value=lambda r: r[0]), Column(key="v", title="V", value=lambda r: r[1]))
    m = SnapshotTableModel(cols, key=lambda r: r[0])
    m.set_rows([("a", 10.0), ("b", None), ("c", 9.5), ("d", 100.0)])
    proxy = RowSortProxy()
    proxy.setSourceModel(m)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 0).data(KEY_ROLE) for r in range(4)] == ["c", "a", "d", "b"]


def test_a_run_of_new_rows_is_one_insertion(model):
    model.set_rows([Row("c", 1)])
    spy = Spy(model)
    model.set_rows([Row("a", 1), Row("b", 1), Row("c", 1), Row("d", 1), Row("e", 1)])
    assert spy.inserted == [(0, 1), (3, 4)]
    assert model.row_keys() == ["a", "b", "c", "d", "e"]
