"""AccountView keeps fills once each, applies order updates, and stays bounded."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.core.account_view import AccountView
from perps_desktop.core.models import AccountState, Fill, Order, OrderUpdate, Side


def fill(tid: int, t: int) -> Fill:
    return Fill(symbol="BTC", side=Side.BUY, px=Decimal(1), size=Decimal(1), time_ms=t, oid=tid, tid=tid)


def order(oid: int) -> Order:
    return Order(oid=oid, symbol="BTC", side=Side.BUY, limit_px=Decimal(1), size=Decimal(1), orig_size=Decimal(1),
                 timestamp_ms=oid)


ACCOUNT = AccountState(address="0x", equity=Decimal(1), total_notional=Decimal(0), margin_used=Decimal(0),
                       withdrawable=Decimal(1), positions=(), time_ms=0)


def test_fills_from_rest_and_stream_count_once_newest_first():
    v = AccountView(fills_kept=10)
    v.reset(ACCOUNT, [], [fill(1, 10), fill(2, 20)])
    assert [f.tid for f in v.take_fills([fill(2, 20), fill(3, 30)])] == [3]
    assert v.take_fills([fill(3, 30)]) == []
    assert [f.tid for f in v.fills] == [3, 2, 1]


def test_fills_and_dedup_set_stay_bounded():
    v = AccountView(fills_kept=5)
    for i in range(1000):
        v.take_fills([fill(i, i)])
    assert len(v.fills) == 5 and len(v._seen_tids) <= 4 * 5 + 1


def test_order_updates_add_and_remove_and_say_when_the_book_changed():
    v = AccountView()
    assert v.take_order_updates([OrderUpdate(order=order(1), status="open", status_ms=0)])
    assert [o.oid for o in v.orders] == [1]
    assert not v.take_order_updates([OrderUpdate(order=order(2), status="open", status_ms=0),
                                     OrderUpdate(order=order(2), status="filled", status_ms=0)])
    assert v.take_order_updates([OrderUpdate(order=order(1), status="canceled", status_ms=0)])
    assert v.orders == ()


def test_a_pushed_update_keeps_what_the_rest_read_said_about_a_stop():
    v = AccountView()
    stop = Order(oid=7, symbol="BTC", side=Side.SELL, limit_px=Decimal(90), size=Decimal(2), orig_size=Decimal(2),
                 timestamp_ms=7, reduce_only=True, order_type="Stop Market", tif=None, trigger_px=Decimal(95))
    v.take_orders([stop])
    pushed = Order(oid=7, symbol="BTC", side=Side.SELL, limit_px=Decimal(90), size=Decimal(1), orig_size=Decimal(2),
                   timestamp_ms=7)                  # the stream's row: no trigger, no reduce-only flag
    v.take_order_updates([OrderUpdate(order=pushed, status="open", status_ms=1)])
    (o,) = v.orders
    assert o.size == Decimal(1) and o.trigger_px == Decimal(95) and o.reduce_only and o.order_type == "Stop Market"
