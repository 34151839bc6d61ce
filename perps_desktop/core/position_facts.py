"""PositionFacts: what a trader reads beside a position that the venue's position row lacks.

The venue's clearinghouseState says size, entry, uPnL, leverage and funding, but not when the
position opened, what it has realised on partial closes, or which stops guard it. Those follow
from the account's recent fills (newest first, as the engine keeps them) and its open orders;
`position_facts` derives them without I/O, so the window can show them on every snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from perps_desktop.core.models import Fill, Order, Position

__all__ = ["PositionFacts", "position_facts", "trigger_kind"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionFacts:
    symbol: str
    opened_ms: int | None           # the fill that opened it from flat (or flipped it); None: before the fills kept
    oldest_fill_ms: int | None      # how far back the fills kept reach (what `realized_pnl` covers when not opened)
    realized_pnl: Decimal           # closedPnl of its partial closes since it opened
    fees: Decimal                   # fees paid on its fills since it opened
    stop_px: Decimal | None         # the resting stop-loss trigger (the nearest when several)
    take_profit_px: Decimal | None  # the resting take-profit trigger (the nearest when several)


def trigger_kind(order: Order, position_size: Decimal | None = None, mark_px: Decimal | None = None) -> str | None:
    """"sl", "tp" or None (not a trigger order).

    The venue's orderType says which ("Stop Market", "Take Profit Limit"); a row without it (a
    pushed update) is told by where its trigger sits: below the mark for a long's stop.
    """
    if order.trigger_px is None:
        return None
    kind = order.order_type.lower()
    if kind.startswith("take profit"):
        return "tp"
    if kind.startswith("stop"):
        return "sl"
    if position_size is None or mark_px is None or not position_size:
        return "sl"
    below = order.trigger_px < mark_px
    return "sl" if below == (position_size > 0) else "tp"


def position_facts(position: Position, fills: Iterable[Fill], orders: Iterable[Order]) -> PositionFacts:
    """The facts of `position` from the account's fills (newest first) and open orders."""
    realized = fees = _ZERO
    opened: int | None = None
    oldest: int | None = None
    sign = 1 if position.size > 0 else -1
    for f in fills:
        if f.symbol != position.symbol or f.time_ms > position.updated_ms > 0:
            continue                # another coin, or newer than the position row (its read lags the stream)
        oldest = f.time_ms
        start = f.start_position
        fees += f.fee
        if start == 0 or (1 if start > 0 else -1) != sign:     # opened from flat, or flipped into it
            opened = f.time_ms
            break
        realized += f.closed_pnl
    stops: list[Decimal] = []
    targets: list[Decimal] = []
    closing = "A" if position.size > 0 else "B"
    for o in orders:
        if o.symbol != position.symbol or o.trigger_px is None or str(o.side) != closing:
            continue
        kind = trigger_kind(o, position.size, position.mark_px)
        (targets if kind == "tp" else stops).append(o.trigger_px)
    mark = position.mark_px

    def nearest(pxs: list[Decimal]) -> Decimal | None:
        return min(pxs, key=lambda px: abs(px - mark)) if pxs else None

    return PositionFacts(symbol=position.symbol, opened_ms=opened, oldest_fill_ms=oldest, realized_pnl=realized,
                         fees=fees, stop_px=nearest(stops), take_profit_px=nearest(targets))
