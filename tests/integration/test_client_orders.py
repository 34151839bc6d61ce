"""Orders against the simulator: coalescing, per-caller results, cancels, modify, invalidation, dead-man switch."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from perps_desktop.core.models import OrderRequest, OrderStatus
from perps_desktop.errors import ExchangeRejected
from perps_desktop.exchange import ClientConfig, HyperliquidClient
from tests.helpers import wait_until
from tests.integration.client_helpers import crossing, funded_client, requests_to, resting_buy


async def test_five_orders_together_go_out_as_one_action_with_own_results(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        mid = await client.mid("BTC")
        requests = [resting_buy("BTC", mid, offset=f"0.9{i}") for i in range(4)]
        requests.append(OrderRequest(symbol="BTC", is_buy=True, size=Decimal("0.0001"), limit_px=mid * Decimal("0.9")))
        results = await asyncio.gather(*(client.place_order(r) for r in requests))
        assert requests_to(sim, "exchange:order") == 1
        assert [r.status for r in results[:4]] == [OrderStatus.RESTING] * 4
        assert len({r.oid for r in results[:4]}) == 4
        assert results[4].status is OrderStatus.ERROR and "minimum" in results[4].error  # $6.5: below $10
        open_cloids = {o.cloid for o in await client.open_orders()}
        assert open_cloids == {r.cloid for r in results[:4]}
        assert client.stats().orders_coalesced == 5


async def test_bulk_orders_and_a_filled_one(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        eth = await client.mid("ETH")
        results = await client.place_orders([resting_buy("ETH", eth, size="0.01"), crossing("ETH", eth, size="0.01")])
        assert [r.status for r in results] == [OrderStatus.RESTING, OrderStatus.FILLED]
        assert results[1].filled_size == Decimal("0.01") and results[1].avg_px > 0


async def test_prices_and_sizes_are_rounded_before_signing(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        mid = await client.mid("ETH")
        odd = OrderRequest(symbol="ETH", is_buy=True, size=Decimal("0.0123456"), limit_px=mid * Decimal("0.912345678"))
        result = await client.place_order(odd)
        assert result.status is OrderStatus.RESTING
        (order,) = await client.open_orders()
        assert order.size == Decimal("0.0123")
        assert -order.limit_px.normalize().as_tuple().exponent <= 2


async def test_open_orders_say_which_order_is_a_reduce_only_stop(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        mid = await client.mid("ETH")
        await client.place_order(crossing("ETH", mid, size="0.1"))
        trigger = (mid * Decimal("0.9")).quantize(Decimal("0.1"))
        stop = OrderRequest(symbol="ETH", is_buy=False, size=Decimal("0.1"), limit_px=trigger * Decimal("0.95"),
                            reduce_only=True, trigger_px=trigger, tpsl="sl")
        placed = await client.place_order(stop)
        assert placed.status is OrderStatus.RESTING
        await client.place_order(resting_buy("ETH", mid))
        orders = {o.oid: o for o in await client.open_orders()}
        assert requests_to(sim, "info:frontendOpenOrders") == 1
        (limit,) = [o for oid, o in orders.items() if oid != placed.oid]
        assert limit.trigger_px is None and limit.order_type == "Limit" and not limit.reduce_only
        sl = orders[placed.oid]
        assert sl.trigger_px == trigger and sl.reduce_only and sl.order_type == "Stop Market"
        assert sl.size == Decimal("0.1") and sl.cloid == placed.cloid


async def test_own_order_invalidates_account_and_order_caches_at_once(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        assert (await client.user_state()).positions == ()
        assert await client.open_orders() == []
        mid = await client.mid("SOL")
        await client.place_orders([crossing("SOL", mid, size="1"), resting_buy("SOL", mid, size="1")])
        state = await client.user_state()  # within the 2 s TTL: would be stale without invalidation
        assert [p.symbol for p in state.positions] == ["SOL"]
        assert len(await client.open_orders()) == 1


async def test_cancel_cancel_by_cloid_modify_and_cancel_all(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        mid = await client.mid("BTC")
        a, b, c, d = await client.place_orders([resting_buy("BTC", mid, offset=f"0.8{i}") for i in range(4)])
        assert await client.cancel("BTC", a.oid) is True
        assert await client.cancel("BTC", a.oid) is False  # already gone
        assert await client.cancel_by_cloid("BTC", b.cloid) is True
        moved = await client.modify(c.oid, resting_buy("BTC", mid, offset="0.7", size="0.02"))
        assert moved.ok
        status = await client.order_status(moved.cloid)
        assert status.status == "open" and status.order.size == Decimal("0.02")
        pairs = await client.cancel_all()
        assert sorted(o.cloid for o, ok in pairs if ok) == sorted([d.cloid, moved.cloid])
        assert await client.open_orders() == []


async def test_leverage_and_schedule_cancel(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        await client.update_leverage("ETH", 3)
        eth = await client.mid("ETH")
        await client.place_order(crossing("ETH", eth, size="0.1"))
        (pos,) = (await client.user_state()).positions
        assert pos.leverage == 3
        with pytest.raises(ExchangeRejected):
            await client.schedule_cancel(int(time.time() * 1000))  # must be >= 5 s ahead


async def test_dead_man_switch_keeps_a_cancel_armed_and_disarms_on_close(sim_server):
    sim = await sim_server()
    client = HyperliquidClient(ClientConfig(base_url=sim.url, dead_man_switch_s=6), private_key="0x" + "5a" * 32)
    await sim.fund(client.address, usdc=10_000)
    async with client:
        acct = sim.venue.account(client.address)
        first = acct.scheduled_cancel
        assert first is not None and first > time.time() * 1000 + 4000  # armed before open() returned
        assert client.dead_man is not None and client.dead_man.arms == 1
        await wait_until(lambda: client.dead_man.arms >= 2, timeout=10)  # re-armed every 2 s
        assert acct.scheduled_cancel > first
    assert acct.scheduled_cancel is None  # a clean close disarms it


async def test_read_only_client_refuses_to_trade(sim_server):
    sim = await sim_server()
    async with HyperliquidClient(ClientConfig(base_url=sim.url), address="0x" + "1" * 40) as client:
        assert client.read_only
        with pytest.raises(ExchangeRejected, match="read-only"):
            await client.place_order(OrderRequest(symbol="BTC", is_buy=True, size=Decimal(1), limit_px=Decimal(1)))


async def test_more_orders_than_one_batch_go_out_in_batches_of_forty(sim_server):
    sim = await sim_server()
    async with funded_client(sim) as client:
        mid = await client.mid("BTC")
        results = await client.place_orders([resting_buy("BTC", mid, size="0.001") for _ in range(45)])
        assert [r.status for r in results] == [OrderStatus.RESTING] * 45
        assert requests_to(sim, "exchange:order") == 2
        assert len({r.cloid for r in results}) == 45
