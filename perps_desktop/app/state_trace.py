"""The core's state as a trace now and then, so a replay can start from it without the venue.

Every `interval_s` (30 s) of engine ticks, `StateRecorder` records one SYSTEM trace (strategy
"state", decision "snapshot") whose payload holds the open positions, the open orders and the
risk gauges as the core has them (`state_payload`). A replay at time T starts from the last such
trace before T and applies the fills and orders traced after it (`app.replay`); the same payload
is the oracle its tests compare against. ~1 KB a trace: ~3 MB a day.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Order, Position, RiskSnapshot, Side, Trace, TraceKind, TradingState

__all__ = ["STATE_STRATEGY", "StateRecorder", "orders_from", "positions_from", "risk_from", "state_payload"]

STATE_STRATEGY = "state"             # the snapshot traces' strategy (kind system, decision "snapshot")
_RISK_FLOATS = ("equity", "peak_equity", "exposure", "max_exposure", "leverage", "max_leverage", "margin_use_pct",
                "drawdown_pct", "max_drawdown_pct", "daily_pnl", "daily_loss_limit", "concentration_pct")


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def state_payload(positions: Sequence[Position], orders: Sequence[Order], risk: RiskSnapshot | None,
                  as_of_ms: int | None = None) -> dict[str, Any]:
    """The trace payload of one state: exact numbers as text, so they come back exactly.
    `as_of_ms`: the venue's time of the account read the positions come from (a fill the venue
    made after it is not in them yet, even when its trace came first)."""
    return {
        "as_of_ms": as_of_ms,
        "positions": [{"symbol": p.symbol, "size": str(p.size), "entry": str(p.entry_px), "mark": str(p.mark_px),
                       "upnl": str(p.unrealized_pnl), "leverage": p.leverage,
                       "liq": None if p.liquidation_px is None else str(p.liquidation_px),
                       "margin": str(p.margin_used)} for p in positions if p.size != 0],
        "orders": [{"oid": o.oid, "symbol": o.symbol, "side": o.side.value, "px": str(o.limit_px), "size": str(o.size),
                    "orig": str(o.orig_size), "time_ms": o.timestamp_ms, "cloid": o.cloid,
                    "reduce_only": o.reduce_only, "type": o.order_type,
                    "trigger": None if o.trigger_px is None else str(o.trigger_px)} for o in orders],
        "risk": None if risk is None else {"state": risk.trading_state.value, "reason": risk.state_reason,
                                           **{k: getattr(risk, k) for k in _RISK_FLOATS},
                                           "decisions": dict(risk.decisions)},
    }


def positions_from(payload: Mapping[str, Any], time_ms: int = 0) -> list[Position]:
    return [Position(symbol=p["symbol"], size=Decimal(p["size"]), entry_px=Decimal(p["entry"]),
                     mark_px=Decimal(p["mark"]), unrealized_pnl=Decimal(p.get("upnl", "0")),
                     leverage=int(p["leverage"]), liquidation_px=_dec(p.get("liq")),
                     margin_used=Decimal(p.get("margin", "0")), updated_ms=time_ms)
            for p in payload.get("positions", ())]


def orders_from(payload: Mapping[str, Any]) -> list[Order]:
    return [Order(oid=int(o["oid"]), symbol=o["symbol"], side=Side(o["side"]), limit_px=Decimal(o["px"]),
                  size=Decimal(o["size"]), orig_size=Decimal(o.get("orig", o["size"])), timestamp_ms=int(o["time_ms"]),
                  cloid=o.get("cloid"), reduce_only=bool(o.get("reduce_only")), order_type=o.get("type") or "Limit",
                  trigger_px=_dec(o.get("trigger"))) for o in payload.get("orders", ())]


def risk_from(payload: Mapping[str, Any]) -> RiskSnapshot | None:
    r = payload.get("risk")
    if not r:
        return None
    return RiskSnapshot(trading_state=TradingState(r["state"]), state_reason=r.get("reason", ""),
                        **{k: float(r.get(k) or 0.0) for k in _RISK_FLOATS}, decisions=dict(r.get("decisions") or {}))


class StateRecorder:
    """Records the core's state as a trace every `interval_s` of ticks (call `tick` each tick)."""

    def __init__(self, sink: Any, *, interval_s: float = 30.0, clock: Any = time.monotonic) -> None:
        self._sink = sink
        self.interval_s = interval_s
        self._clock = clock
        self._due = 0.0
        self.recorded = 0

    def tick(self, positions: Sequence[Position], orders: Sequence[Order], risk: RiskSnapshot | None,
             *, as_of_ms: int | None = None, force: bool = False) -> bool:
        """Record now if the interval has passed (or `force`); returns whether it did."""
        now = self._clock()
        if not force and now < self._due:
            return False
        self._due = now + self.interval_s
        payload = state_payload(positions, orders, risk, as_of_ms)
        n_pos, n_ord = len(payload["positions"]), len(payload["orders"])
        equity = f", equity {risk.equity:,.2f}" if risk is not None else ""
        self._sink.record(Trace(kind=TraceKind.SYSTEM.value, time_ms=wall_ms(), strategy=STATE_STRATEGY,
                                decision="snapshot", reason=f"state: {n_pos} position(s), {n_ord} order(s){equity}",
                                payload=payload))
        self.recorded += 1
        return True
