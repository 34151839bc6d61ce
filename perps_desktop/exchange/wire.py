"""Outgoing wire format: prices and sizes rounded to the venue's tick and lot rules, and action dicts.

Everything here produces exactly what the official SDK would put on the wire for the same
order (same key order, same number strings), because the signature covers the msgpack bytes
of the action: a different key order or "100.0" instead of "100" is a different order.

Venue rules (perps): a price has at most 5 significant figures and at most `6 - szDecimals`
decimals, an integer price is always valid; a size has at most `szDecimals` decimals.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from perps_desktop.core.models import Asset, OrderRequest

__all__ = [
    "MAX_PRICE_SIG_FIGS", "batch_modify_action", "cancel_action", "cancel_by_cloid_action", "check_cloid",
    "exchange_weight", "info_weight", "new_cloid", "order_action", "order_wire", "round_price", "round_size",
    "schedule_cancel_action", "to_wire", "update_leverage_action",
]

MAX_PRICE_SIG_FIGS = 5
_CLOID = re.compile(r"^0x[0-9a-fA-F]{32}$")
_ONE = Decimal(1)

# IP weight per /info request type (hyperliquid-api.md §7); anything else weighs 20.
_INFO_WEIGHT = {"l2Book": 2, "allMids": 2, "clearinghouseState": 2, "orderStatus": 2,
                "spotClearinghouseState": 2, "exchangeStatus": 2, "userRole": 60}


def info_weight(request_type: str) -> int:
    return _INFO_WEIGHT.get(request_type, 20)


def exchange_weight(batch_length: int) -> int:
    """IP weight of one /exchange request carrying `batch_length` orders/cancels/modifies."""
    return 1 + batch_length // 40


def round_price(px: Decimal, sz_decimals: int, *, spot: bool = False) -> Decimal:
    """The nearest valid price: <= 5 significant figures (integers always ok), <= 6 - szDecimals decimals."""
    if not px.is_finite() or px <= 0:
        raise ValueError(f"price must be a positive number, got {px}")
    max_decimals = max(0, (8 if spot else 6) - sz_decimals)
    if px == px.to_integral_value():
        return px.quantize(_ONE)
    int_digits = px.adjusted() + 1              # digits before the point (<= 0 below 1)
    places = min(max_decimals, MAX_PRICE_SIG_FIGS - int_digits)
    if places <= 0:
        return px.quantize(_ONE, rounding=ROUND_HALF_EVEN)
    rounded = px.quantize(_ONE.scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded <= 0:
        raise ValueError(f"price {px} rounds to zero with {max_decimals} decimals")
    return rounded


def round_size(size: Decimal, sz_decimals: int) -> Decimal:
    """Size cut (never rounded up) to `szDecimals` decimals; the client never sends more than asked."""
    if not size.is_finite() or size < 0:
        raise ValueError(f"size must be a non-negative number, got {size}")
    return size.quantize(_ONE.scaleb(-sz_decimals), rounding=ROUND_DOWN)


def to_wire(value: Decimal) -> str:
    """The SDK's number string: no trailing zeros, no exponent ("100", "0.0147", "1670.1")."""
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


def new_cloid() -> str:
    """A fresh client order id: 0x + 32 hex digits (16 random bytes)."""
    return "0x" + secrets.token_hex(16)


def check_cloid(cloid: str) -> str:
    if not _CLOID.match(cloid):
        raise ValueError(f"a cloid is 0x + 32 hex digits, got {cloid!r}")
    return cloid.lower()


def order_wire(request: OrderRequest, asset: Asset, cloid: str | None) -> dict[str, Any]:
    """One order as the SDK's `order_request_to_order_wire` builds it (keys a, b, p, s, r, t, c)."""
    px = round_price(request.limit_px, asset.sz_decimals)
    size = round_size(request.size, asset.sz_decimals)
    if size <= 0:
        raise ValueError(f"size {request.size} rounds to zero with {asset.sz_decimals} decimals for {asset.name}")
    if request.trigger_px is not None:
        if request.tpsl not in ("tp", "sl"):
            raise ValueError("a trigger order needs tpsl 'tp' or 'sl'")
        trigger_px = round_price(request.trigger_px, asset.sz_decimals)
        order_type: dict[str, Any] = {"trigger": {"isMarket": request.trigger_is_market,
                                                  "triggerPx": to_wire(trigger_px), "tpsl": request.tpsl}}
    else:
        if request.tif not in ("Gtc", "Ioc", "Alo"):
            raise ValueError(f"tif must be Gtc, Ioc or Alo, got {request.tif!r}")
        order_type = {"limit": {"tif": request.tif}}
    wire: dict[str, Any] = {"a": asset.asset_id, "b": request.is_buy, "p": to_wire(px), "s": to_wire(size),
                            "r": request.reduce_only, "t": order_type}
    if cloid is not None:
        wire["c"] = cloid
    return wire


def order_action(wires: Sequence[dict[str, Any]], grouping: str = "na") -> dict[str, Any]:
    return {"type": "order", "orders": list(wires), "grouping": grouping}


def cancel_action(cancels: Iterable[tuple[int, int]]) -> dict[str, Any]:
    """`cancels` are (asset id, oid) pairs."""
    return {"type": "cancel", "cancels": [{"a": a, "o": o} for a, o in cancels]}


def cancel_by_cloid_action(cancels: Iterable[tuple[int, str]]) -> dict[str, Any]:
    """`cancels` are (asset id, cloid) pairs."""
    return {"type": "cancelByCloid", "cancels": [{"asset": a, "cloid": c} for a, c in cancels]}


def batch_modify_action(modifies: Iterable[tuple[int | str, dict[str, Any]]]) -> dict[str, Any]:
    """`modifies` are (oid or cloid, new order wire) pairs; the SDK's modify_order sends this. An
    empty one is refused here, as the venue would refuse it."""
    modifies = list(modifies)
    if not modifies:
        raise ValueError("batchModify needs at least one modify")
    return {"type": "batchModify", "modifies": [{"oid": oid, "order": wire} for oid, wire in modifies]}


def schedule_cancel_action(time_ms: int | None) -> dict[str, Any]:
    """Cancel all open orders at `time_ms`; None clears the schedule (the key is then omitted)."""
    action: dict[str, Any] = {"type": "scheduleCancel"}
    if time_ms is not None:
        action["time"] = time_ms
    return action


def update_leverage_action(asset_id: int, *, is_cross: bool, leverage: int) -> dict[str, Any]:
    return {"type": "updateLeverage", "asset": asset_id, "isCross": is_cross, "leverage": leverage}
