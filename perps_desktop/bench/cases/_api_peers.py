"""The api_calls_10 row's peers: the same ten reads of a bot tick through the clients a user would pick.

- `hyperliquid-python-sdk`: the official SDK's `Info` is synchronous (requests), so an asyncio
  bot runs it in threads; here each of the ten calls runs in its own worker of a ten-thread pool
  (`loop.run_in_executor`), all ten at once: the SDK's best case (the default executor has
  min(32, cores + 4) workers, 6 on this machine, which would take two round trips). It has no
  single-coin mid, so a mid is `all_mids()[coin]`, as its users write it.
- `ccxt`: its async Hyperliquid client, the ten calls gathered as ours are. Its own client-side
  rate limiter (`enableRateLimit`) is off, as our client's budget is for this row: both sides
  measure round trips, not throttling. Its unified calls map to the tick as: all mids ->
  `fetch_tickers()`, a mid -> `fetch_ticker(symbol)`, the account state three times ->
  `fetch_balance()` once and `fetch_positions()` twice, open orders -> `fetch_open_orders()`,
  fills -> `fetch_my_trades()`.

Both are dev dependencies (`pip install -e '.[dev]'`); without them the row says which is missing.
Each peer is built, and its markets loaded, before the clock starts, as a user's bot does at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["CCXT", "SDK", "ccxt_tick", "sdk_tick"]

SDK = "hyperliquid-python-sdk"
CCXT = "ccxt"
_COINS = ("BTC", "ETH", "SOL")


@contextlib.asynccontextmanager
async def sdk_tick(url: str, address: str) -> AsyncIterator[Callable[[], Awaitable[list[Any]]]]:
    """`async with sdk_tick(url, address) as tick:` `await tick()` runs the ten reads through the SDK."""
    from hyperliquid.info import Info

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=10, thread_name_prefix="sdk-peer") as pool:
        info = await loop.run_in_executor(pool, lambda: Info(url, skip_ws=True))

        def mid(coin: str) -> Callable[[], str]:
            return lambda: info.all_mids()[coin]

        calls: list[Callable[[], Any]] = [
            info.all_mids, *(mid(c) for c in _COINS),
            *(lambda: info.user_state(address) for _ in range(3)),
            *(lambda: info.open_orders(address) for _ in range(2)),
            lambda: info.user_fills(address)]

        async def tick() -> list[Any]:
            return list(await asyncio.gather(*(loop.run_in_executor(pool, call) for call in calls)))

        try:
            yield tick
        finally:
            info.session.close()


@contextlib.asynccontextmanager
async def ccxt_tick(url: str, address: str) -> AsyncIterator[Callable[[], Awaitable[list[Any]]]]:
    """`async with ccxt_tick(url, address) as tick:` `await tick()` runs the ten reads through ccxt."""
    import ccxt.async_support as ccxt

    client = ccxt.hyperliquid({"walletAddress": address, "enableRateLimit": False,
                               "options": {"fetchMarkets": {"types": ["swap"]}}})
    client.set_sandbox_mode(True)
    client.urls["api"] = {"public": url, "private": url}
    try:
        await client.load_markets()
        symbols = [f"{c}/USDC:USDC" for c in _COINS]

        async def tick() -> list[Any]:
            return list(await asyncio.gather(
                client.fetch_tickers(), *(client.fetch_ticker(s) for s in symbols),
                client.fetch_balance(), client.fetch_positions(), client.fetch_positions(),
                client.fetch_open_orders(), client.fetch_open_orders(), client.fetch_my_trades()))

        yield tick
    finally:
        await client.close()
