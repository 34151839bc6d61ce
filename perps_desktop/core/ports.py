"""The core's ports: what the trading core needs from the outside, as Protocols.

The core (engine, recovery, health checks) depends only on these; `exchange.HyperliquidClient`
implements `ExchangePort`, `store.TraceStore` implements `TraceSink`, `PerformanceMonitor` is a
`RequestObserver` for the client's round trips, and `app/` wires them.
That keeps core free of I/O and lets the same engine run against the simulator or the venue.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from perps_desktop.core.models import AccountState, Fill, L2Book, Order, OrderRequest, OrderResult, OrderState, Trace

__all__ = ["AssetInfo", "ExchangePort", "MidSink", "RequestObserver", "TraceSink"]


class AssetInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def sz_decimals(self) -> int: ...

    @property
    def max_leverage(self) -> int: ...


class ExchangePort(Protocol):
    """The calls the core makes on a venue. Errors are `perps_desktop.errors.ExchangeError`s."""

    @property
    def address(self) -> str | None: ...

    async def meta(self) -> Sequence[AssetInfo]: ...

    async def all_mids(self) -> dict[str, Decimal]: ...

    async def mid(self, symbol: str) -> Decimal: ...

    async def user_state(self, address: str | None = None, *, fresh: bool = False) -> AccountState:
        """The account; may be served from the venue's pushes or a cache unless `fresh` (a REST read now)."""
        ...

    async def open_orders(self, address: str | None = None, *, fresh: bool = False) -> list[Order]: ...

    async def user_fills(self, address: str | None = None, *, fresh: bool = False) -> list[Fill]: ...

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """One order; concurrent calls within the coalescing window go out as one bulk action."""
        ...

    async def place_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult]:
        """One bulk order action; one result per request, in order."""
        ...

    async def cancel(self, symbol: str, oid: int) -> bool: ...

    async def cancel_all(self) -> list[tuple[Order, bool]]: ...

    async def ping(self, timeout_s: float | None = None) -> float:
        """A cheap round trip (allMids, uncached) bounded by `timeout_s`; returns its latency in ms.
        For health checks: a timeout is the request's own, so the observer counts it."""
        ...

    async def order_status(self, oid: int | str, address: str | None = None) -> OrderState:
        """By venue oid (int) or cloid (str); `status == "unknownOid"` when the venue never saw it."""
        ...

    async def cancel_by_cloid(self, symbol: str, cloid: str) -> bool: ...

    async def l2_book(self, symbol: str) -> L2Book: ...


class TraceSink(Protocol):
    def record(self, trace: Trace) -> None:
        """Queue one trace without blocking (microseconds); never raises on a full queue."""
        ...


class MidSink(Protocol):
    def record_mids(self, samples: Sequence[tuple[str, int, float]]) -> None:
        """Queue mid samples (symbol, epoch second, price) without blocking."""
        ...


class RequestObserver(Protocol):
    def on_request(self, endpoint: str, ms: float, ok: bool, error: BaseException | None = None) -> None:
        """One HTTP round trip to the venue ended: `endpoint` is its label ("info:allMids",
        "exchange:order"), `ms` how long it took, `ok` False when it failed, `error` why (an
        `ExchangeError`: a timeout, an HTTP error, a refusal). Called on the loop for every attempt
        sent, retries included (never for a cache hit): it must be quick and must not raise."""
        ...
