"""An order as the simulator holds it, and the venue's wire shapes for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from perps_desktop.sim.wire import fmt

__all__ = ["Order", "OrderSpec", "Trigger"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Trigger:
    """A TP/SL condition: fires when the mark crosses `px`."""

    is_market: bool
    px: Decimal
    tpsl: str  # "tp" | "sl"

    def fires_above(self, is_buy: bool) -> bool:
        """True if the order fires when the mark rises to `px` (sell TP, buy SL)."""
        return (self.tpsl == "tp") != is_buy


@dataclass(slots=True, kw_only=True, eq=False)
class Order:
    """A live or finished order; mutable because fills and cancels change it in place."""

    oid: int
    user: str
    coin: str
    is_buy: bool
    limit_px: Decimal
    sz: Decimal
    orig_sz: Decimal
    timestamp: int
    reduce_only: bool = False
    tif: str | None = "Gtc"
    cloid: str | None = None
    trigger: Trigger | None = None
    is_position_tpsl: bool = False
    builder: tuple[str, int] | None = None
    leverage: int = 20                  # the account's leverage for the coin when placed (margin held)
    triggered: bool = False             # a trigger order that fired and now works as a limit order
    status: str = "open"
    status_ts: int = 0
    children: list[Order] = field(default_factory=list)

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"

    @property
    def is_trigger(self) -> bool:
        return self.trigger is not None

    @property
    def is_pending_trigger(self) -> bool:
        """Waiting for its trigger price: held off the book."""
        return self.trigger is not None and not self.triggered

    def order_type(self) -> str:
        if self.trigger is None:
            return "Limit"
        kind = "Take Profit" if self.trigger.tpsl == "tp" else "Stop"
        return f"{kind} {'Market' if self.trigger.is_market else 'Limit'}"

    def trigger_condition(self) -> str:
        if self.trigger is None:
            return "N/A"
        word = "above" if self.trigger.fires_above(self.is_buy) else "below"
        return f"Price {word} {fmt(self.trigger.px)}"

    def basic(self) -> dict[str, object]:
        """The `openOrders` row (also the `order` of an orderUpdates message)."""
        row: dict[str, object] = {"coin": self.coin, "side": self.side, "limitPx": fmt(self.limit_px),
                                  "sz": fmt(self.sz), "oid": self.oid, "timestamp": self.timestamp,
                                  "origSz": fmt(self.orig_sz)}
        if self.cloid is not None:
            row["cloid"] = self.cloid
        return row

    def frontend(self) -> dict[str, object]:
        """The `frontendOpenOrders` row (also the inner order of orderStatus)."""
        return {"coin": self.coin, "side": self.side, "limitPx": fmt(self.limit_px), "sz": fmt(self.sz),
                "oid": self.oid, "timestamp": self.timestamp, "origSz": fmt(self.orig_sz),
                "triggerCondition": self.trigger_condition(), "isTrigger": self.is_trigger,
                "triggerPx": fmt(self.trigger.px) if self.trigger else "0.0",
                "children": [c.frontend() for c in self.children], "isPositionTpsl": self.is_position_tpsl,
                "reduceOnly": self.reduce_only, "orderType": self.order_type(),
                "tif": self.tif if self.trigger is None else None, "cloid": self.cloid}

    def update(self) -> dict[str, object]:
        """One element of an orderUpdates message."""
        return {"order": self.basic(), "status": self.status, "statusTimestamp": self.status_ts}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSpec:
    """An order as a client asked for it (parsed from the wire, not yet checked against the venue)."""

    asset: int
    is_buy: bool
    px: Decimal
    sz: Decimal
    reduce_only: bool
    tif: str | None          # "Gtc" | "Ioc" | "Alo"; None for a trigger order
    trigger: Trigger | None
    cloid: str | None
