"""The rate budget queues callers instead of exceeding the venue's weight per window."""

from __future__ import annotations

import asyncio
import time

import pytest

from perps_desktop.core.clock import ManualClock, wall_ms
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.errors import RateLimited
from perps_desktop.exchange.rate_budget import RateBudget


class HeldClock:
    """A Clock that stands still until `release()`, then runs on in real time: a loaded machine's stall while the
    test queues its requests cannot age anything out, and the window still ages out afterwards."""

    def __init__(self) -> None:
        self._since: float | None = None

    def monotonic(self) -> float:
        return 0.0 if self._since is None else 1.0 + time.monotonic() - self._since

    def wall_ms(self) -> int:
        return wall_ms()

    def release(self) -> None:
        self._since = time.monotonic()


async def test_within_budget_nothing_waits():
    budget = RateBudget(100, reserve_share=0.0)
    for _ in range(50):
        await budget.acquire(2)
    assert budget.used == 100
    assert budget.waits == 0


async def test_over_budget_callers_wait_for_old_weight_to_age_out():
    clock = ManualClock(monotonic=0.0)          # the window ages only when the test moves the clock
    budget = RateBudget(10, window_s=0.3, clock=clock)
    await budget.acquire(10)
    late = asyncio.ensure_future(budget.acquire(5))
    await asyncio.sleep(0)
    assert budget.waiting() is not None and not late.done()
    clock.advance(0.3)
    assert await asyncio.wait_for(late, timeout=10) == pytest.approx(0.3)
    assert budget.waits == 1 and budget.waited_s == pytest.approx(0.3)


async def test_waiters_are_served_in_order():
    budget = RateBudget(4, window_s=0.2)
    await budget.acquire(4)
    order: list[int] = []

    async def caller(i: int) -> None:
        await budget.acquire(4)
        order.append(i)

    await asyncio.gather(*(caller(i) for i in range(3)))
    assert order == [0, 1, 2]


async def test_penalty_holds_every_caller():
    clock = ManualClock(monotonic=0.0)
    budget = RateBudget(1000, clock=clock)
    budget.penalize(0.2)
    held = [asyncio.ensure_future(budget.acquire(1, lane)) for lane in (Lane.MANUAL, Lane.POLL)]
    await asyncio.sleep(0)
    assert budget.waiting() is not None and budget.waiting().queued == 2    # the trader's lane too
    clock.advance(0.2)
    assert await asyncio.wait_for(asyncio.gather(*held), timeout=10) == [pytest.approx(0.2)] * 2


def test_charge_counts_without_waiting_and_weight_is_clamped():
    clock = ManualClock(monotonic=0.0)
    budget = RateBudget(10, clock=clock)
    budget.charge(7)
    assert budget.used == 7
    clock.advance(61.0)
    assert budget.used == 0
    with pytest.raises(ValueError):
        RateBudget(0)


async def test_a_request_heavier_than_the_limit_still_goes_once_the_window_is_empty():
    clock = ManualClock(monotonic=0.0)   # the window moves only when the test says (never by a stall)
    budget = RateBudget(8, window_s=0.1, clock=clock)
    await budget.acquire(50, Lane.MANUAL)
    assert budget.used == 8
    poll = asyncio.ensure_future(budget.acquire(50))     # a poll is clamped to what polls may spend
    await asyncio.sleep(0)
    assert budget.waiting() is not None
    clock.advance(1.0)
    await poll
    assert budget.used == 6                     # (once the first had aged out)


async def test_an_action_never_waits_behind_a_poll():
    clock = HeldClock()                         # nothing ages out until the close has gone
    budget = RateBudget(10, window_s=0.3, reserve_share=0.2, clock=clock)   # polls may spend 8 of 10
    await budget.acquire(8)
    served: list[str] = []

    async def caller(name: str, lane: Lane, weight: int) -> None:
        await budget.acquire(weight, lane)
        served.append(name)

    polls = [asyncio.ensure_future(caller(f"poll{i}", Lane.POLL, 4)) for i in range(3)]
    await asyncio.sleep(0)                      # the polls are queued first
    assert budget.waiting() is not None and budget.waiting().lane is Lane.POLL
    with in_lane(Lane.MANUAL):                  # the lane the core sets around the trader's Close
        waited = await budget.acquire(2)
    served.append("close")
    assert waited == 0.0 and served == ["close"]
    clock.release()
    await asyncio.gather(*polls)
    assert served == ["close", "poll0", "poll1", "poll2"]


