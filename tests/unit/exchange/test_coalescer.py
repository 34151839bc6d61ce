"""Coalescing: submissions within the window become one batch; each caller gets its own result."""

from __future__ import annotations

import asyncio

import pytest

from perps_desktop.exchange.coalescer import Coalescer


class Recorder:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail

    async def flush(self, items: list[int]) -> list[str]:
        self.batches.append(items)
        await asyncio.sleep(0)
        if self.fail:
            raise self.fail
        return [f"r{i}" for i in items]


async def test_concurrent_submissions_share_one_batch():
    rec = Recorder()
    co = Coalescer(rec.flush, window_s=0.01, max_batch=40)
    results = await asyncio.gather(*(co.submit(i) for i in range(5)))
    assert results == [f"r{i}" for i in range(5)]
    assert rec.batches == [[0, 1, 2, 3, 4]]
    assert co.batches == 1 and co.coalesced == 5


async def test_a_full_batch_goes_at_once_and_the_rest_follows():
    rec = Recorder()
    co = Coalescer(rec.flush, window_s=10.0, max_batch=3)
    first = await asyncio.wait_for(asyncio.gather(*(co.submit(i) for i in range(3))), timeout=5)
    assert first == ["r0", "r1", "r2"]
    assert rec.batches == [[0, 1, 2]]


async def test_a_failed_batch_fails_each_caller():
    co = Coalescer(Recorder(fail=RuntimeError("venue down")).flush, window_s=0.005, max_batch=10)
    results = await asyncio.gather(co.submit(1), co.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_a_caller_cancelled_before_the_flush_is_left_out():
    rec = Recorder()
    co = Coalescer(rec.flush, window_s=0.05, max_batch=10)
    keep = asyncio.ensure_future(co.submit(1))
    gone = asyncio.ensure_future(co.submit(2))
    await asyncio.sleep(0)
    gone.cancel()
    assert await keep == "r1"
    assert rec.batches == [[1]]
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_drain_sends_what_waits():
    rec = Recorder()
    co = Coalescer(rec.flush, window_s=60.0, max_batch=10)
    fut = asyncio.ensure_future(co.submit(9))
    await asyncio.sleep(0)
    await co.drain()
    assert await fut == "r9"
