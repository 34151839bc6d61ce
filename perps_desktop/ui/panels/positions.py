"""PositionsPanel: every open position as the venue's own screen shows it; Close / Reduce 50%.

ROE on the margin put up, the resting TP/SL triggers and their distance, funding and realised
PnL since it opened, when it opened; the liquidation price only when it is near enough to mean
something. Prices keep the digits the venue sent.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from perps_desktop.app import CoreSnapshot, Position, PositionFacts, position_facts
from perps_desktop.core.clock import wall_ms
from perps_desktop.ui.format import DASH, fmt_datetime, fmt_pct, fmt_px, fmt_size, fmt_time, fmt_usd, to_float
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import STORY_ACTION, DataTable, RowAction
from perps_desktop.ui.widgets import flush_column

__all__ = ["PositionsPanel"]


def _sign_tone(v: object) -> str | None:
    f = to_float(v)
    if f is None or f == 0:
        return None
    return "pos" if f > 0 else "neg"


LIQ_SHOWN_PCT = 50.0
"""A liquidation price further than this from the mark is noise (a well-funded cross account's
short "liquidates" at 20x the price): the cell says "far" and its tooltip gives the figure."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    p: Position
    facts: PositionFacts
    mark: Any                   # the venue's mid as it sent it, else value / size


def _far(r: _Row) -> bool:
    d = r.p.liquidation_distance_pct
    return d is not None and d > LIQ_SHOWN_PCT


def _liq_value(r: _Row) -> float | Any:
    """The price, or infinity when it is too far to show (so it sorts last)."""
    return math.inf if _far(r) else r.p.liquidation_px


def _liq_fmt(v: Any) -> str:
    return DASH if v is None else ("far" if v == math.inf else fmt_px(v))


def _liq_tip(r: _Row) -> str:
    p = r.p
    if p.liquidation_px is None:
        return "No liquidation price: the account's margin covers this position at any price"
    dist = fmt_pct(p.liquidation_distance_pct)
    text = f"Liquidation at {fmt_px(p.liquidation_px)}, {dist} from the mark"
    return text + (f" — not shown beyond {LIQ_SHOWN_PCT:.0f}%" if _far(r) else "")


def _distance(px: Any, mark: Any) -> str:
    m = to_float(mark)
    return fmt_pct(abs(float(px) - m) / m * 100.0) if m else ""


def _tpsl_text(r: _Row) -> str:
    f = r.facts
    parts = [f"{word} {fmt_px(px)} ({_distance(px, r.mark)})"
             for word, px in (("TP", f.take_profit_px), ("SL", f.stop_px)) if px is not None]
    return " · ".join(parts) if parts else "none"


def _tpsl_tip(r: _Row) -> str:
    f = r.facts
    if f.stop_px is None and f.take_profit_px is None:
        return "No resting stop-loss or take-profit order guards this position"
    lines = []
    if f.take_profit_px is not None:
        lines.append(f"Take profit: trigger {fmt_px(f.take_profit_px)}, {_distance(f.take_profit_px, r.mark)} "
                     "from the mark")
    if f.stop_px is not None:
        lines.append(f"Stop loss: trigger {fmt_px(f.stop_px)}, {_distance(f.stop_px, r.mark)} from the mark "
                     "(a reduce-only market order when it fires)")
    return "\n".join(lines)


def _funding(r: _Row) -> float | None:
    """Funding since open as the trader's gain: the venue's cumFunding counts what was paid."""
    f = r.p.funding_since_open
    return None if f is None else -float(f)


def _opened_text(ms: int | None) -> str:
    if not ms:
        return "earlier"
    return fmt_time(ms) if wall_ms() - ms < 86_400_000 else time.strftime("%b %d", time.localtime(ms / 1000))


def _opened_tip(r: _Row) -> str:
    f = r.facts
    if f.opened_ms:
        return "Opened " + fmt_datetime(f.opened_ms)
    since = f" (the oldest kept is from {fmt_datetime(f.oldest_fill_ms)})" if f.oldest_fill_ms else ""
    return "Opened before the oldest fill this session keeps" + since


def _realized_tip(r: _Row) -> str:
    f = r.facts
    span = "since it opened" if f.opened_ms else "in the fills kept"
    return f"Closed PnL of partial closes {span}; fees paid {fmt_usd(f.fees, decimals=4)}"


