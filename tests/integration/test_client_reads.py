"""The client's reads against the simulator: typed models, single-flight, shared allMids, TTL caches."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from perps_desktop.core.models import AccountState, Candle, L2Book
from perps_desktop.errors import ExchangeRejected
from tests.integration.client_helpers import funded_client, requests_to


async def test_reads_return_models_with_decimals(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        assets = await client.meta()
        btc = next(a for a in assets if a.name == "BTC")
        assert btc.asset_id == 0 and btc.sz_decimals == 5
        assert isinstance(await client.mid("BTC"), Decimal)
        state = await client.user_state()
        assert isinstance(state, AccountState) and state.equity == Decimal(100_000)
        assert state.address == client.address
        assert await client.open_orders() == []
        assert await client.user_fills() == []
        book = await client.l2_book("ETH")
        assert isinstance(book, L2Book) and book.bids[0].px < book.asks[0].px
        candles = await client.candles("BTC", "1m", int(time.time() * 1000) - 3_600_000)
        assert candles and isinstance(candles[0], Candle)
        assert (await client.order_status(424242)).status == "unknownOid"
        assert await client.ping() > 0


async def test_ten_concurrent_callers_cause_one_request(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        before = requests_to(sim, "info:clearinghouseState")
        states = await asyncio.gather(*(client.user_state() for _ in range(10)))
        assert requests_to(sim, "info:clearinghouseState") - before == 1
        assert all(s is states[0] for s in states)
        assert client.stats().deduplicated >= 9


async def test_different_coins_share_one_all_mids(sim_server):
    sim = await sim_server()
    async with funded_client(sim, mids_ttl_s=60.0) as client:      # a stall on a loaded machine cannot expire it
        coins = ["BTC", "ETH", "SOL", "XRP", "DOGE", "AVAX", "LINK", "ARB", "OP", "SUI"]
        mids = await asyncio.gather(*(client.mid(c) for c in coins))
        assert requests_to(sim, "info:allMids") == 1
        assert all(m > 0 for m in mids)
        await client.mid("BTC")  # within the TTL: a cache hit
        assert requests_to(sim, "info:allMids") == 1
        with pytest.raises(ExchangeRejected, match="NOPE"):
            await client.mid("NOPE")


async def test_entries_expire_after_their_ttl(sim_server):
    sim = await sim_server()
    async with funded_client(sim, mids_ttl_s=0.05) as client:
        await client.all_mids()
        await asyncio.sleep(0.1)
        await client.all_mids()
        assert requests_to(sim, "info:allMids") == 2


async def test_naive_config_sends_every_call(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as built:
        naive_cfg = built.config.naive()
    from perps_desktop.core.caching import CacheRegistry
    from perps_desktop.exchange import HyperliquidClient

    async with HyperliquidClient(naive_cfg, address=built.address, registry=CacheRegistry()) as naive:
        await asyncio.gather(*(naive.user_state() for _ in range(10)))
        assert requests_to(sim, "info:clearinghouseState") == 10
        assert naive.read_only


async def test_caches_show_in_the_registry(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        await client.mid("BTC")
        await client.mid("ETH")
        names = {s.name: s for s in client.registry.stats()}
        assert names["api.mids"].hits == 1 and names["api.mids"].misses == 1
        stats = client.stats()
        assert stats.requests["info:allMids"] == 1 and stats.cache_hits >= 1
        flat = client.counter_values()
        assert flat["api_requests.info:allMids"] == 1 and flat["api_cache_hits"] == stats.cache_hits
