"""gather_all runs reads together, waits for every one, and raises the first error by position."""

from __future__ import annotations

import asyncio

import pytest

from perps_desktop.core.gathering import gather_all


async def test_results_come_back_in_order_and_the_reads_overlap():
    started: list[str] = []
    all_started = asyncio.Event()

    async def read(name: str) -> str:
        started.append(name)
        if len(started) == 3:
            all_started.set()
        # every read waits for the other two to have started: one-by-one code never gets there
        await asyncio.wait_for(all_started.wait(), 10)
        return name

    assert await gather_all(read("a"), read("b"), read("c")) == ["a", "b", "c"]
    assert started == ["a", "b", "c"]


async def test_the_first_error_is_raised_only_after_every_sibling_is_done():
    finished: list[str] = []

    async def slow_ok() -> str:
        await asyncio.sleep(0.02)
        finished.append("slow")
        return "ok"

    async def fails(msg: str, delay: float) -> str:
        await asyncio.sleep(delay)
        finished.append(msg)
        raise ValueError(msg)

    with pytest.raises(ValueError, match="first"):
        await gather_all(slow_ok(), fails("first", 0.01), fails("second", 0.0))
    assert sorted(finished) == ["first", "second", "slow"]


async def test_cancel_and_wait_ends_the_task_and_lets_its_cleanup_run():
    from perps_desktop.core.gathering import cancel_and_wait

    cleaned = asyncio.Event()
    started = asyncio.Event()

    async def worker():
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    task = asyncio.get_running_loop().create_task(worker())
    await asyncio.wait_for(started.wait(), 10)
    await cancel_and_wait(task)
    assert task.cancelled() and cleaned.is_set()
    await cancel_and_wait(None)   # nothing to stop is not an error


@pytest.mark.parametrize(("limit", "peak"), [(1, 1), (2, 2), (3, 3), (0, 5), (9, 5)])
async def test_gather_bounded_runs_at_most_limit_at_once_and_keeps_the_order(limit, peak):
    from perps_desktop.core.gathering import gather_bounded

    running, seen = [0], [0]

    async def call(i: int) -> int:
        running[0] += 1
        seen[0] = max(seen[0], running[0])
        for _ in range(3):              # yield: every call that may start does so meanwhile
            await asyncio.sleep(0)
        running[0] -= 1
        return i

    calls = [lambda i=i: call(i) for i in range(5)]
    assert await gather_bounded(calls, limit) == [0, 1, 2, 3, 4]
    assert seen[0] == peak


async def test_gather_bounded_raises_the_first_error_after_the_started_calls_are_done():
    from perps_desktop.core.gathering import gather_bounded

    finished: list[int] = []

    async def call(i: int) -> int:
        await asyncio.sleep(0)
        finished.append(i)
        if i in (1, 3):
            raise ValueError(f"call {i}")
        return i

    with pytest.raises(ValueError, match="call 1"):
        await gather_bounded([lambda i=i: call(i) for i in range(5)], 2)
    assert sorted(finished) == [0, 1, 2, 3, 4]
    finished.clear()
    with pytest.raises(ValueError, match="call 1"):      # one by one: nothing starts after the error
        await gather_bounded([lambda i=i: call(i) for i in range(5)], 1)
    assert finished == [0, 1]
