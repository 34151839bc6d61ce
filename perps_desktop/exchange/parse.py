"""Incoming wire format: the venue's JSON replies turned into the core's models, or a typed error.

Wire dicts stop here (house rule 5). Any reply without the promised shape raises
`MalformedReply` naming the endpoint and quoting the reply's start; `{"status":"err"}` from
/exchange raises `ExchangeRejected` with the venue's message. Numbers become `Decimal`.

Replies that are lists of independent rows (positions, open orders, fills, candles) can be read
row by row: given a `skipped` list, a row of the wrong shape (a fill without `tid`, as the venue
sent them in 2023) is left out and its reason appended there, and the rest of the reply stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import (
    AccountState,
    Asset,
    BookLevel,
    Candle,
    Fill,
    L2Book,
    Order,
    OrderResult,
    OrderState,
    OrderStatus,
    OrderUpdate,
    Position,
    Side,
)
from perps_desktop.errors import ExchangeRejected, MalformedReply

__all__ = [
    "exchange_response",
    "order_result",
    "parse_all_mids",
    "parse_cancel_statuses",
    "parse_candles",
    "parse_fill",
    "parse_fills",
    "parse_l2_book",
    "parse_meta",
    "parse_open_orders",
    "parse_order",
    "parse_order_results",
    "parse_order_state",
    "parse_order_updates",
    "parse_user_state",
    "shaped",
]

T = TypeVar("T")
_ZERO = Decimal(0)
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, InvalidOperation)


@contextmanager
def shaped(endpoint: str, body: object) -> Iterator[None]:
    """Turn the errors a wrong shape causes while reading `body` into one MalformedReply."""
    try:
        yield
    except _SHAPE_ERRORS as exc:
        reason = f"unexpected shape ({type(exc).__name__}: {exc})"
        raise MalformedReply(endpoint, reason, body) from exc


def _expect(body: object, kind: type, endpoint: str) -> Any:
    if not isinstance(body, kind):
        raise MalformedReply(endpoint, f"expected a JSON {kind.__name__}", body)
    return body


def _dec(value: Any) -> Decimal:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise TypeError(f"expected a number string, got {value!r}")
    d = Decimal(value)
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _side(value: Any) -> Side:
    return Side(value)


def _each(rows: Sequence[Any], parse_row: Callable[[Any], T], skipped: list[str]) -> list[T]:
    """Every row that parses; each one that does not is reported in `skipped` and left out."""
    out: list[T] = []
    for i, row in enumerate(rows):
        try:
            out.append(parse_row(row))
        except _SHAPE_ERRORS as exc:
            skipped.append(f"row {i}: {type(exc).__name__}: {exc}")
    return out


def _rows(body: object, endpoint: str, parse_row: Callable[[Any], T], skipped: list[str] | None = None) -> list[T]:
    rows = _expect(body, list, endpoint)
    if skipped is not None:
        return _each(rows, parse_row, skipped)
    with shaped(endpoint, body):
        return [parse_row(r) for r in rows]


def parse_meta(body: object, endpoint: str = "info:meta") -> tuple[Asset, ...]:
    _expect(body, dict, endpoint)
    with shaped(endpoint, body):
        return tuple(
            Asset(name=str(u["name"]), asset_id=i, sz_decimals=int(u["szDecimals"]),
                  max_leverage=int(u.get("maxLeverage", 1)), only_isolated=bool(u.get("onlyIsolated", False)),
                  is_delisted=bool(u.get("isDelisted", False)))
            for i, u in enumerate(body["universe"])  # type: ignore[index]
        )


def parse_all_mids(body: object, endpoint: str = "info:allMids") -> dict[str, Decimal]:
    mids = _expect(body, dict, endpoint)
    with shaped(endpoint, body):
        return {str(coin): _dec(px) for coin, px in mids.items()}


def _position(p: dict[str, Any], time_ms: int) -> Position:
    size = _dec(p["szi"])
    value = _dec(p.get("positionValue", "0"))
    lev = p.get("leverage") or {}
    funding = (p.get("cumFunding") or {}).get("sinceOpen")
    return Position(
        symbol=str(p["coin"]), size=size, entry_px=_opt_dec(p.get("entryPx")) or _ZERO,
        mark_px=(value / abs(size)) if size else _ZERO, unrealized_pnl=_dec(p.get("unrealizedPnl", "0")),
        leverage=int(lev.get("value", 1)), leverage_type=str(lev.get("type", "cross")),
        liquidation_px=_opt_dec(p.get("liquidationPx")), margin_used=_dec(p.get("marginUsed", "0")),
        position_value=value, updated_ms=time_ms, funding_since_open=_opt_dec(funding),
    )


def parse_user_state(body: object, address: str, endpoint: str = "info:clearinghouseState",
                     skipped: list[str] | None = None) -> AccountState:
    _expect(body, dict, endpoint)
    with shaped(endpoint, body):
        b: dict[str, Any] = body  # type: ignore[assignment]
        summary = b["marginSummary"]
        time_ms = int(b.get("time") or wall_ms())
        rows = b["assetPositions"]
        row: Callable[[Any], Position] = lambda ap: _position(ap["position"], time_ms)  # noqa: E731
        positions = tuple(_each(rows, row, skipped) if skipped is not None else map(row, rows))
        return AccountState(
            address=address.lower(), equity=_dec(summary["accountValue"]),
            total_notional=_dec(summary["totalNtlPos"]), margin_used=_dec(summary["totalMarginUsed"]),
            withdrawable=_dec(b["withdrawable"]), positions=positions, time_ms=time_ms,
            maintenance_margin=_dec(b.get("crossMaintenanceMarginUsed", "0")),
        )


def parse_order(o: dict[str, Any]) -> Order:
    """One order row (openOrders, frontendOpenOrders, orderStatus, orderUpdates)."""
    size = _dec(o["sz"])
    trigger = _opt_dec(o.get("triggerPx"))
    return Order(
        oid=int(o["oid"]), symbol=str(o["coin"]), side=_side(o["side"]), limit_px=_dec(o["limitPx"]),
        size=size, orig_size=_dec(o.get("origSz", o["sz"])), timestamp_ms=int(o["timestamp"]),
        cloid=o.get("cloid") or None, reduce_only=bool(o.get("reduceOnly", False)),
        # a pushed/basic row does not say its type: "" (unknown), not a made-up "Limit Gtc"
        order_type=str(o.get("orderType", "")), tif=o.get("tif") if "orderType" in o else None,
        trigger_px=trigger if trigger else None,
    )


def parse_open_orders(body: object, endpoint: str = "info:openOrders", skipped: list[str] | None = None) -> list[Order]:
    return _rows(body, endpoint, parse_order, skipped)


def parse_fill(f: dict[str, Any]) -> Fill:
    return Fill(
        symbol=str(f["coin"]), side=_side(f["side"]), px=_dec(f["px"]), size=_dec(f["sz"]),
        time_ms=int(f["time"]), oid=int(f["oid"]), tid=int(f["tid"]), cloid=f.get("cloid") or None,
        fee=_dec(f.get("fee", "0")), closed_pnl=_dec(f.get("closedPnl", "0")), direction=str(f.get("dir", "")),
        crossed=bool(f.get("crossed", True)), start_position=_dec(f.get("startPosition", "0")),
    )


def parse_fills(body: object, endpoint: str = "info:userFills", skipped: list[str] | None = None) -> list[Fill]:
    return _rows(body, endpoint, parse_fill, skipped)


def parse_order_state(body: object, endpoint: str = "info:orderStatus") -> OrderState:
    _expect(body, dict, endpoint)
    with shaped(endpoint, body):
        b: dict[str, Any] = body  # type: ignore[assignment]
        if b["status"] != "order":
            return OrderState(status=str(b["status"]))
        inner = b["order"]
        return OrderState(status=str(inner["status"]), order=parse_order(inner["order"]),
                          status_ms=int(inner.get("statusTimestamp", 0)))


def parse_order_updates(data: object, endpoint: str = "ws:orderUpdates") -> list[OrderUpdate]:
    return _rows(data, endpoint, lambda u: OrderUpdate(order=parse_order(u["order"]), status=str(u["status"]),
                                                       status_ms=int(u.get("statusTimestamp", 0))))


def parse_l2_book(body: object, endpoint: str = "info:l2Book") -> L2Book:
    _expect(body, dict, endpoint)
    with shaped(endpoint, body):
        b: dict[str, Any] = body  # type: ignore[assignment]
        bids, asks = b["levels"]
        level: Callable[[Any], BookLevel] = lambda lv: BookLevel(px=_dec(lv["px"]), size=_dec(lv["sz"]),  # noqa: E731
                                                                 n=int(lv.get("n", 0)))
        return L2Book(symbol=str(b["coin"]), time_ms=int(b["time"]), bids=tuple(map(level, bids)),
                      asks=tuple(map(level, asks)))


def parse_candles(body: object, endpoint: str = "info:candleSnapshot") -> list[Candle]:
    return _rows(body, endpoint, lambda c: Candle(
        symbol=str(c["s"]), interval=str(c["i"]), open_ms=int(c["t"]), close_ms=int(c["T"]), open=_dec(c["o"]),
        high=_dec(c["h"]), low=_dec(c["l"]), close=_dec(c["c"]), volume=_dec(c["v"]), trades=int(c.get("n", 0))))


def exchange_response(body: object, endpoint: str) -> dict[str, Any]:
    """The `response` of an ok /exchange reply; `{"status":"err"}` raises ExchangeRejected."""
    _expect(body, dict, endpoint)
    b: dict[str, Any] = body  # type: ignore[assignment]
    status = b.get("status")
    if status == "err":
        raise ExchangeRejected(str(b.get("response", "")), endpoint=endpoint)
    if status != "ok" or not isinstance(b.get("response"), dict):
        raise MalformedReply(endpoint, "expected {'status': 'ok', 'response': {...}}", body)
    return b["response"]  # type: ignore[no-any-return]


def _statuses(body: object, endpoint: str, count: int) -> list[Any]:
    response = exchange_response(body, endpoint)
    with shaped(endpoint, body):
        statuses = response["data"]["statuses"]
        if not isinstance(statuses, list):
            raise TypeError("statuses is not a list")
    if len(statuses) != count:
        raise MalformedReply(endpoint, f"expected {count} statuses, got {len(statuses)}", body)
    return statuses


def parse_order_results(body: object, cloids: Sequence[str | None], endpoint: str = "exchange:order") -> list[
        OrderResult]:
    """One OrderResult per order sent, in order; a per-order error is a result, not an exception."""
    statuses = _statuses(body, endpoint, len(cloids))
    results = []
    with shaped(endpoint, body):
        for cloid, st in zip(cloids, statuses, strict=True):
            results.append(order_result(st, cloid))
    return results


def order_result(st: Any, cloid: str | None) -> OrderResult:
    if isinstance(st, dict) and "resting" in st:
        r = st["resting"]
        return OrderResult(status=OrderStatus.RESTING, cloid=r.get("cloid", cloid), oid=int(r["oid"]))
    if isinstance(st, dict) and "filled" in st:
        f = st["filled"]
        return OrderResult(status=OrderStatus.FILLED, cloid=f.get("cloid", cloid), oid=int(f["oid"]),
                           filled_size=_dec(f["totalSz"]), avg_px=_dec(f["avgPx"]))
    if isinstance(st, dict) and "error" in st:
        return OrderResult(status=OrderStatus.ERROR, cloid=cloid, error=str(st["error"]))
    if st == "success":  # batchModify may answer like a cancel
        return OrderResult(status=OrderStatus.RESTING, cloid=cloid)
    raise ValueError(f"unknown order status {st!r}")


def parse_cancel_statuses(body: object, count: int, endpoint: str = "exchange:cancel") -> list[str | None]:
    """None per cancel that succeeded, else the venue's error text."""
    statuses = _statuses(body, endpoint, count)
    out: list[str | None] = []
    with shaped(endpoint, body):
        for st in statuses:
            if st == "success":
                out.append(None)
            elif isinstance(st, dict) and "error" in st:
                out.append(str(st["error"]))
            else:
                raise ValueError(f"unknown cancel status {st!r}")
    return out
