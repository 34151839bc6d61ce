"""An in-memory ExchangePort for the core's unit tests: fixed positions, counted calls, measured concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

from perps_desktop.core.models import AccountState, Fill, Order, OrderRequest, OrderResult, OrderStatus, Position


class MemoryVenue:
    """Just enough of ExchangePort: fixed positions, counted calls, measured concurrency."""

    address = "0x" + "1" * 40

    def __init__(self, positions: Sequence[Position], equity: str = "100000") -> None:
        self.positions = list(positions)
        self.equity = Decimal(equity)
        self.calls: dict[str, int] = {}
        self.inflight = 0
        self.max_inflight = 0
        self.batches: list[list[OrderRequest]] = []

    async def _io(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            await asyncio.sleep(0.001)
        finally:
            self.inflight -= 1

    async def user_state(self, address=None, *, fresh=False) -> AccountState:
        await self._io("user_state")
        return AccountState(address=self.address, equity=self.equity, total_notional=Decimal(0),
                            margin_used=Decimal(0), withdrawable=self.equity, positions=tuple(self.positions),
                            time_ms=0)

    async def open_orders(self, address=None, *, fresh=False) -> list[Order]:
        await self._io("open_orders")
        return []

    async def user_fills(self, address=None, *, fresh=False) -> list[Fill]:
        await self._io("user_fills")
        return []

    async def mid(self, symbol: str) -> Decimal:
        await self._io("mid")
        return next(p.mark_px for p in self.positions if p.symbol == symbol)

    async def all_mids(self) -> dict[str, Decimal]:
        await self._io("all_mids")
        return {p.symbol: p.mark_px for p in self.positions}

    async def place_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult]:
        await self._io("place_orders")
        self.batches.append(list(requests))
        return [OrderResult(status=OrderStatus.FILLED, cloid=r.cloid, oid=i + 1, filled_size=r.size,
                            avg_px=r.limit_px) for i, r in enumerate(requests)]

    async def place_order(self, request: OrderRequest) -> OrderResult:
        return (await self.place_orders([request]))[0]

    async def cancel(self, symbol: str, oid: int) -> bool:
        await self._io("cancel")
        return True

    async def cancel_all(self) -> list[tuple[Order, bool]]:
        await self._io("cancel_all")
        return []
