"""HyperliquidClient: the core's `ExchangePort` on one aiohttp session, with caches, coalescing and a stream.

    async with HyperliquidClient(ClientConfig.from_settings(settings, base_url=url),
                                 private_key=key, registry=registry) as client:
        mid = await client.mid("BTC")                      # shares one allMids with other callers
        result = await client.place_order(OrderRequest(...))  # coalesced with concurrent orders
        await client.stream.start()                        # fills, order updates, mids

Reads go through `InfoApi` (cached, single-flight, retried), writes through `ActionApi`
(signed, coalesced, never blindly resent). Without a key the client is read-only. Every request
actually sent (never a cache hit) is timed per endpoint: into `stats().latency` and, when one is
given, to `observer.on_request("info:allMids", ms, ok)` (`core.ports.RequestObserver`, e.g. the
app's `PerformanceMonitor`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import warnings
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import (
    AccountState,
    Asset,
    Candle,
    Fill,
    L2Book,
    Order,
    OrderRequest,
    OrderResult,
    OrderState,
)
from perps_desktop.exchange.actions import ActionApi
from perps_desktop.exchange.api_cache import ApiCaches
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.exchange.dead_man import DeadManSwitch
from perps_desktop.exchange.info import InfoApi
from perps_desktop.exchange.nonce import NonceSource
from perps_desktop.exchange.pushed import PushedAccount
from perps_desktop.exchange.rate_budget import RateBudget
from perps_desktop.exchange.signing import L1Signer
from perps_desktop.exchange.stats import ClientCounters, ClientStats, LatencySnapshot
from perps_desktop.exchange.stream import ExchangeStream
from perps_desktop.exchange.transport import Transport

if TYPE_CHECKING:
    from perps_desktop.core.ports import RequestObserver

__all__ = ["ClientState", "HyperliquidClient"]

_CLOSE_TALK_S = 2.0     # what aclose() may still say to the venue (queued orders, disarming) before it hangs up


class ClientState(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class HyperliquidClient:
    """Implements `core.ports.ExchangePort`. Errors are `perps_desktop.errors.ExchangeError`s."""

    def __init__(self, config: ClientConfig, *, registry: CacheRegistry | None = None,
                 private_key: str | None = None, address: str | None = None,
                 signer: L1Signer | None = None, nonces: NonceSource | None = None,
                 observer: RequestObserver | None = None) -> None:
        self.config = config
        self.registry = registry if registry is not None else CacheRegistry()
        self._signer = signer if signer is not None else (L1Signer(private_key) if private_key else None)
        account = address or (self._signer.address if self._signer else None)
        self._account = account.lower() if account else None
        user = (config.vault_address or account or "").lower() or None
        self.counters = ClientCounters()
        self.caches = ApiCaches(config, self.registry)
        self.budget = RateBudget(config.rate_limit_weight_per_min)
        self.transport = Transport(config.base_url, timeout_s=config.timeout_s, counters=self.counters,
                                   max_concurrency=config.max_concurrency, observer=observer)
        self.pushed = PushedAccount(settle_s=config.push_settle_s) if config.stream_account and user else None
        self.info = InfoApi(self.transport, config, self.caches, self.budget, self.counters, user, self.pushed)
        self.actions = ActionApi(self.transport, config, self.info, self.budget, self.counters, self._signer,
                                 nonces or NonceSource(), self.caches.invalidate_account, self.pushed)
        self.stream = ExchangeStream(self.transport, config, self.info, self.caches, self.counters, user,
                                     self.pushed)
        self.dead_man: DeadManSwitch | None = None
        if config.dead_man_switch_s and self._signer is not None:
            self.dead_man = DeadManSwitch(self.actions.schedule_cancel, config.dead_man_switch_s)
        self.state = ClientState.NEW

    # --- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> HyperliquidClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> None:
        if self.state is not ClientState.NEW:
            raise RuntimeError(f"client is {self.state.value}; it cannot be reopened")
        await self.transport.open()
        self.state = ClientState.OPEN
        if self.dead_man is not None:
            await self.dead_man.start()

    async def aclose(self) -> None:
        """Send orders still waiting in the coalescing window, disarm, stop the stream, close the session."""
        if self.state is ClientState.CLOSED:
            return
        was_open = self.state is ClientState.OPEN
        self.state = ClientState.CLOSED
        try:
            if was_open:        # bounded: a venue that hangs must not hold a stop (what is left is cut off)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_CLOSE_TALK_S):
                        await self.actions.coalescer.drain()
                        await self.actions.cancels.drain()
                        if self.dead_man is not None:
                            await self.dead_man.aclose()
        finally:
            await self.stream.aclose()
            await self.transport.aclose()

    def __del__(self) -> None:
        if getattr(self, "state", None) is ClientState.OPEN:
            warnings.warn("HyperliquidClient was not closed; use `async with` or await aclose()",
                          ResourceWarning, stacklevel=1)

    @property
    def address(self) -> str | None:
        """The account traded and read (lower case); a vault's when trading for one."""
        return self.info.user

    @property
    def signer_address(self) -> str | None:
        return self._signer.address if self._signer else None

    @property
    def read_only(self) -> bool:
        return self._signer is None

    def clear_caches(self) -> None:
        """Make every cache cold (benchmarks; after an outside change the client cannot see)."""
        self.caches.clear()

    # --- reads -------------------------------------------------------------------------------------

    async def meta(self, *, retry: bool = True) -> Sequence[Asset]:
        return await self.info.meta(retry=retry)

    async def asset(self, symbol: str) -> Asset:
        return await self.info.asset(symbol)

    async def all_mids(self) -> dict[str, Decimal]:
        return await self.info.all_mids()

    async def mid(self, symbol: str) -> Decimal:
        return await self.info.mid(symbol)

    async def user_state(self, address: str | None = None, *, fresh: bool = False) -> AccountState:
        return await self.info.user_state(address, fresh=fresh)

    async def open_orders(self, address: str | None = None, *, fresh: bool = False) -> list[Order]:
        return await self.info.open_orders(address, fresh=fresh)

    async def user_fills(self, address: str | None = None, *, fresh: bool = False) -> list[Fill]:
        return await self.info.user_fills(address, fresh=fresh)

    async def order_status(self, oid: int | str, address: str | None = None, *, fresh: bool = False) -> OrderState:
        return await self.info.order_status(oid, address, fresh=fresh)

    async def l2_book(self, symbol: str) -> L2Book:
        return await self.info.l2_book(symbol)

    async def candles(self, symbol: str, interval: str, start_ms: int, end_ms: int | None = None) -> list[Candle]:
        return await self.info.candles(symbol, interval, start_ms, end_ms)

    async def ping(self, timeout_s: float | None = None) -> float:
        return await self.info.ping(timeout_s)

    # --- writes ------------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> OrderResult:
        return await self.actions.place_order(request)

    async def place_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult]:
        return await self.actions.place_orders(requests)

    async def cancel(self, symbol: str, oid: int) -> bool:
        return await self.actions.cancel(symbol, oid)

    async def cancel_by_cloid(self, symbol: str, cloid: str) -> bool:
        return await self.actions.cancel_by_cloid(symbol, cloid)

    async def cancel_all(self) -> list[tuple[Order, bool]]:
        return await self.actions.cancel_all()

    async def modify(self, oid: int | str, request: OrderRequest) -> OrderResult:
        return await self.actions.modify(oid, request)

    async def schedule_cancel(self, time_ms: int | None) -> None:
        await self.actions.schedule_cancel(time_ms)

    async def noop(self, timeout_s: float | None = None) -> None:
        await self.actions.noop(timeout_s)

    async def update_leverage(self, symbol: str, leverage: int, *, is_cross: bool = True) -> None:
        await self.actions.update_leverage(symbol, leverage, is_cross=is_cross)

    # --- counters ----------------------------------------------------------------------------------

    def counter_values(self) -> dict[str, int]:
        """Flat counters for `PerformanceMonitor.add_counter_source` (names start with "api_")."""
        s = self.stats()
        out = {f"api_requests.{label}": n for label, n in s.requests.items()}
        out.update({f"api_errors.{name}": n for name, n in s.errors.items()})
        out.update({"api_requests_total": s.total_requests, "api_cache_hits": s.cache_hits,
                    "api_cache_misses": s.cache_misses, "api_deduplicated": s.deduplicated,
                    "api_orders_coalesced": s.orders_coalesced, "api_order_batches": s.order_batches,
                    "api_retries": s.retries, "api_status_checks": s.status_checks,
                    "api_resends_avoided": s.resends_avoided, "api_reconnects": s.reconnects,
                    "api_gap_fills": s.gap_fills, "api_rate_budget_waits": s.rate_budget_waits,
                    "api_invalidations": s.invalidations})
        return out

    def stats(self) -> ClientStats:
        c = self.counters
        caches = self.caches.stats()
        return ClientStats(
            requests=dict(c.requests), errors=dict(c.errors), caches=caches,
            cache_hits=sum(s.hits for s in caches), cache_misses=sum(s.misses for s in caches),
            deduplicated=sum(s.deduplicated for s in caches), orders_coalesced=self.actions.coalescer.coalesced,
            order_batches=c.order_batches, retries=c.retries, status_checks=c.status_checks,
            resends_avoided=c.resends_avoided, reconnects=c.reconnects, gap_fills=c.gap_fills,
            rate_budget_waits=self.budget.waits, rate_budget_wait_s=self.budget.waited_s,
            rate_budget_used=self.budget.used, invalidations=self.caches.invalidations,
            latency=self.request_latency(),
        )

    def request_latency(self) -> dict[str, LatencySnapshot]:
        """Round trips so far by request label: count, failures, sum and histogram buckets."""
        return {label: h.snapshot() for label, h in self.counters.latency.items()}
