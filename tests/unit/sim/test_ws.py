"""`GET /ws` over a real socket: subscriptions, channel shapes, ping, post, dropped connections."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp
import eth_account
import orjson
from hyperliquid.utils.signing import sign_l1_action

from tests.helpers import wait_until


class Client:
    """Collects every message of one WebSocket in the background."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.texts: list[str] = []
        self.closed = False
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.texts.append(msg.data)
        self.closed = True

    def on(self, channel: str) -> list:
        out = []
        for text in self.texts:
            if text.startswith("{"):
                msg = orjson.loads(text)
                if msg.get("channel") == channel:
                    out.append(msg.get("data", msg))
        return out

    async def send(self, obj: object) -> None:
        await self.ws.send_str(orjson.dumps(obj).decode())


async def _connect(http: aiohttp.ClientSession, sim) -> Client:
    ws = await http.ws_connect(sim.url.replace("http", "ws") + "/ws")
    return Client(ws)


async def _mids(http: aiohttp.ClientSession, sim) -> Client:
    """A client subscribed to allMids that has had its first push."""
    c = await _connect(http, sim)
    await c.send({"method": "subscribe", "subscription": {"type": "allMids"}})
    await wait_until(lambda: c.on("allMids"))
    return c


async def _funded_wallet(sim) -> tuple[Any, str]:
    wallet = eth_account.Account.create()
    await sim.fund(wallet.address.lower(), 20_000)
    return wallet, wallet.address.lower()


async def _subscribed(http: aiohttp.ClientSession, sim, user: str, kinds: tuple[str, ...]) -> Client:
    c = await _connect(http, sim)
    for kind in kinds:
        await c.send({"method": "subscribe", "subscription": {"type": kind, "user": user}})
    return c


def _signed(wallet, action: dict, nonce: int) -> dict:
    return {"action": action, "nonce": nonce, "vaultAddress": None, "expiresAfter": None,
            "signature": sign_l1_action(wallet, action, None, nonce, None, False)}


async def test_market_channels_ping_and_unsubscribe(sim_server):
    sim = await sim_server(seed=21)
    async with aiohttp.ClientSession() as http:
        c = await _connect(http, sim)
        await wait_until(lambda: c.texts[:1] == ["Websocket connection established."])
        await c.send({"method": "ping"})
        await wait_until(lambda: c.on("pong"))
        for sub in ({"type": "allMids"}, {"type": "l2Book", "coin": "BTC"}, {"type": "trades", "coin": "ETH"},
                    {"type": "candle", "coin": "SOL", "interval": "1m"}, {"type": "bbo", "coin": "ETH"}):
            await c.send({"method": "subscribe", "subscription": sub})
        await wait_until(lambda: len(c.on("subscriptionResponse")) == 5)
        await wait_until(lambda: c.on("candle") and c.on("bbo"))
        assert c.on("candle")[-1]["s"] == "SOL" and c.on("candle")[-1]["i"] == "1m"
        assert c.on("bbo")[-1]["coin"] == "ETH" and len(c.on("bbo")[-1]["bbo"]) == 2
        assert c.on("subscriptionResponse")[1] == {"method": "subscribe",
                                                    "subscription": {"type": "l2Book", "coin": "BTC"}}
        await wait_until(lambda: len(c.on("allMids")) >= 3 and len(c.on("l2Book")) >= 3, timeout=20)
        assert "BTC" in c.on("allMids")[-1]["mids"]
        book = c.on("l2Book")[-1]
        assert book["coin"] == "BTC" and len(book["levels"][0]) == 20
        await wait_until(lambda: c.on("trades"), timeout=30)  # the market maker's tape
        trade = c.on("trades")[0][0]
        assert trade["coin"] == "ETH" and set(trade) >= {"side", "px", "sz", "hash", "time", "tid", "users"}

        await c.send({"method": "unsubscribe", "subscription": {"type": "l2Book", "coin": "BTC"}})
        await wait_until(lambda: len(c.on("subscriptionResponse")) == 6)
        seen = len(c.on("l2Book"))
        mids = len(c.on("allMids"))
        await wait_until(lambda: len(c.on("allMids")) >= mids + 3, timeout=20)
        assert len(c.on("l2Book")) == seen

        await c.send({"method": "subscribe", "subscription": {"type": "l2Book"}})
        await c.send({"method": "fly"})
        await c.ws.send_str("{oops")
        await wait_until(lambda: len(c.on("error")) == 3)
        await c.ws.close()


