"""The stop-loss plan: one reduce-only stop per position, ours recognised by cloid, misfits replaced."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from perps_desktop.core.breaker import CircuitBreaker
from perps_desktop.core.models import Order, Side
from perps_desktop.core.monitor import PerformanceMonitor
from perps_desktop.core.recovery_rules import has_stop
from perps_desktop.core.stops import STOP_CLOID_PREFIX, StopLossManager, is_own_stop, plan_stops, stop_request
from perps_desktop.errors import TransportError
from tests import stubs
from tests.unit.core.memory_venue import MemoryVenue


def own_stop(symbol: str = "BTC", oid: int = 9, *, side: Side = Side.SELL, size: str = "0.5", trigger: str = "63700"):
    return stubs.order(symbol, oid, side=side, px=trigger, size=size, reduce_only=True, order_type="Stop Market",
                       tif=None, trigger_px=Decimal(trigger), cloid=STOP_CLOID_PREFIX + "ab" * 12)


def test_a_long_gets_a_reduce_only_stop_market_sell_below_its_entry():
    req = stop_request(stubs.position("BTC", "0.5", entry=65000), 2.0)
    assert not req.is_buy and req.reduce_only and req.size == Decimal("0.5")
    assert (req.tpsl, req.trigger_is_market) == ("sl", True)
    assert float(req.trigger_px) == pytest.approx(63_700) and req.limit_px < req.trigger_px
    assert req.cloid.startswith(STOP_CLOID_PREFIX) and len(req.cloid) == 34


def test_a_short_gets_a_buy_stop_above_its_entry():
    req = stop_request(stubs.position("ETH", "-2", entry=3000), 5.0)
    assert req.is_buy and req.size == Decimal(2) and req.reduce_only
    assert float(req.trigger_px) == pytest.approx(3150) and req.limit_px > req.trigger_px


def test_a_position_already_past_its_stop_distance_gets_a_stop_below_the_mark_not_above():
    req = stop_request(stubs.position("BTC", "0.5", entry=65000, mark=60000), 2.0)
    assert float(req.trigger_px) == pytest.approx(58_800)       # 2% under the mark: it does not fire at once


def test_a_new_position_gets_a_stop_and_a_fitting_one_is_kept():
    p = stubs.position("BTC", "0.5")
    plan = plan_stops([p], [], 2.0)
    ((placed_for, req),) = plan.place
    assert placed_for is p and req.size == Decimal("0.5") and not plan.keep and not plan.cancel and not plan.replace
    fit = own_stop(size="0.5")
    plan = plan_stops([p], [fit, stubs.order("BTC", 3)], 2.0)   # a plain limit order is not ours
    assert [s.oid for s in plan.keep] == [9] and not plan.place and not plan.cancel and not plan.replace


def test_a_resized_position_replaces_its_stop_and_a_closed_one_cancels_it():
    old = own_stop(size="0.5")
    plan = plan_stops([stubs.position("BTC", "0.8")], [old], 2.0)
    assert plan.replace == (old,) and plan.place[0][1].size == Decimal("0.8") and not plan.cancel
    flipped = plan_stops([stubs.position("BTC", "-0.5")], [old], 2.0)   # same size, now short: a sell stop is wrong
    assert flipped.replace == (old,) and flipped.place[0][1].is_buy
    gone = plan_stops([], [old], 2.0)
    assert gone.cancel == (old,) and not gone.place


def test_the_traders_own_stops_are_left_alone():
    theirs = replace(own_stop(size="0.3"), cloid="0x" + "12" * 16)
    assert not is_own_stop(theirs) and has_stop(stubs.position("BTC", "0.5"), [theirs])
    plan = plan_stops([], [theirs], 2.0)
    assert not plan.cancel and not plan.replace


def test_what_it_places_counts_as_a_stop_for_recovery():
    p = stubs.position("SOL", "-10", entry=150)
    req = stop_request(p, 2.0)
    resting = stubs.order("SOL", 5, side=Side.BUY, px=str(req.limit_px), size="10", reduce_only=True,
                          trigger_px=req.trigger_px, cloid=req.cloid)
    assert has_stop(p, [resting]) and is_own_stop(resting)


class _StrandedStopVenue(MemoryVenue):
    """No positions, one stop of ours left resting, and every cancel fails (a venue mid-outage)."""

    def __init__(self, stop: Order) -> None:
        super().__init__([])
        self.stop = stop

    async def open_orders(self, address=None, *, fresh=False) -> list[Order]:
        return [self.stop]

    async def cancel(self, symbol: str, oid: int) -> bool:
        raise TransportError("connection reset", endpoint="exchange:cancel")


async def test_a_cancel_that_fails_with_nothing_to_place_is_a_failure_of_the_sync_not_a_crash():
    stop = own_stop("BTC", oid=9)
    manager = StopLossManager(_StrandedStopVenue(stop), guard=CircuitBreaker("exchange_orders"),
                              lock=asyncio.Lock(), trace=lambda *a, **kw: None, monitor=PerformanceMonitor())
    done = await manager.sync()
    assert not done.placed and not done.canceled
    assert done.failed == ("cancel BTC stop 9: exchange:cancel: connection reset",)   # the venue's error, quoted
    assert manager.needs_sync([], [stop]) is False and manager.stops == {}