async def test_queued_requests_are_served_by_lane_then_arrival():
    clock = HeldClock()                         # all five are queued before anything ages out
    budget = RateBudget(10, window_s=0.25, reserve_share=0.0, clock=clock)
    await budget.acquire(10)
    served: list[str] = []

    async def caller(name: str, lane: Lane) -> None:
        await budget.acquire(3, lane)
        served.append(name)

    tasks = []
    for name, lane in (("poll", Lane.POLL), ("order", Lane.STRATEGY), ("stop", Lane.PROTECT),
                       ("close", Lane.MANUAL), ("cancel", Lane.MANUAL)):
        tasks.append(asyncio.ensure_future(caller(name, lane)))
        await asyncio.sleep(0)
    assert served == [] and budget.waiting().queued == 5
    clock.release()
    await asyncio.gather(*tasks)
    assert served == ["close", "cancel", "stop", "order", "poll"]
    assert budget.wait_snapshots()[Lane.POLL].count >= 1


async def test_the_reserved_share_holds_under_a_flood_of_polls():
    clock = ManualClock(monotonic=0.0)   # the window moves only when the test says
    budget = RateBudget(100, window_s=0.5, reserve_share=0.25, clock=clock)
    flood = [asyncio.ensure_future(budget.acquire(2)) for _ in range(200)]
    await asyncio.sleep(0)                      # every one of them has asked once
    assert budget.used == 74                    # polls stop at 75 of 100 (2 at a time: 74)
    waits = [await budget.acquire(2, lane) for lane in (Lane.MANUAL, Lane.PROTECT) * 6]
    assert waits == [0.0] * 12 and budget.used == 98
    order = asyncio.ensure_future(budget.acquire(2, Lane.STRATEGY))
    await asyncio.sleep(0)
    clock.advance(1.0)
    assert await order > 0                      # strategy orders do not eat the reserve either
    for f in flood:
        f.cancel()
    await asyncio.gather(*flood, return_exceptions=True)


async def test_closing_ends_every_wait_at_once():
    budget = RateBudget(4, window_s=60.0)
    await budget.acquire(4, Lane.MANUAL)
    queued = [asyncio.ensure_future(budget.acquire(2, lane)) for lane in (Lane.POLL, Lane.MANUAL)]
    await asyncio.sleep(0)
    budget.close()
    for f in queued:
        with pytest.raises(RateLimited):
            await f
    with pytest.raises(RateLimited):            # no room: fails at once instead of waiting a minute
        await budget.acquire(1, Lane.MANUAL)
    assert budget.waiting() is None


def test_lanes_nest_and_the_more_urgent_one_is_kept():
    from perps_desktop.core.lanes import current_lane
    assert current_lane() is None
    with in_lane(Lane.MANUAL):
        with in_lane(Lane.POLL) as inner:
            assert inner is Lane.MANUAL and current_lane() is Lane.MANUAL
        with in_lane(Lane.POLL, keep_higher=False):
            assert current_lane() is Lane.POLL
    assert current_lane() is None


async def test_promote_lets_what_a_close_waits_for_go_first():
    clock = ManualClock(monotonic=0.0)   # nothing ages out: only the promotion lets the order go
    budget = RateBudget(10, window_s=0.3, reserve_share=0.5, clock=clock)   # orders and polls spend 5
    await budget.acquire(5)
    order = asyncio.ensure_future(budget.acquire(2, Lane.STRATEGY))   # holds the execution lock, say
    poll = asyncio.ensure_future(budget.acquire(1, Lane.POLL))
    await asyncio.sleep(0)
    assert budget.waiting().lane is Lane.STRATEGY
    assert budget.promote(Lane.MANUAL) == 2                        # a Close waits for that lock
    assert await asyncio.wait_for(order, 10) == 0.0                # it goes now, out of the reserve
    clock.advance(1.0)
    await poll
    assert budget.promote(Lane.MANUAL) == 0
