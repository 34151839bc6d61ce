"""The client's WebSocket stream on the simulator: fills, invalidation, mids, drop and reconnect with gap fills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from perps_desktop.core.models import StreamEvent, StreamEventKind
from perps_desktop.exchange import HyperliquidClient
from tests.helpers import wait_until
from tests.integration.client_helpers import funded_client, requests_to, resting_buy

FAST = {"ws_reconnect_base_s": 0.1, "ws_reconnect_cap_s": 0.5, "ws_heartbeat_s": 1.0}


@asynccontextmanager
async def streaming_client(sim, **config) -> AsyncIterator[tuple[HyperliquidClient, list[StreamEvent]]]:
    """A funded client whose stream is connected, and the list every event it pushes lands in."""
    async with funded_client(sim, **{**FAST, **config}) as client:
        events: list[StreamEvent] = []
        client.stream.subscribe(events.append)
        await client.stream.start()
        await wait_until(lambda: client.stream.connected)
        yield client, events


def _fill_oids(events: list[StreamEvent], *, gap: bool | None = None) -> set[int]:
    return {f.oid for e in events if e.kind is StreamEventKind.FILLS and (gap is None or e.gap_fill is gap)
            for f in e.fills}


async def test_without_account_pushes_a_fill_on_the_stream_invalidates_the_caches(sim_server):
    sim = await sim_server()
    async with streaming_client(sim, stream_account=False) as (client, events):
        mid = await client.mid("BTC")
        order = await client.place_order(resting_buy("BTC", mid, offset="0.99"))
        assert (await client.user_state()).positions == ()  # cached now, 2 s TTL
        reads = requests_to(sim, "info:clearinghouseState")
        await sim.set_mid("BTC", mid * Decimal("0.97"))  # the market comes down through the order
        await wait_until(lambda: order.oid in _fill_oids(events))
        state = await client.user_state()
        assert [p.symbol for p in state.positions] == ["BTC"]
        assert requests_to(sim, "info:clearinghouseState") == reads + 1
        assert any(e.kind is StreamEventKind.ORDERS for e in events)


async def test_account_and_open_orders_are_served_from_the_pushes(sim_server):
    """clearinghouseState / openOrders pushes: after our own order and the fill the market makes of it,
    the reads show both with no REST request at all (the REST caches are still dropped)."""
    sim = await sim_server()
    async with streaming_client(sim) as (client, events):
        await wait_until(lambda: client.pushed.state() is not None and client.pushed.orders() is not None)
        mid = await client.mid("BTC")
        await client.meta()                                                 # asset ids, cached for minutes
        before = sim.stats()["weight"]
        order = await client.place_order(resting_buy("BTC", mid, offset="0.99"))
        assert [o.oid for o in await client.open_orders()] == [order.oid]   # waits for the push if need be
        assert (await client.user_state()).positions == ()
        invalidations = client.caches.invalidations
        await sim.set_mid("BTC", mid * Decimal("0.97"))  # the market comes down through the order
        await wait_until(lambda: order.oid in _fill_oids(events))
        await wait_until(lambda: (s := client.pushed.state()) is not None and s.positions != ())
        assert [p.symbol for p in (await client.user_state()).positions] == ["BTC"]
        assert await client.open_orders() == []
        assert client.caches.invalidations > invalidations
        assert requests_to(sim, "info:clearinghouseState") == requests_to(sim, "info:frontendOpenOrders") == 0
        assert sim.stats()["weight"] == before + 1                          # the order action alone
        assert (await client.user_state(fresh=True)).positions[0].symbol == "BTC"    # the audit's REST read
        assert requests_to(sim, "info:clearinghouseState") == 1


async def test_a_dropped_stream_reconnects_and_the_gap_fills_show_up(sim_server):
    sim = await sim_server()
    async with streaming_client(sim) as (client, events):
        mid = await client.mid("ETH")
        order = await client.place_order(resting_buy("ETH", mid, offset="0.99", size="0.1"))
        await sim.set_fault(kind="wsDrop", rate=1.0, duration_s=0.5, target="ws")
        await wait_until(lambda: not client.stream.connected)
        await sim.set_mid("ETH", mid * Decimal("0.97"))  # fills while the client is away
        sim.advance(1)
        await wait_until(lambda: client.stream.connections >= 2, timeout=15)
        await wait_until(lambda: order.oid in _fill_oids(events, gap=True))
        assert len([f for e in events for f in e.fills if f.oid == order.oid]) == 1  # reported once
        stats = client.stats()
        assert stats.reconnects >= 1 and stats.gap_fills >= 1
        kinds = [e.kind for e in events]
        assert StreamEventKind.DISCONNECTED in kinds
        assert kinds.count(StreamEventKind.CONNECTED) >= 2


async def test_events_iterator_and_pushed_mids_feed_the_cache(sim_server):
    sim = await sim_server()
    async with funded_client(sim, mids_ttl_s=60.0, **FAST) as client:  # long TTL: the pushed value is used
        await client.stream.start()

        async def first_mids() -> StreamEvent:
            async for event in client.stream.events():
                if event.kind is StreamEventKind.MIDS:
                    return event
            raise AssertionError("stream ended")

        event = await asyncio.wait_for(first_mids(), timeout=10)
        assert event.mids and event.mids["BTC"] > 0
        await wait_until(lambda: ("allMids",) in client.caches.mids)
        await client.mid("BTC")
        assert requests_to(sim, "info:allMids") == 0


async def test_closing_the_client_stops_the_stream(sim_server):
    sim = await sim_server()
    async with funded_client(sim, **FAST) as client:
        await client.stream.start()

        async def drain() -> int:
            return sum([1 async for _ in client.stream.events()])

        reader = asyncio.ensure_future(drain())
        await wait_until(lambda: client.stream.connected)
        await wait_until(lambda: sim.stats()["wsConnections"] == 1)
    assert await asyncio.wait_for(reader, timeout=5) >= 1  # the iterator ends with the stream
    await wait_until(lambda: sim.stats()["wsConnections"] == 0)
    assert not client.stream.connected
    await client.aclose()  # idempotent


async def test_a_silent_link_is_detected_by_the_heartbeat_and_resubscribed():
    """A server that accepts the socket and then says nothing: two heartbeats later the client reconnects."""
    from aiohttp import web

    from perps_desktop.app.serving import serve, stop_serving
    from perps_desktop.core.caching import CacheRegistry
    from perps_desktop.exchange import ClientConfig, HyperliquidClient

    subscribed: list[list[str]] = []

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse(autoping=False)
        await sock.prepare(request)
        subs: list[str] = []
        subscribed.append(subs)
        async for msg in sock:  # reads, never answers (not even pongs)
            if '"subscribe"' in msg.data:
                subs.append(msg.json()["subscription"]["type"])
        return sock

    async def info(request: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_post("/info", info)
    runner, port = await serve(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    try:
        cfg = ClientConfig(base_url=url, ws_heartbeat_s=0.2, ws_reconnect_base_s=0.05, ws_reconnect_cap_s=0.1)
        async with HyperliquidClient(cfg, address="0x" + "3" * 40, registry=CacheRegistry()) as client:
            await client.stream.start()
            await wait_until(lambda: client.stream.connections >= 2)
            await wait_until(lambda: len(subscribed) >= 2 and len(subscribed[1]) == 6)
            assert sorted(subscribed[1]) == ["allMids", "clearinghouseState", "openOrders", "orderUpdates",
                                             "userEvents", "userFills"]
            assert client.stats().reconnects >= 1
    finally:
        await stop_serving(runner)


async def test_a_bug_in_the_stream_is_logged_once_at_error_and_not_retried(sim_server, monkeypatch, caplog):
    """A programming error while reading the stream is not the venue's fault: one ERROR with its
    traceback, DISCONNECTED, and no reconnect loop repeating it."""
    from perps_desktop.exchange import stream as stream_module

    sim = await sim_server()
    async with streaming_client(sim) as (client, events):
        def broken(*args, **kwargs):
            raise RuntimeError("a bug in the parser")

        monkeypatch.setattr(stream_module.parse, "parse_all_mids", broken)
        await wait_until(lambda: not client.stream.running, timeout=10.0)   # it stopped: nothing can reconnect
        bugs = [r for r in caplog.records if r.levelname == "ERROR" and r.name == stream_module.log.name]
        assert len(bugs) == 1 and bugs[0].exc_info is not None
        assert client.stream.connections == 1
        assert events[-1].kind is StreamEventKind.DISCONNECTED


async def test_a_bug_in_the_fill_refresh_after_a_reconnect_is_logged_in_full(sim_server, monkeypatch, caplog):
    """The refresh runs on its own task that no one awaits: a bug there is an ERROR with its traceback,
    not an exception left in a task, and the stream itself goes on."""
    from perps_desktop.exchange import stream as stream_module
    from perps_desktop.exchange.info import InfoApi

    sim = await sim_server()
    async with streaming_client(sim) as (client, _events):
        async def broken(self, *args, **kwargs):
            raise ZeroDivisionError("a bug in the refresh")

        monkeypatch.setattr(InfoApi, "user_fills", broken)
        await client.stream.drop()

        def logged() -> list:
            return [r for r in caplog.records if r.name == stream_module.log.name and r.levelname == "ERROR"
                    and "fill refresh" in r.getMessage()]

        await wait_until(lambda: bool(logged()), timeout=10)
        assert logged()[0].exc_info is not None
        await wait_until(lambda: client.stream.connected and client.stream.connections == 2, timeout=10)