class PositionsPanel(QWidget):
    """The open positions, sortable; each row has Close and Reduce 50%."""

    close_requested = Signal(str)
    """Close was clicked on a row: (symbol)."""
    story_requested = Signal(str, str, object, object)
    """Show story was clicked on a row: ("position", symbol, None, None)."""
    reduce_requested = Signal(str, float)
    """Reduce 50% was clicked on a row: (symbol, fraction)."""

    REDUCE_FRACTION = 0.5

    def __init__(self, *, liq_warn_pct: float = 10.0, liq_crit_pct: float = 5.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positionsPanel")
        self.liq_warn_pct = liq_warn_pct
        self.liq_crit_pct = liq_crit_pct

        def liq_tone(r: _Row) -> str | None:
            d = r.p.liquidation_distance_pct
            if d is None or _far(r):
                return "muted"
            return "crit-bg" if d < self.liq_crit_pct else ("warn-bg" if d < self.liq_warn_pct else None)

        columns: tuple[Column[_Row], ...] = (
            Column(key="symbol", title="Coin", value=lambda r: r.p.symbol, width=58),
            Column(key="side", title="Side", value=lambda r: "LONG" if r.p.size > 0 else "SHORT", width=54,
                   tone=lambda r: "pos" if r.p.size > 0 else "neg"),
            Column(key="size", title="Size", value=lambda r: abs(r.p.size), fmt=fmt_size, align="right", width=72),
            Column(key="entry", title="Entry", value=lambda r: r.p.entry_px, fmt=fmt_px, align="right", width=78),
            Column(key="mark", title="Mark", value=lambda r: r.mark, fmt=fmt_px, align="right", width=78),
            Column(key="upnl", title="uPnL", value=lambda r: r.p.unrealized_pnl,
                   fmt=lambda v: fmt_usd(v, signed=True), tone=lambda r: _sign_tone(r.p.unrealized_pnl),
                   align="right", width=82),
            Column(key="roe", title="ROE", value=lambda r: r.p.roe_pct,
                   fmt=lambda v: fmt_pct(v, signed=True, decimals=2),
                   tone=lambda r: _sign_tone(r.p.unrealized_pnl), align="right", width=70,
                   header_tip="Return on equity: uPnL on the margin put up (entry value ÷ leverage), as the venue "
                              "shows it"),
            Column(key="value", title="Value", value=lambda r: r.p.notional, fmt=lambda v: fmt_usd(v, decimals=0),
                   align="right", width=76),
            Column(key="leverage", title="Lev.", value=lambda r: r.p.leverage, fmt=lambda v: f"{v}x",
                   align="right", width=42,
                   tooltip=lambda r: f"{r.p.leverage}x {r.p.leverage_type}: the position's leverage setting; "
                                     f"margin {fmt_usd(r.p.margin_used)} for {fmt_usd(r.p.notional, decimals=0)}"),
            Column(key="tpsl", title="TP / SL", value=_tpsl_text, width=150,
                   tone=lambda r: "warn" if r.facts.stop_px is None and r.facts.take_profit_px is None else None,
                   tooltip=_tpsl_tip, header_tip="Resting take-profit / stop-loss triggers and their distance "
                                                 "from the mark"),
            Column(key="funding", title="Funding", value=_funding, fmt=lambda v: fmt_usd(v, signed=True),
                   tone=lambda r: _sign_tone(_funding(r)), align="right", width=72,
                   header_tip="Funding since the position opened (+ received, − paid)"),
            Column(key="realized", title="Realised", value=lambda r: r.facts.realized_pnl,
                   fmt=lambda v: fmt_usd(v, signed=True), tone=lambda r: _sign_tone(r.facts.realized_pnl),
                   align="right", width=76, tooltip=_realized_tip,
                   header_tip="Closed PnL of partial closes since the position opened"),
            Column(key="opened", title="Opened", value=lambda r: r.facts.opened_ms, fmt=_opened_text, width=66,
                   tone=lambda r: None if r.facts.opened_ms else "muted", tooltip=_opened_tip),
            Column(key="liq", title="Liq. price", value=_liq_value, fmt=_liq_fmt,
                   align="right", width=80, tone=lambda r: "muted" if _far(r) else None, tooltip=_liq_tip),
            Column(key="liq_dist", title="Liq. %", value=lambda r: r.p.liquidation_distance_pct,
                   fmt=lambda v: DASH if v is None else (f">{LIQ_SHOWN_PCT:.0f}%" if v > LIQ_SHOWN_PCT else fmt_pct(v)),
                   tone=liq_tone, align="right", width=58, tooltip=_liq_tip,
                   header_tip="Distance from the mark to the liquidation price, in % of the mark"),
            Column(key="margin", title="Margin", value=lambda r: r.p.margin_used,
                   fmt=lambda v: fmt_usd(v, decimals=0), align="right", width=66),
            Column(key="actions", title="", value=lambda r: None, fmt=lambda v: "", width=58),
        )
        self.model: SnapshotTableModel[_Row] = SnapshotTableModel(columns, key=lambda r: r.p.symbol, parent=self)
        self.table = DataTable(
            self.model, object_name="positionsTable", accessible_name="Open positions", action_column="actions",
            actions=(
                RowAction(name="close", text="Close", icon="✕", object_name="closePositionButton",
                          accessible="Close {label} position", tip="close the whole position (reduce-only)",
                          danger=True),
                RowAction(name="reduce", text="Reduce 50%", icon="½", object_name="reducePositionButton",
                          accessible="Reduce {label} position by half",
                          tip="cut the position in half (reduce-only)"),
                STORY_ACTION,
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
        elif name == "story":
            self.story_requested.emit("position", str(key), None, None)

    def set_read_only(self, read_only: bool) -> None:
        self.table.set_actions_enabled(not read_only)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        positions = [p for p in snap.positions if p.size != 0]
        self.model.set_rows([_Row(p=p, facts=position_facts(p, snap.fills, snap.orders),
                                  mark=snap.mids.get(p.symbol) or p.mark_px) for p in positions])
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
