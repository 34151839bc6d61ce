"""Accounts and positions: cross/isolated margin, entry averaging, PnL and liquidation prices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from perps_desktop.sim.orders import Order
from perps_desktop.sim.wire import ZERO, fmt

__all__ = ["Account", "FillResult", "Position", "q_money", "q_px"]

_MONEY = Decimal("0.000001")
_PX = Decimal("0.00000001")
DEFAULT_LEVERAGE = 20


def q_money(x: Decimal) -> Decimal:
    """USDC amounts carry 6 decimals on the wire."""
    return x.quantize(_MONEY)


def q_px(x: Decimal) -> Decimal:
    return x.quantize(_PX).normalize()


@dataclass(slots=True, kw_only=True)
class Position:
    """A non-flat position; `iso_margin` is the isolated margin (0 for cross)."""

    coin: str
    szi: Decimal
    entry_px: Decimal
    is_cross: bool
    leverage: int
    iso_margin: Decimal = ZERO
    funding_all_time: Decimal = ZERO
    funding_since_open: Decimal = ZERO
    funding_since_change: Decimal = ZERO

    def upnl(self, mark: Decimal) -> Decimal:
        return self.szi * (mark - self.entry_px)

    def notional(self, mark: Decimal) -> Decimal:
        return abs(self.szi) * mark

    def margin_used(self, mark: Decimal) -> Decimal:
        if self.is_cross:
            return self.notional(mark) / self.leverage
        return self.iso_margin + self.upnl(mark)


@dataclass(frozen=True, slots=True, kw_only=True)
class FillResult:
    start: Decimal
    closed_pnl: Decimal
    direction: str


@dataclass(slots=True, kw_only=True)
class Account:
    """One user's money, positions, orders and history (the simulator's whole view of a user)."""

    address: str
    usdc: Decimal = ZERO                    # cross balance (isolated margin lives in positions)
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, tuple[bool, int]] = field(default_factory=dict)  # coin -> (is_cross, value)
    open_orders: dict[int, Order] = field(default_factory=dict)
    live_cloids: dict[str, int] = field(default_factory=dict)
    fills: list[dict] = field(default_factory=list)      # oldest first
    funding: list[dict] = field(default_factory=list)    # oldest first
    ledger: list[dict] = field(default_factory=list)     # deposits (fund), oldest first
    scheduled_cancel: int | None = None
    scheduled_cancel_fired: list[int] = field(default_factory=list)
    builder_approvals: dict[str, Decimal] = field(default_factory=dict)
    referrer: str | None = None
    volume: Decimal = ZERO

    def leverage_of(self, coin: str, max_leverage: int) -> tuple[bool, int]:
        return self.leverage.get(coin, (True, min(DEFAULT_LEVERAGE, max_leverage)))

    # -- money ----------------------------------------------------------------------------------
    def cross_value(self, marks: Mapping[str, Decimal]) -> Decimal:
        return self.usdc + sum((p.upnl(marks[c]) for c, p in self.positions.items() if p.is_cross), ZERO)

    def account_value(self, marks: Mapping[str, Decimal]) -> Decimal:
        iso = sum((p.iso_margin + p.upnl(marks[c]) for c, p in self.positions.items() if not p.is_cross), ZERO)
        return self.cross_value(marks) + iso

    def cross_margin_used(self, marks: Mapping[str, Decimal]) -> Decimal:
        return sum((p.margin_used(marks[c]) for c, p in self.positions.items() if p.is_cross), ZERO)

    def cross_maintenance(self, marks: Mapping[str, Decimal], max_lev: Mapping[str, int]) -> Decimal:
        return sum((p.notional(marks[c]) / (2 * max_lev[c]) for c, p in self.positions.items() if p.is_cross),
                   ZERO)

    def order_margin(self) -> Decimal:
        """Initial margin held by resting orders that would open or grow a position."""
        total = ZERO
        for o in self.open_orders.values():
            if o.reduce_only or o.is_pending_trigger:
                continue
            pos = self.positions.get(o.coin)
            szi = pos.szi if pos else ZERO
            grow = o.sz if (szi >= 0) == o.is_buy or szi == 0 else max(ZERO, o.sz - abs(szi))
            lev = pos.leverage if pos else o.leverage
            total += grow * o.limit_px / lev
        return total

    def available(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Free collateral for a new order."""
        return self.cross_value(marks) - self.cross_margin_used(marks) - self.order_margin()

    # -- fills ----------------------------------------------------------------------------------
    def apply_fill(self, *, coin: str, is_buy: bool, px: Decimal, sz: Decimal, fee: Decimal,
                   max_leverage: int) -> FillResult:
        """Move the position by a fill at `px`; realise PnL on the closed part; charge `fee`."""
        pos = self.positions.get(coin)
        start = pos.szi if pos else ZERO
        closed_pnl = ZERO
        if start == 0 or (start > 0) == is_buy:
            direction = "Open Long" if is_buy else "Open Short"
        elif sz <= abs(start):
            direction = "Close Short" if is_buy else "Close Long"
        else:
            direction = "Short > Long" if is_buy else "Long > Short"
        remaining = sz
        if pos is not None and (start > 0) != is_buy:  # reduce (maybe flip)
            closing = min(sz, abs(start))
            closed_pnl = closing * (px - pos.entry_px) * (1 if start > 0 else -1)
            if pos.is_cross:
                self.usdc += closed_pnl
            else:
                released = pos.iso_margin * closing / abs(start)
                pos.iso_margin -= released
                self.usdc += released + closed_pnl
            pos.szi += closing if is_buy else -closing
            remaining = sz - closing
            if pos.szi == 0:
                del self.positions[coin]
                pos = None
        if remaining > 0:  # open or grow
            is_cross, lev = self.leverage_of(coin, max_leverage)
            if pos is None:
                pos = Position(coin=coin, szi=ZERO, entry_px=px, is_cross=is_cross, leverage=lev)
                self.positions[coin] = pos
            old = abs(pos.szi)
            pos.entry_px = (pos.entry_px * old + px * remaining) / (old + remaining)
            pos.szi += remaining if is_buy else -remaining
            if not pos.is_cross:
                margin = remaining * px / pos.leverage
                pos.iso_margin += margin
                self.usdc -= margin
        self.usdc -= fee
        self.volume += px * sz
        return FillResult(start=start, closed_pnl=closed_pnl, direction=direction)

    # -- views ----------------------------------------------------------------------------------
    def liquidation_px(self, pos: Position, marks: Mapping[str, Decimal], max_lev: Mapping[str, int]) -> Decimal | None:
        """The venue's formula: px - side * margin_available / |szi| / (1 - l * side), l = 1/(2 maxLev)."""
        mark = marks[pos.coin]
        side = 1 if pos.szi > 0 else -1
        maint_rate = Decimal(1) / (2 * max_lev[pos.coin])
        if pos.is_cross:
            avail = self.cross_value(marks) - self.cross_maintenance(marks, max_lev)
        else:
            avail = pos.iso_margin + pos.upnl(mark) - pos.notional(mark) * maint_rate
        liq = mark - side * avail / abs(pos.szi) / (1 - maint_rate * side)
        return liq if liq > 0 else None

    def clearinghouse_state(self, marks: Mapping[str, Decimal], max_lev: Mapping[str, int], now_ms: int) -> dict:
        """The `clearinghouseState` reply (flat positions left out)."""
        rows = []
        ntl_total = ZERO
        signed_ntl = ZERO
        cross_ntl = ZERO
        for coin, p in self.positions.items():
            mark = marks[coin]
            upnl = p.upnl(mark)
            value = p.notional(mark)
            ntl_total += value
            signed_ntl += p.szi * mark
            if p.is_cross:
                cross_ntl += value
            margin = p.margin_used(mark)
            entry_margin = abs(p.szi) * p.entry_px / p.leverage
            lev: dict[str, object] = {"type": "cross" if p.is_cross else "isolated", "value": p.leverage}
            if not p.is_cross:
                lev["rawUsd"] = fmt(q_money(p.iso_margin - p.szi * p.entry_px))
            liq = self.liquidation_px(p, marks, max_lev)
            rows.append({"type": "oneWay", "position": {
                "coin": coin, "szi": fmt(p.szi), "leverage": lev, "entryPx": fmt(q_px(p.entry_px)),
                "positionValue": fmt(q_money(value)), "unrealizedPnl": fmt(q_money(upnl)),
                "returnOnEquity": fmt((upnl / entry_margin).quantize(Decimal("0.00000001")) if entry_margin else ZERO),
                "liquidationPx": fmt(q_px(liq)) if liq is not None else None,
                "marginUsed": fmt(q_money(margin)), "maxLeverage": max_lev[coin],
                "cumFunding": {"allTime": fmt(q_money(p.funding_all_time)),
                               "sinceOpen": fmt(q_money(p.funding_since_open)),
                               "sinceChange": fmt(q_money(p.funding_since_change))}}})
        value = self.account_value(marks)
        cross_value = self.cross_value(marks)
        cross_used = self.cross_margin_used(marks)
        total_used = cross_used + sum((p.margin_used(marks[c]) for c, p in self.positions.items()
                                       if not p.is_cross), ZERO)
        summary = {"accountValue": fmt(q_money(value)), "totalNtlPos": fmt(q_money(ntl_total)),
                   "totalRawUsd": fmt(q_money(value - signed_ntl)), "totalMarginUsed": fmt(q_money(total_used))}
        cross_signed = sum((p.szi * marks[c] for c, p in self.positions.items() if p.is_cross), ZERO)
        cross = {"accountValue": fmt(q_money(cross_value)), "totalNtlPos": fmt(q_money(cross_ntl)),
                 "totalRawUsd": fmt(q_money(cross_value - cross_signed)),
                 "totalMarginUsed": fmt(q_money(cross_used))}
        return {"marginSummary": summary, "crossMarginSummary": cross,
                "crossMaintenanceMarginUsed": fmt(q_money(self.cross_maintenance(marks, max_lev))),
                "withdrawable": fmt(q_money(max(ZERO, cross_value - cross_used - self.order_margin()))),
                "assetPositions": rows, "time": now_ms}


def empty_state(now_ms: int) -> dict:
    zero = {"accountValue": "0.0", "totalNtlPos": "0.0", "totalRawUsd": "0.0", "totalMarginUsed": "0.0"}
    return {"marginSummary": dict(zero), "crossMarginSummary": dict(zero), "crossMaintenanceMarginUsed": "0.0",
            "withdrawable": "0.0", "assetPositions": [], "time": now_ms}
