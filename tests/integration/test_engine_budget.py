"""Push first, on the simulator: the engine reads the account from the venue's pushes in every mode,
the slow REST audit catches what a push missed, and a reconnect refills the gap."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from perps_desktop.app import App
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.lanes import Lane
from perps_desktop.core.models import OrderRequest, TraceQuery
from perps_desktop.exchange import ClientConfig, HyperliquidClient
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings

LIVE_KEY = "0x" + "6b" * 32


def _rest(sim, kind: str) -> int:
    return int(sim.stats()["requests"].get(f"info:{kind}", 0))


async def _ioc_behind_the_back(sim, key: str, symbol: str, usd: float) -> None:
    """A crossing IOC for the same account, sent by another client (not the app's)."""
    cfg = ClientConfig(base_url=sim.url, timeout_s=5.0, stream_account=False)
    async with HyperliquidClient(cfg, private_key=key, registry=CacheRegistry()) as other:
        mid = await other.mid(symbol)
        res = await other.place_order(OrderRequest(symbol=symbol, is_buy=True, size=Decimal(repr(usd / float(mid))),
                                                   limit_px=mid * Decimal("1.05"), tif="Ioc"))
        assert res.ok and res.filled_size > 0, res


@pytest.mark.parametrize("mode", ["paper", "watch", "live"])
async def test_every_mode_reads_the_account_from_the_pushes(tmp_path, sim_server, mode):
    sim = await sim_server(rate_limit_per_min=0)
    overrides: dict = {"strategy_threshold_pct": QUIET}
    kw: dict = {}
    if mode == "watch":
        overrides["address"] = "0x" + "7c" * 20
        await sim.fund(overrides["address"], 1000)
    if mode == "live":
        async def yes(text: str) -> bool:
            return True
        kw = {"confirm": yes, "keyring_lookup": lambda: LIVE_KEY}
    async with App(fast_settings(tmp_path, sim, mode=mode, **overrides), **kw) as app:
        await app.wait_until_reconciled()
        client, engine = app.services.client, app.services.engine
        await wait_until(lambda: client.pushed.state() is not None and client.pushed.orders() is not None)
        reads = _rest(sim, "clearinghouseState")
        ticks = engine.ticks
        await wait_until(lambda: engine.ticks >= ticks + 5, timeout=15)
        assert client.pushed.hits >= 5                       # every tick's account read came from a push
        assert _rest(sim, "clearinghouseState") == reads    # and none went over REST
        assert app.snapshot().account is not None


async def test_the_audit_catches_a_position_opened_behind_the_cores_back(tmp_path, sim_server, monkeypatch):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        engine, client = app.services.engine, app.services.client
        await wait_until(lambda: client.pushed.state() is not None)
        for name in ("on_fills", "on_order_updates", "on_accounts", "on_user_event"):   # the venue goes quiet
            monkeypatch.setattr(sim.hub, name, lambda *args: None)
        monkeypatch.setattr(sim.hub, "account_payload", lambda key: None)
        await _ioc_behind_the_back(sim, app.identity.private_key, "ETH", 1500)
        ticks = engine.ticks
        await wait_until(lambda: engine.ticks >= ticks + 3, timeout=15)
        assert engine.positions == ()                        # nothing was pushed: the engine cannot know yet

        report = await engine.audit()
        assert report is not None and report.fills_missed == 1
        assert [p.split()[0] for p in report.positions] == ["ETH"]
        assert [p.symbol for p in engine.positions] == ["ETH"]
        assert engine.fills and engine.fills[0].symbol == "ETH"
        await wait_until(lambda: app.trace_counters().flushed == app.trace_counters().recorded, timeout=10)
        fills = (await app.query_traces(TraceQuery(kind="fill", limit=10))).traces
        assert any("found by the audit" in t.reason for t in fills)
        system = (await app.query_traces(TraceQuery(kind="system", limit=20))).traces
        assert any(t.reason.startswith("audit: positions ETH") for t in system)


async def test_a_reconnect_refills_the_gap(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    settings = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, ws_reconnect_base_ms=300,
                             ws_reconnect_max_ms=600)
    async with App(settings) as app:
        await app.wait_until_reconciled()
        engine, client = app.services.engine, app.services.client
        await wait_until(lambda: client.pushed.state() is not None and engine.stream_live)
        refills = _rest(sim, "userFills")
        await sim.set_fault(kind="wsDrop", rate=1.0, duration_s=1.0, target="ws")
        await wait_until(lambda: not client.stream.connected)
        await _ioc_behind_the_back(sim, app.identity.private_key, "SOL", 1000)    # made while nobody listens
        await wait_until(lambda: client.stream.connections >= 2, timeout=20)
        await wait_until(lambda: [p.symbol for p in engine.positions] == ["SOL"], timeout=10)
        await wait_until(lambda: any(f.symbol == "SOL" for f in engine.fills), timeout=10)
        assert _rest(sim, "userFills") == refills + 1          # the one REST read after the reconnect
        assert engine.audit_clock.runs == 0                              # not the audit: the refill found it


async def test_a_stop_never_waits_for_budget(tmp_path, sim_server):
    """The minute's budget is spent and the trader's Close is queued for it: stopping ends the wait at
    once (the Close fails saying why) instead of holding the stop until the budget refills."""
    sim = await sim_server(rate_limit_per_min=0)
    app = App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET))
    await app.start()
    try:
        await app.wait_until_reconciled()
        client = app.services.client
        await _ioc_behind_the_back(sim, app.identity.private_key, "BTC", 1000)
        await wait_until(lambda: [p.symbol for p in app.services.engine.positions] == ["BTC"]
                         and "BTC" in app.services.engine.stops.stops)     # its stop rests: the lock is free
        client.budget.charge(client.budget.limit)                  # nothing fits for a minute, not even a Close
        close = asyncio.ensure_future(app.close_position("BTC"))
        await wait_until(lambda: (w := client.budget.waiting()) is not None and w.lane is Lane.MANUAL)
    finally:
        await asyncio.wait_for(app.aclose(), timeout=30)            # a minute's wait would miss this
    report = await asyncio.wait_for(close, timeout=5)
    assert not report.ok and "stopping" in report.message
    assert app.trace_counters().recorded == app.trace_counters().flushed
