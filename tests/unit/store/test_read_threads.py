"""ReadThreads: results, errors and cancellation come back to the loop; the thread keeps no result."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import pytest

from perps_desktop.store.read_threads import ReadThreads


class _Result:
    pass


async def test_runs_off_the_loop_and_returns_the_result() -> None:
    threads = ReadThreads(2)
    try:
        loop_thread = threading.get_ident()
        got = await asyncio.gather(*(threads.run(lambda x: (x * 2, threading.get_ident()), i) for i in range(5)))
        assert [v for v, _ in got] == [0, 2, 4, 6, 8]
        assert all(tid != loop_thread for _, tid in got)
    finally:
        threads.stop()


async def test_an_error_in_the_job_is_raised_to_the_caller() -> None:
    threads = ReadThreads(1)
    try:
        with pytest.raises(ZeroDivisionError):
            await threads.run(lambda x: 1 / x, 0)
        assert await threads.run(lambda x: x + 1, 1) == 2          # the thread survived
    finally:
        threads.stop()


async def test_the_result_is_owned_by_the_caller_alone() -> None:
    # no thread or future keeps it: it is freed the moment the caller drops it (no collection
    # needed), so a large result is never freed later on some other thread mid-read
    threads = ReadThreads(1)
    try:
        gc.disable()
        result = await threads.run(lambda _: _Result(), None)
        ref = weakref.ref(result)
        del result
        assert ref() is None
    finally:
        gc.enable()
        threads.stop()


async def test_a_cancelled_read_finishes_on_its_thread_and_is_dropped() -> None:
    threads = ReadThreads(1)
    started, release = threading.Event(), threading.Event()

    def slow(_: object) -> _Result:
        started.set()
        release.wait(10)
        return _Result()

    try:
        task = asyncio.ensure_future(threads.run(slow, None))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        assert await threads.run(lambda x: x, 7) == 7               # the next job still runs
    finally:
        release.set()
        threads.stop()


async def test_stop_finishes_queued_jobs_then_refuses_new_ones() -> None:
    threads = ReadThreads(1)
    pending = [asyncio.ensure_future(threads.run(lambda x: x, i)) for i in range(3)]
    await asyncio.sleep(0)
    await asyncio.to_thread(threads.stop)
    assert await asyncio.gather(*pending) == [0, 1, 2]
    with pytest.raises(RuntimeError):
        await threads.run(lambda x: x, 0)
    threads.stop()                                                    # idempotent
