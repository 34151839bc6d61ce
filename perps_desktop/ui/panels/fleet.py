"""FleetPanel: every attached core on one line — and which one the other panels show.

Name, mode, network, equity, uPnL, positions, trading state, breakers not closed, data age and
whether the link is up. Choosing a row says `core_selected(index)`; "Halt all" and "Flatten all"
say `halt_all_requested` / `flatten_all_requested` (the window asks once, naming every bot).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from perps_desktop.app import FleetRow
from perps_desktop.ui.format import fmt_usd
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.table_model import KEY_ROLE, Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column

__all__ = ["FleetPanel"]


def _age(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f} s"


def _state_tone(r: FleetRow) -> str | None:
    return {"ACTIVE": "pos", "REDUCING": "warn", "HALTED": "neg"}.get(r.trading_state)


class FleetPanel(QWidget):
    core_selected = Signal(int)
    """The trader chose a core to show in every panel: (index in the fleet)."""
    halt_all_requested = Signal()
    """Halt every core (after one confirmation naming them all)."""
    flatten_all_requested = Signal()
    """Flatten every core (after one confirmation naming them all)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleetPanel")
        columns: tuple[Column[FleetRow], ...] = (
            Column(key="name", title="Bot", value=lambda r: r.name, width=150, tooltip=lambda r: r.status),
            Column(key="link", title="Link", value=lambda r: "up" if r.connected else "lost", width=45,
                   tone=lambda r: "ok" if r.connected else "crit", tooltip=lambda r: r.status),
            Column(key="mode", title="Mode", value=lambda r: r.mode, width=50),
            Column(key="network", title="Network", value=lambda r: r.network, width=65),
            Column(key="equity", title="Equity", value=lambda r: r.equity, align="right", width=95,
                   fmt=lambda v: "–" if v is None else fmt_usd(v, decimals=0)),
            Column(key="upnl", title="uPnL", value=lambda r: r.upnl, align="right", width=80,
                   fmt=lambda v: fmt_usd(v, signed=True), tone=lambda r: "pos" if r.upnl > 0 else
                   "neg" if r.upnl < 0 else None),
            Column(key="positions", title="Pos.", value=lambda r: r.positions, align="right", width=40),
            Column(key="trading", title="Trading", value=lambda r: r.trading_state, width=75, tone=_state_tone),
            Column(key="breakers", title="Breakers", value=lambda r: r.breakers_open, width=120,
                   fmt=lambda v: ", ".join(v) if v else "all closed",
                   tone=lambda r: "warn" if r.breakers_open else None),
            Column(key="age", title="Data age", value=lambda r: r.data_age_s, fmt=_age, align="right", width=70,
                   header_tip="Age of the oldest piece of account state the core's venue confirmed"),
        )
        self.model: SnapshotTableModel[FleetRow] = SnapshotTableModel(columns, key=lambda r: r.index, parent=self)
        self.table = DataTable(self.model, object_name="fleetTable", accessible_name="Fleet", sortable=False,
                               parent=self)
        self.table.clicked.connect(self._clicked)
        self.halt_button = self._button("Halt all", "haltAllButton", self.halt_all_requested)
        self.flatten_button = self._button("Flatten all", "flattenFleetButton", self.flatten_all_requested)
        self.summary = QLabel("", self)
        self.summary.setObjectName("fleetSummary")
        # a long summary is cut, never widens the dock (the window keeps its --size)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary, 1)
        row.addWidget(self.halt_button)
        row.addWidget(self.flatten_button)
        flush_column(self, bar, self.table)
        self.rows: list[FleetRow] = []
        self.selected = 0

    def _button(self, text: str, name: str, signal: SignalInstance) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setAccessibleName(f"{text} across the fleet")
        b.setProperty(ACTION_PROPERTY, True)
        b.clicked.connect(signal.emit)
        return b

    def _clicked(self, index: QModelIndex) -> None:
        key = self.table.model().data(index, KEY_ROLE)
        if isinstance(key, int):
            self.select(key)

    def select(self, index: int) -> None:
        self.selected = index
        self.core_selected.emit(index)
        self._summarise()

    def set_rows(self, rows: list[FleetRow]) -> None:
        if rows == self.rows:
            return
        self.rows = rows
        self.model.set_rows(rows)
        self._summarise()

    def _summarise(self) -> None:
        shown = next((r.name for r in self.rows if r.index == self.selected), "")
        lost = sum(not r.connected for r in self.rows)
        text = f"{len(self.rows)} bot(s) · showing {shown}" + (f" · {lost} link(s) lost" if lost else "")
        if self.summary.text() != text:
            self.summary.setText(text)
