"""gather_all / gather_bounded: run awaitables together, await every one, then raise the first error;
cancel_and_wait.

Plain `asyncio.gather` raises the first error while its siblings run on, and their own errors
are never retrieved; `return_exceptions=True` avoids that but leaves every caller to look for
the error itself. Reads that belong together (a tick's market data, a reconciliation, a
recovery round) go through `gather_all` instead; fan-out with a parallelism setting (recovery's
reads, a round of health checks) through `gather_bounded`, so "1 = one by one, 0 = all at once,
n = at most n at a time" means the same everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

__all__ = ["cancel_and_wait", "first_error", "gather_all", "gather_bounded"]

T = TypeVar("T")


def first_error(results: list[Any]) -> list[Any]:
    """`results` of a `gather(..., return_exceptions=True)`, or the first exception among them raised."""
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """The awaitables' results in order, once all are done; the first error (by position) is raised."""
    return first_error(await asyncio.gather(*aws, return_exceptions=True))


async def gather_bounded(calls: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Each call's result in order, with at most `limit` of them running at once.

    `limit` 1 runs them one by one (the first error stops the rest from starting: the
    "parallelism off" side of a benchmark); 0 or less, or at least `len(calls)`, runs them all at
    once. Otherwise a call starts only when one of the first `limit` has finished. Every started
    call is awaited before the first error (by position) is raised, as in `gather_all`.
    """
    if limit == 1 or len(calls) <= 1:
        return [await call() for call in calls]
    if limit <= 0 or limit >= len(calls):
        return await gather_all(*(call() for call in calls))
    gate = asyncio.Semaphore(limit)

    async def gated(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()
    return await gather_all(*(gated(call) for call in calls))


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task a component owns and wait until it has ended (None: nothing to do).

    Its own CancelledError is swallowed; a cancellation of the caller still propagates.
    """
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
