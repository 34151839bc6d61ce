"""The rate budget queues callers instead of exceeding the venue's weight per window."""

from __future__ import annotations

import asyncio
import time

import pytest

from perps_desktop.exchange.rate_budget import RateBudget


async def test_within_budget_nothing_waits():
    budget = RateBudget(100)
    for _ in range(50):
        await budget.acquire(2)
    assert budget.used == 100
    assert budget.waits == 0


async def test_over_budget_callers_wait_for_old_weight_to_age_out():
    budget = RateBudget(10, window_s=0.3)
    await budget.acquire(10)
    t0 = time.monotonic()
    await budget.acquire(5)
    waited = time.monotonic() - t0
    assert waited >= 0.25
    assert budget.waits == 1 and budget.waited_s > 0


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
    budget = RateBudget(1000)
    budget.penalize(0.2)
    t0 = time.monotonic()
    await budget.acquire(1)
    assert time.monotonic() - t0 >= 0.15


def test_charge_counts_without_waiting_and_weight_is_clamped():
    now = [0.0]
    budget = RateBudget(10, clock=lambda: now[0])
    budget.charge(7)
    assert budget.used == 7
    now[0] = 61.0
    assert budget.used == 0
    with pytest.raises(ValueError):
        RateBudget(0)


async def test_a_request_heavier_than_the_limit_still_goes_once_the_window_is_empty():
    budget = RateBudget(5, window_s=0.1)
    await budget.acquire(50)
    assert budget.used == 5
