"""The official hyperliquid-python-sdk, pointed at the simulator, works unchanged.

The SDK is synchronous (requests, websocket-client threads), so every call runs in a worker
thread while the simulator answers on the test's event loop.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from decimal import Decimal

import aiohttp
import eth_account
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError, ServerError
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action
from hyperliquid.utils.types import Cloid

from tests.helpers import wait_until

pytestmark = pytest.mark.timeout(120)


async def _sim_post(sim, body: dict) -> tuple[int, object]:
    async with aiohttp.ClientSession() as http, http.post(sim.url + "/sim", json=body) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_sdk_reads_trades_and_closes_a_position(sim_server):
    sim = await sim_server(seed=7)
    wallet = eth_account.Account.create()
    address = wallet.address

    info = await asyncio.to_thread(Info, sim.url, True)
    meta = await asyncio.to_thread(info.meta)
    assert [a["name"] for a in meta["universe"]][:3] == ["BTC", "ETH", "SOL"]
    assert len(meta["universe"]) >= 10
    mids = await asyncio.to_thread(info.all_mids)
    assert float(mids["BTC"]) > 1000

    status, reply = await _sim_post(sim, {"type": "fund", "user": address, "usdc": "100000"})
    assert (status, reply["status"]) == (200, "ok")
    exchange = await asyncio.to_thread(Exchange, wallet, sim.url)

    # a resting order with a cloid, visible in open orders, then cancelled
    cloid = Cloid.from_int(42)
    resting_px = round(float(mids["BTC"]) * 0.9)
    placed = await asyncio.to_thread(exchange.order, "BTC", True, 0.01, resting_px,
                                     {"limit": {"tif": "Gtc"}}, False, cloid)
    assert placed["status"] == "ok"
    resting = placed["response"]["data"]["statuses"][0]["resting"]
    assert resting["cloid"] == cloid.to_raw()
    orders = await asyncio.to_thread(info.open_orders, address)
    assert [(o["oid"], o["cloid"], o["side"], o["sz"]) for o in orders] == [
        (resting["oid"], cloid.to_raw(), "B", "0.01")]
    by_cloid = await asyncio.to_thread(info.query_order_by_cloid, address, cloid)
    assert by_cloid["order"]["status"] == "open"
    cancelled = await asyncio.to_thread(exchange.cancel_by_cloid, "BTC", cloid)
    assert cancelled["response"]["data"]["statuses"] == ["success"]
    assert await asyncio.to_thread(info.open_orders, address) == []
    by_oid = await asyncio.to_thread(info.query_order_by_oid, address, resting["oid"])
    assert by_oid["order"]["status"] == "canceled"

    # a crossing IOC (the SDK's market_open) opens a short
    opened = await asyncio.to_thread(exchange.market_open, "ETH", False, 0.5)
    filled = opened["response"]["data"]["statuses"][0]["filled"]
    assert filled["totalSz"] == "0.5"
    state = await asyncio.to_thread(info.user_state, address)
    [pos] = [p["position"] for p in state["assetPositions"]]
    assert pos["coin"] == "ETH"
    assert Decimal(pos["szi"]) == Decimal("-0.5")
    assert Decimal(pos["entryPx"]) == Decimal(filled["avgPx"])
    assert pos["leverage"] == {"type": "cross", "value": 20}
    expected_margin = Decimal(pos["positionValue"]) / 20
    assert abs(Decimal(pos["marginUsed"]) - expected_margin) < Decimal("0.01")
    assert Decimal(state["marginSummary"]["totalMarginUsed"]) == Decimal(pos["marginUsed"])
    assert pos["liquidationPx"] is None or Decimal(pos["liquidationPx"]) > Decimal(pos["entryPx"])

    # close it (market_close reads the position from the user state) and read the fills
    closed = await asyncio.to_thread(exchange.market_close, "ETH")
    assert closed["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.5"
    state = await asyncio.to_thread(info.user_state, address)
    assert state["assetPositions"] == []
    fills = await asyncio.to_thread(info.user_fills, address)
    assert [(f["coin"], f["side"], f["sz"], f["dir"]) for f in fills] == [
        ("ETH", "B", "0.5", "Close Short"), ("ETH", "A", "0.5", "Open Short")]
    assert all(f["crossed"] and Decimal(f["fee"]) > 0 for f in fills)
    assert Decimal(state["marginSummary"]["accountValue"]) < Decimal(100_000)  # fees and spread were paid


async def test_sdk_websocket_receives_mids_and_fills(sim_server):
    sim = await sim_server(seed=11)
    wallet = eth_account.Account.create()
    address = wallet.address.lower()
    await sim.fund(address, usdc=50_000)
    mids: list[dict] = []
    fills: list[dict] = []
    updates: list[dict] = []
    lock = threading.Lock()

    def keep(into):
        def callback(msg):
            with lock:
                into.append(msg)
        return callback

    info = await asyncio.to_thread(Info, sim.url, False)
    try:
        info.subscribe({"type": "allMids"}, keep(mids))
        info.subscribe({"type": "userFills", "user": address}, keep(fills))
        info.subscribe({"type": "orderUpdates", "user": address}, keep(updates))
        await wait_until(lambda: len(mids) >= 2, timeout=20)
        assert mids[-1]["channel"] == "allMids"
        assert "BTC" in mids[-1]["data"]["mids"]
        await wait_until(lambda: any(m["data"].get("isSnapshot") for m in fills), timeout=20)

        exchange = await asyncio.to_thread(Exchange, wallet, sim.url)
        result = await asyncio.to_thread(exchange.market_open, "SOL", True, 2)
        assert "filled" in result["response"]["data"]["statuses"][0]
        await wait_until(lambda: any(not m["data"].get("isSnapshot") for m in fills), timeout=20)
        live = [m for m in fills if not m["data"].get("isSnapshot")]
        assert live[0]["data"]["user"] == address
        assert live[0]["data"]["fills"][0]["coin"] == "SOL"
        assert live[0]["data"]["fills"][0]["dir"] == "Open Long"
        await wait_until(lambda: any(u["data"][0]["status"] == "filled" for u in updates), timeout=20)
    finally:
        await asyncio.to_thread(info.disconnect_websocket)


async def test_tampered_and_replayed_actions_are_rejected(sim_server):
    sim = await sim_server(seed=3)
    wallet = eth_account.Account.create()
    await sim.fund(wallet.address, usdc=10_000)
    action = {"type": "order", "orders": [{"a": 0, "b": True, "p": "50000", "s": "0.001", "r": False,
                                           "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}
    nonce = get_timestamp_ms()
    signature = sign_l1_action(wallet, action, None, nonce, None, False)
    body = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}

    async with aiohttp.ClientSession() as http:
        tampered = copy.deepcopy(body)
        tampered["action"]["orders"][0]["p"] = "50001"
        async with http.post(sim.url + "/exchange", json=tampered) as resp:
            reply = await resp.json()
        assert reply["status"] == "err"
        assert "does not exist" in reply["response"]

        async with http.post(sim.url + "/exchange", json=body) as resp:
            reply = await resp.json()
        assert reply["status"] == "ok"
        assert "resting" in reply["response"]["data"]["statuses"][0]

        async with http.post(sim.url + "/exchange", json=body) as resp:  # the same signed body again
            reply = await resp.json()
        assert reply["status"] == "err"
        assert reply["response"].startswith("Invalid nonce")


async def test_a_fault_set_through_sim_reaches_the_client_and_stats_count_requests(sim_server):
    sim = await sim_server(seed=5)
    info = await asyncio.to_thread(Info, sim.url, True)

    status, _ = await _sim_post(sim, {"type": "fault", "kind": "error", "rate": 1.0, "target": "info"})
    assert status == 200
    with pytest.raises(ServerError) as err:
        await asyncio.to_thread(info.all_mids)
    assert err.value.status_code == 500

    await _sim_post(sim, {"type": "fault", "kind": "rateLimit", "rate": 1.0, "target": "info"})
    await _sim_post(sim, {"type": "fault", "kind": "error", "rate": 0.0, "target": "info"})
    with pytest.raises(ClientError) as err:
        await asyncio.to_thread(info.all_mids)
    assert err.value.status_code == 429

    await _sim_post(sim, {"type": "fault", "kind": "none"})
    assert "BTC" in await asyncio.to_thread(info.all_mids)

    status, stats = await _sim_post(sim, {"type": "stats"})
    assert status == 200
    assert stats["requests"]["info:allMids"] == 3
    assert stats["requests"]["info:meta"] == 1 and stats["requests"]["info:spotMeta"] == 1
    assert stats["total"] == sum(stats["requests"].values())
