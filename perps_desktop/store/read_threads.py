"""The reader threads: a read runs on one, its answer comes back to the loop in one cheap hop.

Why not `loop.run_in_executor`: a hop through a ThreadPoolExecutor costs a concurrent Future, an
asyncio Future chained to it and their callbacks (~80 µs here), and those keep the result alive
after the caller has it: the executor's future until its thread next gets the GIL, the asyncio
future until the task that awaited it next yields. A large result that the caller has already
dropped (2,500 decoded payloads) was then freed by whichever thread let go last, in the middle
of some later read. Here a job is a list on a `queue.SimpleQueue`; the thread stores the result in
it and wakes the loop with one `call_soon_threadsafe`; the awaiting coroutine takes the result out
of the list, and the future it awaited only ever carries None. So the caller alone owns a result,
and it is freed on the loop where the caller drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ReadThreads"]

T = TypeVar("T")

_STOP = None
# a job: [fn, arg, future, loop, result, exception]
_FN, _ARG, _FUT, _LOOP, _RESULT, _EXC = range(6)


def _settle(job: list[Any]) -> None:
    """On the loop: wake the reader's future (with None: the result stays in the job)."""
    fut = job[_FUT]
    job[_FUT] = None
    if fut.done():                     # the reader gave up waiting (cancelled): drop the result here
        job.clear()
    else:
        fut.set_result(None)


class ReadThreads:
    """`count` daemon threads taking read jobs from one queue, first come first served."""

    def __init__(self, count: int, *, name: str = "trace-read") -> None:
        self._jobs: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(count)]
        self._lock = threading.Lock()      # a job is never queued behind the stop markers
        self._started = False
        self._stopped = False

    async def run(self, fn: Callable[[Any], T], arg: Any) -> T:
        """`fn(arg)` on a reader thread; raises what it raised."""
        loop = asyncio.get_running_loop()
        job: list[Any] = [fn, arg, loop.create_future(), loop, None, None]
        with self._lock:
            if self._stopped:
                raise RuntimeError("the reader threads are stopped")
            if not self._started:
                self._started = True
                for t in self._threads:
                    t.start()
            self._jobs.put(job)
        await job[_FUT]
        result, exc = job[_RESULT], job[_EXC]
        job.clear()
        if exc is not None:
            try:
                raise exc
            finally:
                exc = None             # no traceback -> frame -> exc cycle
        return result  # type: ignore[no-any-return]

    def stop(self, *, wait: bool = True) -> None:
        """Let the queued jobs finish, then end the threads (`wait`: block until they have)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            if not self._started:
                return
            for _ in self._threads:
                self._jobs.put(_STOP)
        if not wait:
            return
        for t in self._threads:
            if t is not threading.current_thread():
                t.join()

    def _run(self) -> None:
        # The thread keeps no reference to a result once it has woken the loop: the result
        # lives only in the job list, which the awaiting coroutine empties.
        get = self._jobs.get
        while True:
            job = get()
            if job is _STOP:
                return
            fn, arg, loop = job[_FN], job[_ARG], job[_LOOP]
            job[_FN] = job[_ARG] = None
            try:
                job[_RESULT] = fn(arg)
            except BaseException as exc:
                job[_EXC] = exc
            fn = arg = None
            with contextlib.suppress(RuntimeError):     # the loop is closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, job)
            job = loop = None
