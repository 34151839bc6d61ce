"""OrdersPanel and FillsPanel: resting orders (Cancel, Cancel all) and recent fills, newest first."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from perps_desktop.app import CoreSnapshot, Fill, Order
from perps_desktop.ui.format import fmt_px, fmt_size, fmt_time, fmt_usd, to_float
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable, RowAction
from perps_desktop.ui.widgets import flush_column

__all__ = ["FillsPanel", "OrdersPanel"]


def _side_text(side: object) -> str:
    return "BUY" if str(side) == "B" else "SELL"


def _side_tone(side: object) -> str:
    return "pos" if str(side) == "B" else "neg"


def _flags(o: Order) -> str:
    flags = ["reduce-only"] if o.reduce_only else []
    if o.trigger_px:
        flags.append(f"trigger {fmt_px(o.trigger_px)}")
    return " ".join(flags)


class OrdersPanel(QWidget):
    """The account's resting orders."""

    cancel_requested = Signal(str, int)
    """Cancel was clicked on a row: (symbol, oid)."""
    cancel_all_requested = Signal()
    """Cancel all was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ordersPanel")
        columns: tuple[Column[Order], ...] = (
            Column(key="time", title="Time", value=lambda o: o.timestamp_ms, fmt=fmt_time, width=70),
            Column(key="symbol", title="Symbol", value=lambda o: o.symbol, width=70),
            Column(key="side", title="Side", value=lambda o: _side_text(o.side), width=50,
                   tone=lambda o: _side_tone(o.side)),
            Column(key="type", title="Type", value=lambda o: o.order_type + (f" {o.tif}" if o.tif else ""), width=80),
            Column(key="px", title="Price", value=lambda o: o.limit_px, fmt=fmt_px, align="right", width=90),
            Column(key="size", title="Size", value=lambda o: o.size, fmt=fmt_size, align="right", width=80),
            Column(key="filled", title="Filled", value=lambda o: o.orig_size - o.size, fmt=fmt_size,
                   align="right", width=70),
            Column(key="value", title="Value", value=lambda o: float(o.size) * float(o.limit_px),
                   fmt=lambda v: fmt_usd(v, decimals=0), align="right", width=80),
            Column(key="flags", title="Flags", width=80,
                   value=_flags,
                   tone=lambda o: "muted"),
            Column(key="oid", title="OID", value=lambda o: o.oid, align="right", width=80, tone=lambda o: "muted"),
            Column(key="actions", title="", value=lambda o: None, fmt=lambda v: "", width=80),
        )
        self.model: SnapshotTableModel[Order] = SnapshotTableModel(columns, key=lambda o: (o.symbol, o.oid),
                                                                   parent=self)
        self.table = DataTable(
            self.model, object_name="ordersTable", accessible_name="Open orders", action_column="actions",
            actions=(RowAction(name="cancel", text="Cancel", object_name="cancelOrderButton",
                               accessible="Cancel order {label}"),),
            row_label=lambda key: f"{key[0]} {key[1]}", parent=self,
        )
        self.table.row_action.connect(lambda name, key: self.cancel_requested.emit(str(key[0]), int(key[1])))
        self.count = QLabel("No open orders", self)
        self.count.setObjectName("ordersSummary")
        self.cancel_all_button = QPushButton("Cancel all", self)
        self.cancel_all_button.setObjectName("cancelAllButton")
        self.cancel_all_button.setAccessibleName("Cancel all open orders")
        self.cancel_all_button.setProperty(ACTION_PROPERTY, True)
        self.cancel_all_button.clicked.connect(self.cancel_all_requested)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.addWidget(self.count, 1)
        bar.addWidget(self.cancel_all_button)
        flush_column(self, bar, self.table)
        self._read_only = False

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.table.set_actions_enabled(not read_only)
        self.cancel_all_button.setEnabled(not read_only and self.model.rowCount() > 0)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.model.set_rows(snap.orders)
        n = len(snap.orders)
        text = f"{n} open order{'s' if n != 1 else ''}" if n else "No open orders"
        if self.count.text() != text:
            self.count.setText(text)
        self.cancel_all_button.setEnabled(not self._read_only and n > 0)


class FillsPanel(QWidget):
    """Recent fills, newest first (the snapshot's bounded list)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fillsPanel")

        def pnl_tone(f: Fill) -> str | None:
            v = to_float(f.closed_pnl) or 0.0
            return None if v == 0 else ("pos" if v > 0 else "neg")

        columns: tuple[Column[Fill], ...] = (
            Column(key="time", title="Time", value=lambda f: f.time_ms, fmt=fmt_time, width=70),
            Column(key="symbol", title="Symbol", value=lambda f: f.symbol, width=70),
            Column(key="side", title="Side", value=lambda f: _side_text(f.side), width=50,
                   tone=lambda f: _side_tone(f.side)),
            Column(key="dir", title="Direction", value=lambda f: f.direction, width=100),
            Column(key="px", title="Price", value=lambda f: f.px, fmt=fmt_px, align="right", width=90),
            Column(key="size", title="Size", value=lambda f: f.size, fmt=fmt_size, align="right", width=80),
            Column(key="fee", title="Fee", value=lambda f: f.fee, fmt=lambda v: fmt_usd(v, decimals=4),
                   align="right", width=80, tone=lambda f: "muted"),
            Column(key="pnl", title="Closed PnL", value=lambda f: f.closed_pnl, fmt=lambda v: fmt_usd(v, signed=True),
                   align="right", width=90, tone=pnl_tone),
            Column(key="oid", title="OID", value=lambda f: f.oid, align="right", width=80, tone=lambda f: "muted"),
        )
        self.model: SnapshotTableModel[Fill] = SnapshotTableModel(columns, key=lambda f: (f.tid, f.oid), parent=self)
        self.table = DataTable(self.model, object_name="fillsTable", accessible_name="Recent fills",
                               sortable=False, parent=self)
        flush_column(self, self.table)

    def set_read_only(self, read_only: bool) -> None:  # nothing to act on
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.model.set_rows(snap.fills)
