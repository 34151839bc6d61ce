"""Typed /info reads through the rate budget, the caches and the retry policy.

Reads are safe to repeat, so a transport failure is retried with `backoff_s` up to
`max_retries` times and a 429 up to `rate_limit_max_retries` times (holding the whole rate
budget back meanwhile). A reply of the wrong shape is not retried: it raises `MalformedReply`
at once, for the caller's circuit breaker to count. In the account's row lists (positions, open
orders, fills) a malformed row is left out instead, counted in `skipped_rows` and told to every
`skipped_listeners` callback (the app alerts), so one bad row never hides the others.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import AccountState, Asset, Candle, Fill, L2Book, Order, OrderState
from perps_desktop.errors import ExchangeRejected
from perps_desktop.exchange import parse
from perps_desktop.exchange.api_cache import ApiCaches
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.exchange.pushed import PushedAccount
from perps_desktop.exchange.rate_budget import RateBudget
from perps_desktop.exchange.sender import BudgetedSender
from perps_desktop.exchange.stats import ClientCounters
from perps_desktop.exchange.transport import Transport
from perps_desktop.exchange.wire import check_cloid, info_weight

__all__ = ["InfoApi"]

T = TypeVar("T")


class InfoApi:
    """The read side of the client. `user` is the account read when a call gets no address."""

    def __init__(self, transport: Transport, config: ClientConfig, caches: ApiCaches, budget: RateBudget,
                 counters: ClientCounters, user: str | None, pushed: PushedAccount | None = None) -> None:
        self._t = transport
        self.pushed = pushed
        self._cfg = config
        self.caches = caches
        self._budget = budget
        self._counters = counters
        self.sender = BudgetedSender(transport, config, budget, counters)
        self.user = user.lower() if user else None
        self._assets: dict[str, Asset] = {}
        self._meta: tuple[Asset, ...] = ()
        self.skipped_listeners: list[Callable[[str, Sequence[str]], None]] = []

    # --- the request path ----------------------------------------------------------------------

    async def request(self, body: dict[str, Any], *, retry: bool = True) -> Any:
        """POST one /info body; retries transport failures (not malformed replies) with backoff."""
        rtype = str(body["type"])
        return await self.sender.post("/info", lambda: body, weight=info_weight(rtype), label=f"info:{rtype}",
                                      retries=self._cfg.max_retries if retry else 0,
                                      timeout_s=self._cfg.read_limit_s)

    async def _load(self, body: dict[str, Any], parse_reply: Callable[[Any], T], *, extra_per: int = 0,
                    retry: bool = True) -> T:
        reply = await self.request(body, retry=retry)
        if extra_per and isinstance(reply, list) and len(reply) >= extra_per:
            self._budget.charge(len(reply) // extra_per)  # venue adds weight per returned items
        return parse_reply(reply)

    def _row_by_row(self, label: str, parse_with: Callable[[list[str]], T]) -> T:
        """Parse a reply of rows, leaving malformed ones out: counted, and told to the listeners."""
        skipped: list[str] = []
        out = parse_with(skipped)
        if skipped:
            self._counters.skipped_rows[label] += len(skipped)
            for listener in tuple(self.skipped_listeners):
                listener(label, tuple(skipped))
        return out

    async def _from_push(self, user: str, read: Callable[[], T | None]) -> T | None:
        """The account's own state / open orders from the stream's pushes when they are current (waiting
        `push_wait_s` for a push that trails our last reply); None: read it over REST."""
        pushed = self.pushed
        if pushed is None or user != self.user:
            return None
        got = read()
        if got is None and pushed.pending and await pushed.settled(read, self._cfg.push_wait_s):
            got = read()
        if got is None:
            pushed.misses += 1
        else:
            pushed.hits += 1
        return got

    def _user(self, address: str | None) -> str:
        user = (address or self.user or "").lower()
        if not user:
            raise ValueError("no address: pass one or build the client with an address or key")
        return user

    # --- market data -----------------------------------------------------------------------------

    async def meta(self, *, retry: bool = True) -> tuple[Asset, ...]:
        """The perps and their asset ids, cached; `retry=False`: one attempt (the start-up check, whose
        verdict is what that attempt met)."""
        assets: tuple[Asset, ...] = await self.caches.meta.get_or_load(
            ("meta",), lambda: self._load({"type": "meta", "dex": ""}, parse.parse_meta, retry=retry))
        if assets is not self._meta:
            self._meta = assets
            self._assets = {a.name: a for a in assets}
        return assets

    async def asset(self, symbol: str) -> Asset:
        """The asset of a coin name (meta is loaded on first use and cached for `meta_ttl_s`)."""
        found = self._assets.get(symbol) if self.caches.meta.ttl_s > 0 else None
        if found is None:
            await self.meta()
            found = self._assets.get(symbol)
        if found is None:
            raise ExchangeRejected(f"unknown coin {symbol!r}", endpoint="info:meta")
        return found

    async def all_mids(self) -> dict[str, Decimal]:
        return await self.caches.market(
            ("allMids",), lambda: self._load({"type": "allMids", "dex": ""}, parse.parse_all_mids))

    async def mid(self, symbol: str) -> Decimal:
        """One coin's mid; callers asking for different coins at once share one allMids request."""
        mids = await self.all_mids()
        try:
            return mids[symbol]
        except KeyError:
            raise ExchangeRejected(f"no mid for {symbol!r}", endpoint="info:allMids") from None

    async def l2_book(self, symbol: str) -> L2Book:
        return await self.caches.market(
            ("l2Book", symbol), lambda: self._load({"type": "l2Book", "coin": symbol}, parse.parse_l2_book))

    async def candles(self, symbol: str, interval: str, start_ms: int, end_ms: int | None = None) -> list[Candle]:
        end = end_ms if end_ms is not None else wall_ms()
        body = {"type": "candleSnapshot", "req": {"coin": symbol, "interval": interval, "startTime": start_ms,
                                                  "endTime": end}}
        return await self.caches.market(
            ("candles", symbol, interval, start_ms, end), lambda: self._load(body, parse.parse_candles, extra_per=60))

    async def ping(self, timeout_s: float | None = None) -> float:
        """Latency in ms of one uncached, unretried allMids; a timeout is the request's own (so it is
        counted as a failed attempt), `read_limit_s` unless given."""
        t0 = time.perf_counter()
        await self._budget.acquire(info_weight("allMids"))
        timeout = self._cfg.read_limit_s if timeout_s is None else timeout_s
        parse.parse_all_mids(await self._t.post("/info", {"type": "allMids", "dex": ""}, label="info:allMids",
                                                timeout_s=timeout))
        return (time.perf_counter() - t0) * 1000.0

    # --- account ---------------------------------------------------------------------------------

    async def user_state(self, address: str | None = None, *, fresh: bool = False) -> AccountState:
        user = self._user(address)
        if not fresh and self.pushed is not None and (state := await self._from_push(user, self.pushed.state)):
            return state
        body = {"type": "clearinghouseState", "user": user, "dex": ""}
        label = "info:clearinghouseState"
        load: Callable[[], Awaitable[AccountState]] = lambda: self._load(body, lambda r: self._row_by_row(  # noqa: E731
            label, lambda skipped: parse.parse_user_state(r, user, label, skipped)))
        return await load() if fresh else await self.caches.user(self.caches.account, ("state", user), load)

    async def open_orders(self, address: str | None = None, *, fresh: bool = False) -> list[Order]:
        """frontendOpenOrders (same weight as openOrders): its rows say which orders are stops
        (triggerPx, orderType, reduceOnly), which position recovery and the stop-loss keeper need."""
        user = self._user(address)
        if not fresh and self.pushed is not None and (pushed := await self._from_push(user, self.pushed.orders)) \
                is not None:
            return pushed
        body = {"type": "frontendOpenOrders", "user": user, "dex": ""}
        label = "info:frontendOpenOrders"
        load: Callable[[], Awaitable[list[Order]]] = lambda: self._load(body, lambda r: self._row_by_row(  # noqa: E731
            label, lambda skipped: parse.parse_open_orders(r, label, skipped)))
        orders = await load() if fresh else await self.caches.user(self.caches.orders, ("open", user), load)
        return list(orders)

    async def user_fills(self, address: str | None = None, *, fresh: bool = False) -> list[Fill]:
        user = self._user(address)
        label = "info:userFills"
        body = {"type": "userFills", "user": user}
        load: Callable[[], Awaitable[list[Fill]]] = lambda: self._load(body, lambda r: self._row_by_row(  # noqa: E731
            label, lambda skipped: parse.parse_fills(r, label, skipped)), extra_per=20)
        fills = await load() if fresh else await self.caches.user(self.caches.account, ("fills", user), load)
        return list(fills)

    async def order_status(self, oid: int | str, address: str | None = None, *, fresh: bool = False) -> OrderState:
        """By venue oid (int) or cloid ("0x" + 32 hex); `status == "unknownOid"` when never seen."""
        user = self._user(address)
        ref: int | str = check_cloid(oid) if isinstance(oid, str) else int(oid)
        body = {"type": "orderStatus", "user": user, "oid": ref}
        load: Callable[[], Awaitable[OrderState]] = lambda: self._load(body, parse.parse_order_state)  # noqa: E731
        if fresh:
            return await load()
        return await self.caches.user(self.caches.orders, ("status", user, ref), load)
