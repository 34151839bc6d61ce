"""IdempotencyCache: a retried POST with the same key acts once and gets the first answer again.

A client that lost the answer to "close BTC" cannot know whether the close was sent; it retries
with the same `Idempotency-Key`, and the served core answers from here instead of closing twice.
A retry that arrives while the first is still running waits for that same run. Keys are scoped by
the token that sent them (another token cannot read or replay an answer), kept for a day, and at
most `size` of them (the oldest go first). A key reused with a different body is refused (409).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["IdempotencyCache", "KeyReused"]


class KeyReused(ValueError):
    """The key was used before for a different request body."""


class IdempotencyCache:
    def __init__(self, size: int = 2000, ttl_s: float = 86_400.0) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._runs: OrderedDict[tuple[str, str], tuple[float, str, asyncio.Future[Any]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._runs)

    async def run(self, scope: str, key: str, body: bytes,
                  act: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """(answer, replayed): the first call for (scope, key) runs `act` — as its own task, so a
        client that hangs up mid-way never cancels an order on the wire — later ones share it."""
        now = time.monotonic()
        while self._runs:
            oldest = next(iter(self._runs.values()))
            if len(self._runs) < self.size and now - oldest[0] < self.ttl_s:
                break
            self._runs.popitem(last=False)
        digest = hashlib.sha256(body).hexdigest()
        seen = self._runs.get((scope, key))
        if seen is not None:
            if seen[1] != digest:
                raise KeyReused(f"Idempotency-Key {key!r} was used for a different request")
            return await asyncio.shield(seen[2]), True
        future: asyncio.Future[Any] = asyncio.ensure_future(act())
        self._runs[(scope, key)] = (now, digest, future)
        return await asyncio.shield(future), False
