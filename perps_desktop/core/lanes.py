"""Lanes: whose request goes first when the venue's request budget is tight.

The trader's own actions (close, reduce, cancel, flatten) come first, then protective orders
(stop-losses, recovery's automatic cuts), then the strategy's orders, then polling. The core
says which lane it works in with `in_lane(Lane.MANUAL)`; the exchange client reads
`current_lane()` when it takes a request's weight from the budget. The lane is a context
variable, so it follows an awaited call chain (and tasks started inside it) without being
passed through every signature.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

__all__ = ["Lane", "current_lane", "in_lane", "runs_in", "urgent_lock"]


class Lane(enum.IntEnum):
    """Lower values go first."""

    MANUAL = 0          # the trader's hand: close, reduce, cancel, flatten
    PROTECT = 1         # stop-losses, recovery's automatic cuts, reads made under the execution lock
    STRATEGY = 2        # the strategy's orders
    POLL = 3            # reads: reconciliation, audit, health checks

    @property
    def noun(self) -> str:
        """What a request of this lane is, for "rate-limited: order queued 3 s"."""
        return _NOUNS[self]


_NOUNS = {Lane.MANUAL: "action", Lane.PROTECT: "stop", Lane.STRATEGY: "order", Lane.POLL: "read"}
_current: ContextVar[Lane | None] = ContextVar("perps_lane", default=None)


def current_lane() -> Lane | None:
    """The lane set by the nearest enclosing `in_lane` (None: the caller did not say)."""
    return _current.get()


@contextmanager
def in_lane(lane: Lane, *, keep_higher: bool = True) -> Iterator[Lane]:
    """Run the block in `lane`; with `keep_higher` an enclosing lane that goes first is kept."""
    outer = _current.get()
    chosen = outer if keep_higher and outer is not None and outer < lane else lane
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def runs_in(lane: Lane) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Decorate an async method so its whole body runs `in_lane(lane)`."""
    def wrap(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> T:
            with in_lane(lane):
                return await fn(*args, **kwargs)
        return inner
    return wrap


@asynccontextmanager
async def urgent_lock(lock: asyncio.Lock, on_wait: Callable[[], object] | None,
                      every_s: float = 0.1) -> AsyncIterator[None]:
    """Hold `lock`; while it is taken, call `on_wait()` at once and every `every_s` (e.g. the budget's
    `promote`, so whatever holds the lock and waits for budget goes in the waiter's lane)."""
    while True:
        if lock.locked() and on_wait is not None:
            on_wait()
        try:
            await asyncio.wait_for(lock.acquire(), every_s)
            break
        except TimeoutError:
            continue
    try:
        yield
    finally:
        lock.release()
