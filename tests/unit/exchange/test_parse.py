"""Replies become models with Decimal numbers, or a typed error naming the endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.core.models import OrderStatus, Side
from perps_desktop.errors import ExchangeRejected, MalformedReply
from perps_desktop.exchange import parse

STATE = {
    "assetPositions": [{"type": "oneWay", "position": {
        "coin": "BTC", "szi": "-0.00785", "entryPx": "26951.0", "positionValue": "211.64542",
        "unrealizedPnl": "-0.08007", "returnOnEquity": "-0.00756643", "liquidationPx": None,
        "leverage": {"type": "cross", "value": 20}, "marginUsed": "10.582271", "maxLeverage": 50}}],
    "marginSummary": {"accountValue": "13109.48", "totalNtlPos": "4938.49", "totalRawUsd": "8170.97",
                      "totalMarginUsed": "246.92"},
    "crossMarginSummary": {"accountValue": "13109.48", "totalNtlPos": "4938.49", "totalRawUsd": "8170.97",
                           "totalMarginUsed": "246.92"},
    "crossMaintenanceMarginUsed": "61.7", "withdrawable": "12862.56", "time": 1700000000000,
}


def test_user_state():
    state = parse.parse_user_state(STATE, "0xABC")
    assert state.address == "0xabc"
    assert state.equity == Decimal("13109.48")
    assert state.maintenance_margin == Decimal("61.7")
    (pos,) = state.positions
    assert pos.symbol == "BTC" and pos.size == Decimal("-0.00785") and pos.side is Side.SELL
    assert pos.liquidation_px is None and pos.leverage == 20
    assert pos.mark_px == Decimal("211.64542") / Decimal("0.00785")


def test_meta_and_mids():
    assets = parse.parse_meta({"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50},
                                            {"name": "ETH", "szDecimals": 4, "maxLeverage": 25}]})
    assert [(a.name, a.asset_id, a.sz_decimals) for a in assets] == [("BTC", 0, 5), ("ETH", 1, 4)]
    assert parse.parse_all_mids({"BTC": "65000.5"}) == {"BTC": Decimal("65000.5")}


def test_orders_fills_and_status():
    (order,) = parse.parse_open_orders([{"coin": "BTC", "limitPx": "29792.0", "oid": 91490942, "side": "A",
                                         "sz": "0.0", "timestamp": 1681247412573, "origSz": "5.0",
                                         "cloid": "0x00000000000000000000000000000001"}])
    assert order.side is Side.SELL and order.orig_size == Decimal("5.0") and order.cloid.endswith("1")
    (fill,) = parse.parse_fills([{"coin": "SUI", "px": "1.3189", "sz": "142.7", "side": "A", "time": 1683245884863,
                                  "startPosition": "4623.5", "dir": "Close Long", "closedPnl": "-0.25686",
                                  "hash": "0x3d", "oid": 189324432, "crossed": True, "fee": "0.0",
                                  "tid": 118906512037719, "feeToken": "USDC"}])
    assert fill.px == Decimal("1.3189") and fill.tid == 118906512037719 and fill.cloid is None
    assert parse.parse_order_state({"status": "unknownOid"}).known is False
    state = parse.parse_order_state({"status": "order", "order": {"order": {
        "coin": "BTC", "side": "B", "limitPx": "60000.0", "sz": "0.0", "oid": 123, "timestamp": 1,
        "origSz": "0.01", "triggerPx": "0.0", "cloid": None}, "status": "filled", "statusTimestamp": 5}})
    assert state.status == "filled" and state.order.oid == 123 and state.order.trigger_px is None


def test_book_and_candles():
    book = parse.parse_l2_book({"coin": "BTC", "time": 1, "levels": [[{"px": "1", "sz": "2", "n": 3}], []]})
    assert book.bids[0].size == Decimal(2) and book.asks == ()
    (c,) = parse.parse_candles([{"t": 1, "T": 2, "s": "BTC", "i": "1m", "o": "1", "c": "2", "h": "3", "l": "0.5",
                                 "v": "9", "n": 4}])
    assert c.high == Decimal(3) and c.trades == 4


def test_order_results_one_per_order():
    body = {"status": "ok", "response": {"type": "order", "data": {"statuses": [
        {"resting": {"oid": 1}}, {"filled": {"totalSz": "0.02", "avgPx": "1891.4", "oid": 2}},
        {"error": "Order must have minimum value of $10."}]}}}
    res = parse.parse_order_results(body, ["0xa", "0xb", "0xc"])
    assert [r.status for r in res] == [OrderStatus.RESTING, OrderStatus.FILLED, OrderStatus.ERROR]
    assert res[0].cloid == "0xa" and res[1].avg_px == Decimal("1891.4") and "minimum" in res[2].error
    with pytest.raises(MalformedReply, match="expected 2 statuses"):
        parse.parse_order_results(body, ["0xa", "0xb"])


def test_cancel_statuses():
    body = {"status": "ok", "response": {"type": "cancel", "data": {"statuses": [
        "success", {"error": "Order was never placed, already canceled, or filled."}]}}}
    assert parse.parse_cancel_statuses(body, 2) == [None, "Order was never placed, already canceled, or filled."]


def test_whole_action_rejected_is_a_typed_error():
    with pytest.raises(ExchangeRejected, match="Invalid nonce") as info:
        parse.exchange_response({"status": "err", "response": "Invalid nonce: too old"}, "exchange:order")
    assert info.value.endpoint == "exchange:order"


@pytest.mark.parametrize(("fn", "body"), [
    (parse.parse_all_mids, ["not", "a", "dict"]),
    (parse.parse_all_mids, {"BTC": "sixty thousand"}),
    (parse.parse_meta, {"universe": [{"szDecimals": 5}]}),
    (parse.parse_open_orders, {"oops": 1}),
    (parse.parse_fills, [{"coin": "BTC"}]),
    (lambda b: parse.parse_user_state(b, "0x1"), {"marginSummary": {}}),
    (lambda b: parse.exchange_response(b, "exchange:order"), {"status": "weird"}),
])
def test_garbage_becomes_malformed_reply_quoting_the_start(fn, body):
    with pytest.raises(MalformedReply) as info:
        fn(body)
    err = info.value
    assert err.endpoint.startswith(("info:", "exchange:"))
    assert err.body_start and err.body_start[:5] in str(err)
