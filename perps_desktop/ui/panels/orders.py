"""OrdersPanel and FillsPanel: resting orders (Cancel, Cancel all) and recent fills, newest first.

Orders read as on the venue's screen: its order-type words ("Stop Market"), a Trigger column
for stops and take-profits (a stop-market's limit price is only its slippage bound, so Price says
"Market"), and the flags as chips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from perps_desktop.app import CoreSnapshot, Fill, Order, is_own_stop, trigger_kind
from perps_desktop.ui.format import fmt_datetime, fmt_pct, fmt_px, fmt_size, fmt_time, fmt_usd, to_float
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import STORY_ACTION, DataTable, RowAction
from perps_desktop.ui.widgets import flush_column

__all__ = ["FillsPanel", "OrdersPanel"]


def _side_text(side: object) -> str:
    return "BUY" if str(side) == "B" else "SELL"


def _side_tone(side: object) -> str:
    return "pos" if str(side) == "B" else "neg"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    o: Order
    mid: float | None           # the coin's mid now (for the trigger's distance)


def _kind(o: Order) -> str | None:
    return trigger_kind(o)


def _untyped_bot_stop(o: Order) -> bool:
    """A pushed row of the bot's own stop (its cloid says so): a stop-market whose type and
    trigger arrive with the next full read."""
    return not o.order_type and is_own_stop(o)


def _type_text(o: Order) -> str:
    """The venue's own words ("Stop Market", "Take Profit Limit", "Limit"); a pushed row that has
    not said its type yet (the next full read does) shows "Order"."""
    if _untyped_bot_stop(o):
        return "Stop Market"
    return o.order_type or ("Stop" if o.trigger_px is not None else "Order")


def _is_market_trigger(o: Order) -> bool:
    return (o.trigger_px is not None or _untyped_bot_stop(o)) and "limit" not in o.order_type.lower()


def _fires_above(o: Order) -> bool:
    """A sell stop fires as the price falls to it; a sell take-profit as it rises (and the reverse)."""
    return (_kind(o) == "tp") == (str(o.side) == "A")


def _trigger_text(r: _Row) -> str:
    o = r.o
    if o.trigger_px is None:
        return "…" if _untyped_bot_stop(o) else ""
    mark = f" ({fmt_pct(abs(float(o.trigger_px) - r.mid) / r.mid * 100.0)})" if r.mid else ""
    return f"{'≥' if _fires_above(o) else '≤'} {fmt_px(o.trigger_px)}{mark}"


def _trigger_tip(r: _Row) -> str:
    o = r.o
    if _untyped_bot_stop(o):
        return "The bot's stop-loss, just placed: its trigger arrives with the next full read"
    if o.trigger_px is None:
        return "Not a trigger order: it rests on the book at its limit price"
    word = "rises to" if _fires_above(o) else "falls to"
    then = "a market order" if _is_market_trigger(o) else f"a limit order at {fmt_px(o.limit_px)}"
    return f"Fires when the mark price {word} {fmt_px(o.trigger_px)}; then {then}"


def _price_text(o: Order) -> Any:
    return "Market" if _is_market_trigger(o) else o.limit_px


def _flags(o: Order) -> tuple[str, ...]:
    chips = []
    if o.reduce_only:
        chips.append("reduce-only")
    if o.tif:
        chips.append(o.tif.upper())
    if is_own_stop(o):
        chips.append("bot stop")
    return tuple(chips)


_FLAG_TIP = ("reduce-only: can only shrink a position · GTC good till cancelled · IOC immediate or cancel · "
             "ALO add liquidity only (post-only) · bot stop: the stop-loss this bot keeps")


class OrdersPanel(QWidget):
    """The account's resting orders."""

    cancel_requested = Signal(str, int)
    """Cancel was clicked on a row: (symbol, oid)."""
    cancel_all_requested = Signal()
    """Cancel all was clicked."""
    story_requested = Signal(str, str, object, object)
    """Show story was clicked on a row: ("order", symbol, oid, None)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ordersPanel")
        columns: tuple[Column[_Row], ...] = (
            Column(key="time", title="Time", value=lambda r: r.o.timestamp_ms, fmt=fmt_time, width=66,
                   tooltip=lambda r: "Placed " + fmt_datetime(r.o.timestamp_ms)),
            Column(key="symbol", title="Coin", value=lambda r: r.o.symbol, width=58),
            Column(key="side", title="Side", value=lambda r: _side_text(r.o.side), width=46,
                   tone=lambda r: _side_tone(r.o.side)),
            Column(key="type", title="Type", value=lambda r: _type_text(r.o), width=112,
                   tone=lambda r: None if r.o.order_type else "muted",
                   tooltip=lambda r: r.o.order_type or "A pushed update; the type arrives with the next full read"),
            Column(key="trigger", title="Trigger", value=_trigger_text, width=130, tooltip=_trigger_tip,
                   header_tip="Trigger price of a stop / take-profit (≤ fires as the price falls to it, ≥ as it "
                              "rises), and its distance from the mid"),
            Column(key="px", title="Price", value=lambda r: _price_text(r.o),
                   fmt=lambda v: v if isinstance(v, str) else fmt_px(v), align="right", width=80,
                   tooltip=lambda r: (f"Fills at market when triggered (worst price accepted {fmt_px(r.o.limit_px)})"
                                      if _is_market_trigger(r.o) else f"Limit price {fmt_px(r.o.limit_px)}")),
            Column(key="size", title="Size", value=lambda r: r.o.size, fmt=fmt_size, align="right", width=72),
            Column(key="filled", title="Filled", value=lambda r: r.o.orig_size - r.o.size, fmt=fmt_size,
                   align="right", width=60),
            Column(key="value", title="Value", value=lambda r: float(r.o.size) * float(r.o.trigger_px or r.o.limit_px),
                   fmt=lambda v: fmt_usd(v, decimals=0), align="right", width=76),
            Column(key="flags", title="Flags", width=170, value=lambda r: _flags(r.o), chips=True,
                   header_tip=_FLAG_TIP),
            Column(key="oid", title="OID", value=lambda r: r.o.oid, align="right", width=90, tone=lambda r: "muted"),
            Column(key="actions", title="", value=lambda r: None, fmt=lambda v: "", width=34),
        )
        self.model: SnapshotTableModel[_Row] = SnapshotTableModel(columns, key=lambda r: (r.o.symbol, r.o.oid),
                                                                  parent=self)
        self.table = DataTable(
            self.model, object_name="ordersTable", accessible_name="Open orders", action_column="actions",
            actions=(RowAction(name="cancel", text="Cancel", icon="✕", object_name="cancelOrderButton",
                               accessible="Cancel order {label}"), STORY_ACTION),
            row_label=lambda key: f"{key[0]} {key[1]}", parent=self,
        )
        self.table.row_action.connect(lambda name, key: (self.story_requested if name == "story" else
                                                         self.cancel_requested).emit(*self._intent(name, key)))
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

    @staticmethod
    def _intent(name: str, key: tuple[str, int]) -> tuple[object, ...]:
        return ("order", str(key[0]), int(key[1]), None) if name == "story" else (str(key[0]), int(key[1]))

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.table.set_actions_enabled(not read_only)
        self.cancel_all_button.setEnabled(not read_only and self.model.rowCount() > 0)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.model.set_rows([_Row(o=o, mid=snap.mids.get(o.symbol)) for o in snap.orders])
        n = len(snap.orders)
        text = f"{n} open order{'s' if n != 1 else ''}" if n else "No open orders"
        if self.count.text() != text:
            self.count.setText(text)
        self.cancel_all_button.setEnabled(not self._read_only and n > 0)


class FillsPanel(QWidget):
    """Recent fills, newest first (the snapshot's bounded list)."""

    story_requested = Signal(str, str, object, object)
    """Show story was clicked on a row: ("fill", symbol, tid, time_ms)."""

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
            Column(key="actions", title="", value=lambda f: None, fmt=lambda v: "", width=34),
        )
        self.model: SnapshotTableModel[Fill] = SnapshotTableModel(columns, key=lambda f: (f.tid, f.oid), parent=self)
        self.table = DataTable(self.model, object_name="fillsTable", accessible_name="Recent fills",
                               sortable=False, action_column="actions", actions=(STORY_ACTION,),
                               row_label=lambda key: f"fill {key[0]}", parent=self)
        self.table.row_action.connect(self._on_row_action)
        flush_column(self, self.table)

    def _on_row_action(self, name: str, key: object) -> None:
        f = self.model.item_for(key)
        if name == "story" and f is not None:
            self.story_requested.emit("fill", f.symbol, f.tid, f.time_ms)

    def set_read_only(self, read_only: bool) -> None:  # Show story only shows: it stays
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.model.set_rows(snap.fills)
