"""PushedAccount serves a pushed snapshot only once it shows what our own replies promised."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import (
    AccountState,
    Fill,
    Order,
    OrderResult,
    OrderStatus,
    OrderUpdate,
    Side,
)
from perps_desktop.exchange.pushed import PushedAccount


def state(n: int = 0) -> AccountState:
    return AccountState(address="0xabc", equity=Decimal(1000 + n), total_notional=Decimal(0), margin_used=Decimal(0),
                        withdrawable=Decimal(0), positions=(), time_ms=n)


def order(oid: int) -> Order:
    return Order(symbol="BTC", side=Side.BUY, limit_px=Decimal(60000), size=Decimal("0.01"), orig_size=Decimal("0.01"),
                 oid=oid, timestamp_ms=oid)


def fill(oid: int) -> Fill:
    return Fill(symbol="BTC", side=Side.BUY, px=Decimal(60000), size=Decimal("0.01"), time_ms=1, oid=oid, tid=oid * 10)


def resting(oid: int) -> OrderResult:
    return OrderResult(status=OrderStatus.RESTING, oid=oid)


def filled(oid: int) -> OrderResult:
    return OrderResult(status=OrderStatus.FILLED, oid=oid, filled_size=Decimal("0.01"), avg_px=Decimal(60000))


def test_nothing_is_served_before_the_first_pushes():
    p = PushedAccount()
    assert p.state() is None and p.orders() is None and not p.pending
    p.on_state(state())
    p.on_orders([])
    assert p.state() == state() and p.orders() == []


def test_a_resting_order_is_served_once_a_push_lists_it():
    p = PushedAccount()
    p.on_state(state())
    p.on_orders([])
    p.expect([resting(7)])
    assert p.orders() is None and p.pending             # the reply came before the push
    p.on_orders([order(7)])
    assert [o.oid for o in p.orders()] == [7] and not p.pending


def test_a_push_that_beat_the_reply_counts():
    p = PushedAccount()
    p.on_state(state())
    p.on_fills([fill(9)])
    p.on_state(state(1))                                # the fill and its state arrived first
    p.on_orders([order(7)])
    p.expect([resting(7), filled(9)])
    assert p.orders() is not None and p.state() == state(1)


def test_a_fill_needs_its_push_and_a_state_pushed_after_it():
    p = PushedAccount()
    p.on_state(state())
    p.on_orders([])
    p.expect([filled(9)])
    assert p.state() is None
    p.on_fills([fill(9)])
    assert p.state() is None                            # the state before the fill is not the state after it
    p.on_state(state(2))
    assert p.state() == state(2)


def test_a_cancel_is_served_once_the_order_left_the_list():
    p = PushedAccount()
    p.on_state(state())
    p.on_orders([order(7), order(8)])
    p.expect_gone([7])
    assert p.orders() is None
    p.on_orders([order(8)])
    assert [o.oid for o in p.orders()] == [8]
    p.expect([resting(5)])
    p.on_order_updates([OrderUpdate(order=order(5), status="filled", status_ms=1)])
    assert p.orders() is not None                       # it came and went: owed no listing


def test_a_promise_not_kept_drops_the_part_and_an_old_state_is_not_served():
    clock = ManualClock()
    p = PushedAccount(settle_s=2.0, max_age_s=5.0, clock=clock)
    p.on_state(state())
    p.on_orders([])
    p.expect([resting(7)])
    clock.advance(2.5)                                      # the push never came
    assert p.orders() is None and not p.pending         # REST until the next push
    p.on_orders([order(7)])
    assert p.orders() is not None
    clock.advance(5.1)
    assert p.state() is None                            # no state pushed for 5 s: read it over REST
    p.on_state(state(3))
    assert p.state() == state(3)


async def test_settled_waits_for_the_trailing_push():
    p = PushedAccount()
    p.on_state(state())
    p.on_orders([])
    p.expect([resting(7)])
    asyncio.get_running_loop().call_later(0.05, p.on_orders, [order(7)])
    assert await p.settled(p.orders, 5.0)
    p.expect([resting(8)])
    assert not await p.settled(p.orders, 0.05)          # not in time: the caller goes to REST
    p.reset()
    assert p.state() is None and p.orders() is None
