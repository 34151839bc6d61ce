"""PositionsPanel: every open position with its PnL and liquidation distance; Close / Reduce 50%."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from perps_desktop.app import CoreSnapshot, Position
from perps_desktop.ui.format import fmt_pct, fmt_px, fmt_size, fmt_usd, to_float
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable, RowAction
from perps_desktop.ui.widgets import flush_column

__all__ = ["PositionsPanel"]


def _sign_tone(v: object) -> str | None:
    f = to_float(v)
    if f is None or f == 0:
        return None
    return "pos" if f > 0 else "neg"


def _pnl_pct(p: Position) -> float | None:
    basis = abs(float(p.size)) * float(p.entry_px)
    return float(p.unrealized_pnl) / basis * 100.0 if basis else None


def _fmt_distance(v: float | None) -> str:
    return ">999%" if v is not None and v >= 999.5 else fmt_pct(v)


class PositionsPanel(QWidget):
    """The open positions, sortable; each row has Close and Reduce 50%."""

    close_requested = Signal(str)
    """Close was clicked on a row: (symbol)."""
    reduce_requested = Signal(str, float)
    """Reduce 50% was clicked on a row: (symbol, fraction)."""

    REDUCE_FRACTION = 0.5

    def __init__(self, *, liq_warn_pct: float = 10.0, liq_crit_pct: float = 5.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positionsPanel")
        self.liq_warn_pct = liq_warn_pct
        self.liq_crit_pct = liq_crit_pct

        def liq_tone(p: Position) -> str | None:
            d = p.liquidation_distance_pct
            if d is None:
                return "muted"
            return "crit-bg" if d < self.liq_crit_pct else ("warn-bg" if d < self.liq_warn_pct else None)

        columns: tuple[Column[Position], ...] = (
            Column(key="symbol", title="Symbol", value=lambda p: p.symbol, width=64),
            Column(key="side", title="Side", value=lambda p: "LONG" if p.size > 0 else "SHORT", width=56,
                   tone=lambda p: "pos" if p.size > 0 else "neg"),
            Column(key="size", title="Size", value=lambda p: abs(p.size), fmt=fmt_size, align="right", width=78),
            Column(key="entry", title="Entry", value=lambda p: p.entry_px, fmt=fmt_px, align="right", width=84),
            Column(key="mark", title="Mark", value=lambda p: p.mark_px, fmt=fmt_px, align="right", width=84),
            Column(key="upnl", title="uPnL", value=lambda p: p.unrealized_pnl,
                   fmt=lambda v: fmt_usd(v, signed=True), tone=lambda p: _sign_tone(p.unrealized_pnl),
                   align="right", width=88),
            Column(key="upnl_pct", title="uPnL %", value=_pnl_pct, fmt=lambda v: fmt_pct(v, signed=True, decimals=2),
                   tone=lambda p: _sign_tone(p.unrealized_pnl), align="right", width=64),
            Column(key="value", title="Value", value=lambda p: p.notional, fmt=lambda v: fmt_usd(v, decimals=0),
                   align="right", width=76),
            Column(key="leverage", title="Lev.", value=lambda p: p.leverage, fmt=lambda v: f"{v}x",
                   align="right", width=40, tooltip=lambda p: f"{p.leverage}x {p.leverage_type}"),
            Column(key="liq", title="Liq. price", value=lambda p: p.liquidation_px, fmt=fmt_px, align="right",
                   width=84),
            Column(key="liq_dist", title="Liq. %", value=lambda p: p.liquidation_distance_pct, fmt=_fmt_distance,
                   tone=liq_tone, align="right", width=64,
                   header_tip="Distance from the mark to the liquidation price, in % of the mark"),
            Column(key="margin", title="Margin", value=lambda p: p.margin_used,
                   fmt=lambda v: fmt_usd(v, decimals=0), align="right", width=72),
            Column(key="actions", title="", value=lambda p: None, fmt=lambda v: "", width=140),
        )
        self.model: SnapshotTableModel[Position] = SnapshotTableModel(columns, key=lambda p: p.symbol, parent=self)
        self.table = DataTable(
            self.model, object_name="positionsTable", accessible_name="Open positions", action_column="actions",
            actions=(
                RowAction(name="close", text="Close", object_name="closePositionButton",
                          accessible="Close {label} position", tip="Close the whole position (reduce-only)",
                          danger=True),
                RowAction(name="reduce", text="Reduce 50%", object_name="reducePositionButton",
                          accessible="Reduce {label} position by half", tip="Cut the position in half (reduce-only)"),
            ),
            parent=self,
        )
        self.table.row_action.connect(self._on_row_action)
        self.summary = QLabel("No open positions", self)
        self.summary.setObjectName("positionsSummary")
        flush_column(self, self.table, self.summary)

    def _on_row_action(self, name: str, key: object) -> None:
        if name == "close":
            self.close_requested.emit(str(key))
        elif name == "reduce":
            self.reduce_requested.emit(str(key), self.REDUCE_FRACTION)

    def set_read_only(self, read_only: bool) -> None:
        self.table.set_actions_enabled(not read_only)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        positions = [p for p in snap.positions if p.size != 0]
        self.model.set_rows(positions)
        if not positions:
            text = "No open positions"
        else:
            notional = sum(p.notional for p in positions)
            upnl = sum(float(p.unrealized_pnl) for p in positions)
            longs = sum(1 for p in positions if p.size > 0)
            text = (f"{len(positions)} positions ({longs} long, {len(positions) - longs} short) · "
                    f"notional {fmt_usd(notional, decimals=0)} · uPnL {fmt_usd(upnl, signed=True)}")
        if self.summary.text() != text:
            self.summary.setText(text)
