"""gather_all: run awaitables together, await every one, then raise the first error; cancel_and_wait.

Plain `asyncio.gather` raises the first error while its siblings run on, and their own errors
are never retrieved; `return_exceptions=True` avoids that but leaves every caller to look for
the error itself. Reads that belong together (a tick's market data, a reconciliation, a
recovery round) go through this one function instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

__all__ = ["cancel_and_wait", "first_error", "gather_all"]


def first_error(results: list[Any]) -> list[Any]:
    """`results` of a `gather(..., return_exceptions=True)`, or the first exception among them raised."""
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """The awaitables' results in order, once all are done; the first error (by position) is raised."""
    return first_error(await asyncio.gather(*aws, return_exceptions=True))


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task a component owns and wait until it has ended (None: nothing to do).

    Its own CancelledError is swallowed; a cancellation of the caller still propagates.
    """
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
