"""InFlight: the writes sent to the venue and not yet answered, so a stop can be prompt and honest.

Reads can be cut off at once when the app stops; a write cannot be taken back once it left. Every
order or cancel goes out inside `sending(...)`: a stop waits `settle(grace_s)` for those to end,
and whatever is still out after the grace is returned to be recorded as *unknown* (with its
cloids, so the next start can ask the venue what became of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perps_desktop.core.models import Order, OrderRequest, OrderResult
    from perps_desktop.core.ports import ExchangePort

__all__ = ["InFlight", "TrackedExchange", "Write"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """One write on its way: what it is (for people) and the cloids of its orders."""

    what: str
    cloids: tuple[str, ...] = ()


class InFlight:
    """Counts writes in flight; `settle` waits (bounded) for them to end. Use from the loop only."""

    def __init__(self) -> None:
        self._live: dict[int, Write] = {}
        self._ids = itertools.count()
        self._idle: asyncio.Event | None = None

    @contextlib.contextmanager
    def sending(self, what: str, cloids: Sequence[str | None] = ()) -> Iterator[None]:
        """Wrap the await of one write (`with inflight.sending("order BTC", [cloid]): await ...`)."""
        key = next(self._ids)
        self._live[key] = Write(what=what, cloids=tuple(c for c in cloids if c))
        try:
            yield
        finally:
            del self._live[key]
            if not self._live and self._idle is not None:
                self._idle.set()

    @property
    def active(self) -> tuple[Write, ...]:
        return tuple(self._live.values())

    async def settle(self, grace_s: float) -> tuple[Write, ...]:
        """Wait up to `grace_s` for every write in flight to end; return those still out."""
        if self._live:
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace_s):
                    await self._idle.wait()
        return self.active


class TrackedExchange:
    """An `ExchangePort` whose writes are counted in `inflight`; everything else passes straight through.

    The engine and position recovery are given this one, so every order and cancel they send, by
    the strategy or by the trader's hand, is known to a stop."""

    def __init__(self, exchange: ExchangePort, inflight: InFlight) -> None:
        self._ex = exchange
        self.inflight = inflight

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ex, name)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        with self.inflight.sending(f"order {request.symbol}", (request.cloid,)):
            return await self._ex.place_order(request)

    async def place_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult]:
        what = "orders " + ", ".join(sorted({r.symbol for r in requests}))
        with self.inflight.sending(what, tuple(r.cloid for r in requests)):
            return await self._ex.place_orders(requests)

    async def cancel(self, symbol: str, oid: int) -> bool:
        with self.inflight.sending(f"cancel {symbol} oid {oid}"):
            return await self._ex.cancel(symbol, oid)

    async def cancel_by_cloid(self, symbol: str, cloid: str) -> bool:
        with self.inflight.sending(f"cancel {symbol} cloid {cloid}"):
            return await self._ex.cancel_by_cloid(symbol, cloid)

    async def cancel_all(self) -> list[tuple[Order, bool]]:
        with self.inflight.sending("cancel all"):
            return await self._ex.cancel_all()
