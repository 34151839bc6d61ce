"""Order coalescing: requests submitted within a short window go out as one batch, one result each.

The first `submit` opens a window of `window_s`; everything submitted before it closes (or
until `max_batch` items are waiting) is handed to `flush` as one list, and each caller's
future gets the result at its own index. A caller cancelled before the flush is left out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """Batches concurrent submissions; `coalesced` counts items that shared a batch with others."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], *, window_s: float,
                 max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be >= 1")
        self._flush = flush
        self.window_s = window_s
        self.max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.coalesced = 0

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, fut))
        if len(self._pending) >= self.max_batch:
            self._flush_now()
        elif self._timer is None:
            self._timer = loop.call_later(self.window_s, self._flush_now)
        return await fut

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch = [(item, fut) for item, fut in self._pending if not fut.done()]
        self._pending = []
        if not batch:
            return
        self.batches += 1
        if len(batch) > 1:
            self.coalesced += len(batch)
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:
            for _, fut in batch:
                fut.cancel()
            raise
        except BaseException as exc:  # every waiting caller learns of the failure
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)

    async def drain(self) -> None:
        """Send what is waiting now and wait for every batch in flight."""
        if self._pending:
            self._flush_now()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
