"""Test helpers shared by every tree."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_until(cond: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> None:
    """Await a condition with a generous timeout (the async replacement for qtbot.waitUntil)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(f"condition not met within {timeout:.1f}s")
        await asyncio.sleep(interval)
