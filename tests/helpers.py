"""Test helpers shared by every tree."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def wait_until(cond: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0,
                     interval: float = 0.01) -> None:
    """Await a condition with a generous timeout (the async replacement for qtbot.waitUntil); `cond`
    may be a coroutine function, e.g. one that asks the simulator over HTTP."""
    end = time.monotonic() + timeout
    while True:
        met = cond()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if time.monotonic() > end:
            raise TimeoutError(f"condition not met within {timeout:.1f}s")
        await asyncio.sleep(interval)
