"""Inputs the venue refuses are refused here too, each with the venue's kind of error: a price sent as a
JSON number (does not deserialize: HTTP 422 text), an empty batchModify (a business error, HTTP 200
status err), a subscription to a coin it does not list (an error on the socket), and `/sim fund` with a
negative amount (the simulator's own 422)."""

from __future__ import annotations

import aiohttp
import pytest
from hyperliquid.utils.signing import sign_l1_action

from perps_desktop.exchange.wire import batch_modify_action
from perps_desktop.sim.wire import WireError
from tests.helpers import wait_until
from tests.unit.sim.harness import Harness
from tests.unit.sim.test_ws import _connect


def _order(h: Harness, px: object) -> dict:
    return {"type": "order", "grouping": "na",
            "orders": [{"a": h.asset("BTC"), "b": True, "p": px, "s": "0.01", "r": False,
                        "t": {"limit": {"tif": "Gtc"}}}]}


def test_a_price_sent_as_a_json_number_does_not_deserialize():
    h = Harness()
    w = h.wallet()
    with pytest.raises(WireError, match=r"orders\[0\]\.p must be a decimal string, got a JSON number"):
        h.act(w, _order(h, float(h.mid("BTC")) - 1000))
    ok = h.act(w, _order(h, str(int(h.mid("BTC")) - 1000)))       # the same order with a string price
    assert ok["status"] == "ok" and "resting" in ok["response"]["data"]["statuses"][0]


def test_an_empty_batch_modify_is_refused_by_the_venue_and_never_built_by_the_client():
    h = Harness()
    assert h.act(h.wallet(), {"type": "batchModify", "modifies": []}) == {
        "status": "err", "response": "batchModify needs at least one modify"}
    with pytest.raises(ValueError, match="at least one modify"):
        batch_modify_action([])


async def test_over_http_a_number_price_is_a_422_and_a_negative_fund_too(sim_server):
    sim = await sim_server()
    h = Harness()
    w = h.wallet(usdc=0)
    await sim.fund(w.address.lower(), usdc=100_000)
    action = _order(h, 1.5)
    body = {"action": action, "nonce": 1_700_000_000_001, "vaultAddress": None, "expiresAfter": None,
            "signature": sign_l1_action(w, action, None, 1_700_000_000_001, None, False)}
    async with aiohttp.ClientSession() as http:
        async with http.post(sim.url + "/exchange", json=body) as resp:
            assert resp.status == 422
            assert (await resp.text()).startswith("Failed to deserialize the JSON body into the target type")
        async with http.post(sim.url + "/sim", json={"type": "fund", "user": w.address, "usdc": "-5000"}) as resp:
            assert resp.status == 422 and "usdc must be an amount >= 0" in await resp.text()
    assert sim.venue.account(w.address.lower()).usdc == 100_000           # nothing was taken


async def test_a_subscription_to_a_coin_the_venue_does_not_list_is_an_error(sim_server):
    sim = await sim_server()
    async with aiohttp.ClientSession() as http:
        c = await _connect(http, sim)
        await c.send({"method": "subscribe", "subscription": {"type": "l2Book", "coin": "NOPE"}})
        await c.send({"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC"}})
        await wait_until(lambda: c.on("error") and c.on("subscriptionResponse"))
        assert c.on("error") == ['Invalid subscription {"type":"l2Book","coin":"NOPE"}: unknown coin \'NOPE\'']
        assert [r["subscription"]["coin"] for r in c.on("subscriptionResponse")] == ["BTC"]
        await c.ws.close()