async def test_user_channels_and_post_requests(sim_server):
    sim = await sim_server(seed=22)
    wallet, user = await _funded_wallet(sim)
    async with aiohttp.ClientSession() as http:
        c = await _subscribed(http, sim, wallet.address, ("userFills", "orderUpdates", "userEvents"))
        await wait_until(lambda: c.on("userFills"))
        assert c.on("userFills")[0] == {"user": user, "isSnapshot": True, "fills": []}

        await c.send({"method": "post", "id": 1, "request": {"type": "info", "payload": {"type": "allMids"}}})
        await wait_until(lambda: c.on("post"))
        reply = c.on("post")[0]
        assert reply["id"] == 1 and reply["response"]["type"] == "info"
        assert reply["response"]["payload"]["type"] == "allMids" and "BTC" in reply["response"]["payload"]["data"]

        mid = float(sim.mid("SOL"))
        action = {"type": "order", "orders": [{"a": 2, "b": True, "p": str(round(mid * 1.02, 2)), "s": "1",
                                               "r": False, "t": {"limit": {"tif": "Ioc"}}}], "grouping": "na"}
        body = _signed(wallet, action, int(time.time() * 1000))
        await c.send({"method": "post", "id": 2, "request": {"type": "action", "payload": body}})
        await wait_until(lambda: len(c.on("post")) == 2)
        acted = c.on("post")[1]
        assert acted["id"] == 2 and acted["response"]["type"] == "action"
        assert "filled" in acted["response"]["payload"]["response"]["data"]["statuses"][0]

        await wait_until(lambda: len(c.on("userFills")) == 2 and c.on("user") and c.on("orderUpdates"))
        live = c.on("userFills")[1]
        assert live["user"] == user and live["fills"][0]["coin"] == "SOL" and "isSnapshot" not in live
        assert c.on("user")[0]["fills"][0]["oid"] == live["fills"][0]["oid"]
        assert c.on("orderUpdates")[-1][0]["status"] == "filled"

        await c.send({"method": "post", "id": 3, "request": {"type": "info", "payload": {"type": "nope"}}})
        await wait_until(lambda: len(c.on("post")) == 3)
        assert c.on("post")[2]["response"]["type"] == "error"
        assert sim.stats()["requests"]["exchange:order"] == 1
        await c.ws.close()


async def test_a_ws_drop_fault_cuts_connections(sim_server):
    sim = await sim_server(seed=23)
    async with aiohttp.ClientSession() as http:
        c = await _mids(http, sim)
        status = await (await http.post(sim.url + "/sim", json={"type": "fault", "kind": "wsDrop",
                                                                  "durationS": 1.0})).json()
        assert status["status"] == "ok"
        await wait_until(lambda: c.closed)
        again = await _connect(http, sim)
        await wait_until(lambda: again.closed)  # still inside the fault's duration
        await wait_until(lambda: not sim.faults_active(), timeout=10)
        fine = await _mids(http, sim)
        assert not fine.closed and sim.stats()["wsDropped"] >= 2
        await fine.ws.close()


async def test_account_channels_push_the_whole_state_and_open_orders(sim_server):
    """`clearinghouseState` / `openOrders` (the venue's per-user pushes): a snapshot on subscribe, then
    a push after every change of the user's orders or fills, after that change's fills."""
    sim = await sim_server(seed=23)
    wallet, user = await _funded_wallet(sim)
    async with aiohttp.ClientSession() as http:
        c = await _subscribed(http, sim, wallet.address, ("userFills", "clearinghouseState", "openOrders"))
        await wait_until(lambda: c.on("clearinghouseState") and c.on("openOrders"))
        first = c.on("clearinghouseState")[0]
        assert first["user"] == user and first["dex"] == ""
        assert first["clearinghouseState"]["marginSummary"]["accountValue"].startswith("20000")
        assert c.on("openOrders")[0] == {"dex": "", "user": user, "orders": []}

        mid = float(sim.mid("SOL"))
        rest = {"a": 2, "b": True, "p": str(round(mid * 0.9, 2)), "s": "1", "r": False, "t": {"limit": {"tif": "Gtc"}}}
        take = {"a": 2, "b": True, "p": str(round(mid * 1.02, 2)), "s": "1", "r": False, "t": {"limit": {"tif": "Ioc"}}}
        for i, order in enumerate((rest, take)):
            body = _signed(wallet, {"type": "order", "orders": [order], "grouping": "na"}, int(time.time() * 1000) + i)
            await c.send({"method": "post", "id": i, "request": {"type": "action", "payload": body}})
        await wait_until(lambda: any(len(d["orders"]) == 1 for d in c.on("openOrders")))
        resting = next(d for d in c.on("openOrders") if d["orders"])["orders"][0]
        assert resting["coin"] == "SOL" and {"triggerPx", "orderType", "reduceOnly"} <= set(resting)
        await wait_until(lambda: any(d["clearinghouseState"]["assetPositions"] for d in c.on("clearinghouseState")))
        pushed = next(d for d in c.on("clearinghouseState") if d["clearinghouseState"]["assetPositions"])
        assert pushed["clearinghouseState"]["assetPositions"][0]["position"]["coin"] == "SOL"
        fill_at = next(i for i, t in enumerate(c.texts) if '"channel":"userFills"' in t and '"SOL"' in t)
        state_at = next(i for i, t in enumerate(c.texts) if '"channel":"clearinghouseState"' in t and '"SOL"' in t)
        assert fill_at < state_at                   # the state never runs ahead of the fill that made it

        await c.send({"method": "subscribe", "subscription": {"type": "openOrders", "user": user, "dex": "xyz"}})
        await wait_until(lambda: c.on("error"))
        assert sim.stats()["weight"] == 0           # pushes and posts cost no REST weight
        await c.ws.close()


