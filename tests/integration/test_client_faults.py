"""Faults set through the simulator: timeouts never double an order, 429s are absorbed, garbage is typed."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from perps_desktop.app.serving import serve, stop_serving
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import OrderStatus
from perps_desktop.errors import ExchangeTimeout, MalformedReply, TransportError
from perps_desktop.exchange import ClientConfig, HyperliquidClient
from tests.helpers import wait_until
from tests.integration.client_helpers import funded_client, requests_to, resting_buy


async def _orders_with(client: HyperliquidClient, cloid: str) -> int:
    return sum(o.cloid == cloid for o in await client.open_orders(fresh=True))


async def test_an_order_that_timed_out_and_expired_unplaced_is_sent_once_more(sim_server):
    sim = await sim_server()
    async with funded_client(sim, timeout_s=0.4, retry_base_s=0.05) as client:
        mid = await client.mid("BTC")
        # the venue holds the first send (only) 1.5 s: by then it has expired (expiresAfter = nonce + 0.4 s)
        await sim.set_fault(kind="latency", latency_ms=1500, count=1, target="exchange")
        result = await client.place_order(resting_buy("BTC", mid))
        assert result.status is OrderStatus.RESTING
        assert await _orders_with(client, result.cloid) == 1
        assert requests_to(sim, "exchange:order") == 2  # the expired send and the resend
        stats = client.stats()
        assert stats.status_checks == 1 and stats.resends_avoided == 0
        assert stats.errors.get("ExchangeTimeout") == 1
        await wait_until(lambda: sim.stats()["inFlight"] == 0, timeout=30)  # answered now: refused as expired
        assert await _orders_with(client, result.cloid) == 1


async def test_an_order_placed_whose_reply_was_lost_is_not_sent_again(sim_server):
    sim = await sim_server()
    async with funded_client(sim, timeout_s=0.3, order_expiry_s=1.0) as client:
        mid = await client.mid("BTC")
        # the venue takes the order after 0.6 s (before it expires) but the client stopped waiting at 0.3 s
        await sim.set_fault(kind="latency", latency_ms=600, count=1, target="exchange")
        result = await client.place_order(resting_buy("BTC", mid))
        assert result.status is OrderStatus.RESTING and result.oid is not None
        assert requests_to(sim, "exchange:order") == 1  # asked orderStatus by cloid instead of resending
        assert client.stats().resends_avoided == 1
        assert await _orders_with(client, result.cloid) == 1


async def test_a_429_burst_is_absorbed(sim_server):
    sim = await sim_server()
    async with funded_client(sim, retry_base_s=0.1) as client:
        mid = await client.mid("ETH")
        await sim.set_fault(kind="rateLimit", rate=1.0, duration_s=0.4, target="all")
        state, result = await asyncio.gather(client.user_state(), client.place_order(resting_buy("ETH", mid)))
        assert state.equity > 0 and result.status is OrderStatus.RESTING
        stats = client.stats()
        assert stats.errors["RateLimited"] >= 2 and stats.retries >= 2
        assert stats.rate_budget_waits >= 1  # callers held back by the budget after the 429
        assert await _orders_with(client, result.cloid) == 1


async def test_server_errors_on_reads_are_retried_then_reported(sim_server):
    sim = await sim_server()
    async with funded_client(sim, retry_base_s=0.02, max_retries=2) as client:
        await sim.set_fault(kind="error", rate=1.0, count=1, target="info")
        assert await client.all_mids()
        await sim.set_fault(kind="error", rate=1.0, target="info")
        with pytest.raises(TransportError, match="HTTP 500") as info:
            await client.user_state()
        assert info.value.endpoint == "info:clearinghouseState" and info.value.http_status == 500
        assert client.stats().retries >= 3


async def test_a_read_that_takes_too_long_is_a_typed_timeout(sim_server):
    sim = await sim_server()
    async with funded_client(sim, timeout_s=0.2, max_retries=0) as client:
        await sim.set_fault(kind="latency", latency_ms=2000, target="info")
        with pytest.raises(ExchangeTimeout) as info:
            await client.l2_book("BTC")
        assert isinstance(info.value, TimeoutError) and info.value.endpoint == "info:l2Book"


@pytest.fixture
async def garbage_server():
    """A loopback HTTP server that answers /info with things no venue should say."""
    replies = {"allMids": (200, b"<html><body>502 Bad Gateway</body></html>"),
               "frontendOpenOrders": (200, b'{"unexpected": true}'),
               "l2Book": (200, b'{"coin": "BTC", "time": 1, "levels": "nope"}')}

    async def info(request: web.Request) -> web.Response:
        kind = (await request.json())["type"]
        status, body = replies.get(kind, (200, b"{}"))
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/info", info)
    runner, port = await serve(app, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}"
    await stop_serving(runner)


async def test_garbage_replies_become_typed_errors_naming_the_endpoint(garbage_server):
    cfg = ClientConfig(base_url=garbage_server)
    async with HyperliquidClient(cfg, address="0x" + "2" * 40, registry=CacheRegistry()) as client:
        with pytest.raises(MalformedReply) as info:
            await client.all_mids()
        assert info.value.endpoint == "info:allMids" and "502 Bad Gateway" in str(info.value)
        with pytest.raises(MalformedReply, match="unexpected"):
            await client.open_orders()
        with pytest.raises(MalformedReply, match="info:l2Book"):
            await client.l2_book("BTC")
        assert client.stats().requests["info:allMids"] == 1  # garbage is not retried


async def test_a_fast_server_error_on_an_order_is_checked_then_waited_out_before_the_resend(sim_server):
    sim = await sim_server()
    async with funded_client(sim, timeout_s=1.0, retry_base_s=0.05) as client:
        mid = await client.mid("ETH")
        await sim.set_fault(kind="error", rate=1.0, count=1, target="exchange")
        result = await client.place_order(resting_buy("ETH", mid))
        assert result.status is OrderStatus.RESTING
        assert requests_to(sim, "exchange:order") == 2
        assert client.stats().status_checks == 2  # asked at once, and again once the first send had expired
        assert await _orders_with(client, result.cloid) == 1


async def test_an_order_that_never_left_is_resent_without_asking(sim_server):
    sim = await sim_server(seed=8)
    async with funded_client(sim, retry_base_s=0.01, max_retries=2) as client:
        mid = await client.mid("BTC")
        await client.meta()  # asset ids cached: the order needs no read
        await sim.aclose()  # nothing listens any more: every connect is refused
        with pytest.raises(TransportError) as info:
            await client.place_order(resting_buy("BTC", mid))
        assert info.value.endpoint == "exchange:order"
        stats = client.stats()
        assert stats.requests["exchange:order"] == 3 and stats.status_checks == 0


async def test_a_cancel_whose_reply_was_lost_is_confirmed_not_resent(sim_server):
    sim = await sim_server()
    async with funded_client(sim, timeout_s=0.3, order_expiry_s=1.0) as client:
        mid = await client.mid("BTC")
        placed = await client.place_order(resting_buy("BTC", mid))
        await sim.set_fault(kind="latency", latency_ms=600, count=1, target="exchange")
        assert await client.cancel("BTC", placed.oid) is True
        assert requests_to(sim, "exchange:cancel") == 1
        assert client.stats().resends_avoided == 1
        assert (await client.order_status(placed.oid, fresh=True)).status == "canceled"
