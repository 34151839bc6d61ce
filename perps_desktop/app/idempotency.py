"""IdempotencyCache: a retried POST with the same key acts once and gets the first answer again.

A client that lost the answer to "close BTC" cannot know whether the close was sent; it retries
with the same `Idempotency-Key`, and the served core answers from here instead of closing twice.
A retry that arrives while the first is still running waits for that same run. Keys are scoped by
the token that sent them (another token cannot read or replay an answer), kept for a day, and at
most `size` of them in memory (the oldest go first). A key reused with a different body is
refused (409).

Memory alone forgets every key when the core restarts, and a restart is exactly when a client's
answer is most likely lost. So a key this process has not seen is first looked up by `recall`
(the API server reads it from the action's trace, where the first answer was recorded with the
key's hash): found, its answer is the replay; only a key nobody has seen acts.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from perps_desktop.core.clock import monotonic

__all__ = ["IdempotencyCache", "KeyReused", "Recalled", "body_digest", "key_hash"]


class KeyReused(ValueError):
    """The key was used before for a different request body."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recalled:
    """A key's first run as it was recorded: the body's digest and the answer it got."""

    digest: str
    answer: Any


def key_hash(scope: str, key: str) -> str:
    """What is recorded of a key: a hash of (scope, key), so the trace holds no key a reader could replay."""
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:32]


def body_digest(body: bytes) -> str:
    """What is recorded of a request body: a key reused with another body is refused, also after a restart."""
    return hashlib.sha256(body).hexdigest()


#: (scope, key) -> the recorded first run, or None if this key was never used
Recall = Callable[[str, str], Awaitable[Recalled | None]]


class IdempotencyCache:
    def __init__(self, size: int = 2000, ttl_s: float = 86_400.0, *, recall: Recall | None = None) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self.recall = recall
        self._runs: OrderedDict[tuple[str, str], tuple[float, str, asyncio.Future[tuple[Any, bool]]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._runs)

    async def run(self, scope: str, key: str, body: bytes,
                  act: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """(answer, replayed): the first call for (scope, key) runs `act` — as its own task, so a
        client that hangs up mid-way never cancels an order on the wire — later ones share it.
        A key recalled from before this process started is a replay of its recorded answer."""
        now = monotonic()
        while self._runs:
            oldest = next(iter(self._runs.values()))
            if len(self._runs) < self.size and now - oldest[0] < self.ttl_s:
                break
            self._runs.popitem(last=False)
        digest = body_digest(body)
        seen = self._runs.get((scope, key))
        if seen is not None:
            if seen[1] != digest:
                raise KeyReused(f"Idempotency-Key {key!r} was used for a different request")
            answer, _ = await asyncio.shield(seen[2])
            return answer, True
        # registered before anything is awaited, so a retry arriving meanwhile shares this run
        future = asyncio.ensure_future(self._first(scope, key, digest, act))
        self._runs[(scope, key)] = (now, digest, future)
        try:
            return await asyncio.shield(future)
        except KeyReused:
            self._runs.pop((scope, key), None)
            raise

    async def _first(self, scope: str, key: str, digest: str, act: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        recalled = await self.recall(scope, key) if self.recall is not None else None
        if recalled is None:
            return await act(), False
        if recalled.digest != digest:
            raise KeyReused(f"Idempotency-Key {key!r} was used for a different request")
        return recalled.answer, True