async def _fault(http: aiohttp.ClientSession, sim, **body: Any) -> dict:
    async with http.post(sim.url + "/sim", json={"type": "fault", **body}) as resp:
        return await resp.json()


async def test_an_error_fault_on_every_target_closes_the_stream_and_refuses_new_ones(sim_server):
    """`all` is the whole venue: an error outage is not only HTTP's, the stream goes dark too."""
    sim = await sim_server(seed=29)
    async with aiohttp.ClientSession() as http:
        c = await _mids(http, sim)
        assert (await _fault(http, sim, kind="error", target="all"))["faults"][0]["target"] == "all"
        await wait_until(lambda: c.closed)
        with contextlib.suppress(aiohttp.WSServerHandshakeError):
            await http.ws_connect(sim.url.replace("http", "ws") + "/ws")
            raise AssertionError("a handshake during an error outage was accepted")
        await _fault(http, sim, kind="none")
        fine = await _mids(http, sim)
        await fine.ws.close()


async def test_a_target_list_narrows_a_fault_to_the_parts_named(sim_server):
    sim = await sim_server(seed=31)
    async with aiohttp.ClientSession() as http:
        c = await _mids(http, sim)
        reply = await _fault(http, sim, kind="error", target=["info", "exchange"])
        assert reply["faults"][0]["target"] == ["exchange", "info"]
        async with http.post(sim.url + "/info", json={"type": "allMids"}) as resp:
            assert resp.status == 500
        seen = len(c.on("allMids"))
        await wait_until(lambda: len(c.on("allMids")) > seen + 2)      # the stream is left alone
        assert not c.closed
        assert (await _fault(http, sim, kind="error", target="info,ws"))["faults"][0]["target"] == ["info", "ws"]
        await wait_until(lambda: c.closed)
        async with http.post(sim.url + "/sim", json={"type": "fault", "kind": "error", "target": ["info", "x"]}) as r:
            assert r.status == 422 and "target" in await r.text()


async def test_a_timeout_fault_silences_the_stream_until_it_ends_and_latency_delays_it(sim_server):
    sim = await sim_server(seed=37)
    async with aiohttp.ClientSession() as http:
        c = await _mids(http, sim)
        await _fault(http, sim, kind="timeout", target="ws")
        await c.send({"method": "ping"})
        sim.advance(5)                               # blocks whose pushes are held with the pong
        (conn,) = sim.hub.conns
        await wait_until(lambda: conn.queue.qsize() >= 3)      # queued behind the one the writer holds
        assert not c.on("pong") and not c.closed     # silent, not closed
        await _fault(http, sim, kind="none")
        await wait_until(lambda: c.on("pong"))       # what was held arrives, in order
        assert len(c.on("allMids")) > 0

        await _fault(http, sim, kind="latency", latencyMs=600, target="ws")
        t0 = time.monotonic()
        await c.send({"method": "ping"})
        pongs = len(c.on("pong"))
        await wait_until(lambda: len(c.on("pong")) > pongs)
        assert time.monotonic() - t0 >= 0.5
        await c.ws.close()
