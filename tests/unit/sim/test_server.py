"""The simulator over real loopback HTTP: bad input, rate limits, faults, /sim control, lifecycle."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import eth_account
import pytest
from hyperliquid.utils.signing import sign_l1_action

from perps_desktop.sim import Simulator
from tests.helpers import wait_until


async def _post(sim, path: str, body=None, *, raw: bytes | None = None, timeout: float = 30.0):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        data = raw if raw is not None else None
        kwargs = {"data": data, "headers": {"Content-Type": "application/json"}} if raw is not None else {"json": body}
        async with http.post(sim.url + path, **kwargs) as resp:
            text = await resp.text()
            return resp.status, text


def _signed(wallet, action: dict, nonce: int) -> dict:
    return {"action": action, "nonce": nonce, "signature": sign_l1_action(wallet, action, None, nonce, None, False),
            "vaultAddress": None, "expiresAfter": None}


def _order(a: int, p: str, s: str) -> dict:
    return {"type": "order", "orders": [{"a": a, "b": True, "p": p, "s": s, "r": False,
                                         "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}


async def test_every_kind_of_bad_input_gets_the_venue_shape_never_a_500(sim_server):
    sim = await sim_server(seed=1)
    wallet = eth_account.Account.create()
    await sim.fund(wallet.address, 10_000)
    now = int(time.time() * 1000)
    replayed = _signed(wallet, _order(0, "50000", "0.001"), now)
    tampered = _signed(wallet, _order(0, "50000", "0.001"), now + 1)
    tampered["action"]["orders"][0]["s"] = "0.002"
    http_422 = [
        ("/info", None, b"{not json"), ("/info", {"type": "noSuchThing"}, None), ("/info", ["allMids"], None),
        ("/info", {"type": "clearinghouseState", "user": 7}, None), ("/info", {"type": "l2Book", "coin": "XYZ"}, None),
        ("/exchange", None, b"\xff\xfe"), ("/exchange", {"action": {"type": "order"}}, None),
        ("/exchange", {"action": {"type": "launchRocket"}, "nonce": now, "signature": {}}, None),
        ("/exchange", {**replayed, "nonce": "soon"}, None),
        ("/exchange", {**replayed, "action": {**replayed["action"], "orders": [{"a": 0, "b": "yes"}]}}, None),
        ("/sim", None, b"[["), ("/sim", {"type": "warp"}, None), ("/sim", {"type": "setMid", "coin": "BTC",
                                                                           "px": "cheap"}, None),
        ("/sim", {"type": "fault", "kind": "meteor"}, None), ("/sim", {"type": "fund", "user": "me"}, None),
    ]
    for path, body, raw in http_422:
        status, text = await _post(sim, path, body, raw=raw)
        assert status == 422, (path, body, raw, status, text)
        assert text.startswith("Failed to deserialize the JSON body into the target type: ") and len(text) > 70

    per_order = [(_order(99, "100", "1"), "Asset 99 does not exist"), (_order(0, "50000", "0.0000001"),
                                                                       "Order has invalid size."),
                 (_order(0, "50000.5", "0.001"), "Order has invalid price."),
                 (_order(1, "3000.123", "0.01"), "Order has invalid price.")]
    for i, (action, message) in enumerate(per_order):
        status, text = await _post(sim, "/exchange", _signed(wallet, action, now + 10 + i))
        assert status == 200
        assert message in text and '"status":"ok"' in text

    whole = [(tampered, "does not exist"), (replayed, '"status":"ok"'), (replayed, "Invalid nonce"),
             (_signed(wallet, {"type": "noop"}, now - 3 * 86_400_000), "Invalid nonce"),
             ({**replayed, "signature": {"r": "0x1", "s": "0x1", "v": 30}}, "Invalid signature")]
    for body, expected in whole:
        status, text = await _post(sim, "/exchange", body)
        assert status == 200 and expected in text, (expected, text)
    assert "info:noSuchThing" in sim.stats()["requests"]


async def test_over_the_ip_weight_budget_is_http_429(sim_server):
    sim = await sim_server(rate_limit_per_min=100)
    codes = [(await _post(sim, "/info", {"type": "meta"}))[0] for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert (await _post(sim, "/info", {"type": "allMids"}))[0] == 429
    status, _text = await _post(sim, "/sim", {"type": "config", "rateLimitPerMin": 0})
    assert status == 200
    assert (await _post(sim, "/info", {"type": "meta"}))[0] == 200
    assert sim.stats()["rateLimited"] == 2


async def test_faults_by_kind_target_rate_and_duration(sim_server):
    sim = await sim_server(seed=2)
    await sim.set_fault(kind="error", target="exchange")
    assert (await _post(sim, "/info", {"type": "allMids"}))[0] == 200
    assert (await _post(sim, "/exchange", {"action": {"type": "noop"}}))[0] == 500
    await sim.clear_faults()

    await sim.set_fault(kind="latency", latency_ms=300, target="info")
    t0 = time.perf_counter()
    assert (await _post(sim, "/info", {"type": "allMids"}))[0] == 200
    assert time.perf_counter() - t0 >= 0.25
    await sim.clear_faults()

    await sim.set_fault(kind="timeout", target="all")
    with pytest.raises(asyncio.TimeoutError):
        await _post(sim, "/info", {"type": "allMids"}, timeout=0.5)
    await sim.clear_faults()

    await sim.set_fault(kind="error", rate=0.5, target="info")
    codes = [(await _post(sim, "/info", {"type": "allMids"}))[0] for _ in range(40)]
    assert 5 <= codes.count(500) <= 35 and codes.count(200) == 40 - codes.count(500)

    status, text = await _post(sim, "/sim", {"type": "fault", "kind": "rateLimit", "durationS": 0.3})
    assert status == 200 and '"rateLimit"' in text
    assert (await _post(sim, "/info", {"type": "meta"}))[0] in (429, 500)
    await wait_until(lambda: all(f["kind"] != "rateLimit" for f in sim.faults_active()), timeout=10)
    await sim.set_fault(kind="none")
    assert (await _post(sim, "/info", {"type": "meta"}))[0] == 200
    assert sim.stats()["faultsInjected"] >= 4


async def test_a_counted_fault_hits_the_next_requests_only_however_late_they_come(sim_server):
    sim = await sim_server(seed=3)
    status, text = await _post(sim, "/sim", {"type": "fault", "kind": "error", "count": 2, "target": "info"})
    assert status == 200 and '"remainingCount":2' in text
    assert (await _post(sim, "/exchange", {}))[0] != 500            # another target: not counted
    codes = [(await _post(sim, "/info", {"type": "allMids"}))[0] for _ in range(4)]
    assert codes == [500, 500, 200, 200] and sim.faults_active() == []
    status, text = await _post(sim, "/sim", {"type": "fault", "kind": "error", "count": 1.5})
    assert status == 422 and "whole number" in text
    status, text = await _post(sim, "/sim", {"type": "fault", "kind": "error", "count": 0})
    assert status == 422 and "count" in text


async def test_sim_control_set_mid_fund_stats_and_reset(sim_server):
    sim = await sim_server(seed=4)
    status, text = await _post(sim, "/sim", {"type": "setMid", "coin": "BTC", "px": "70000"})
    assert status == 200 and '"mid":"70000.0"' in text
    _, mids = await _post(sim, "/info", {"type": "allMids"})
    assert '"BTC":"70000.0"' in mids
    user = "0x" + "ab" * 20
    assert (await _post(sim, "/sim", {"type": "fund", "user": user, "usdc": "2500"}))[0] == 200
    _, state = await _post(sim, "/info", {"type": "clearinghouseState", "user": user})
    assert '"accountValue":"2500.0"' in state
    _, stats = await _post(sim, "/sim", {"type": "stats"})
    assert '"info:allMids":1' in stats and '"info:clearinghouseState":1' in stats
    assert (await _post(sim, "/sim", {"type": "advance", "blocks": 3}))[0] == 200
    assert (await _post(sim, "/sim", {"type": "reset"}))[0] == 200
    _, state = await _post(sim, "/info", {"type": "clearinghouseState", "user": user})
    assert '"accountValue":"0.0"' in state
    assert sim.stats()["requests"] == {"info:clearinghouseState": 1}


async def test_lifecycle_random_port_close_twice_and_no_restart():
    sim = Simulator(seed=9)
    async with sim:
        assert sim.port != 0 and sim.url == f"http://127.0.0.1:{sim.port}"
        with pytest.raises(RuntimeError):
            await sim.start()
        await wait_until(lambda: sim.stats()["blocks"] >= 2, timeout=10)
    await sim.aclose()
    with pytest.raises(aiohttp.ClientConnectionError):
        await _post(sim, "/info", {"type": "allMids"}, timeout=5)
