"""End to end on the simulator: a paper session trades, records why, and the trader can flatten it."""

from __future__ import annotations

import logging

from perps_desktop.app import App
from perps_desktop.core.models import TraceQuery, TradingState
from tests.helpers import wait_until
from tests.integration.engine_support import (
    QUIET,
    fast_settings,
    open_position,
    rest_order,
    sim_info,
    sim_orders,
    sim_positions,
)


async def test_a_paper_session_on_the_embedded_simulator_trades_and_records_every_step(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with App(fast_settings(tmp_path)) as app:                   # no base_url: embedded simulator
        sim_url = app.services.base_url
        assert f"simulator: {sim_url}" in caplog.text and sim_url.startswith("http://127.0.0.1:")
        await wait_until(lambda: len(app.snapshot().fills) >= 2, timeout=30)
        fills = await sim_info(sim_url, {"type": "userFills", "user": app.identity.address})
        assert len(fills) >= 2                                        # the venue saw them too
        snap = app.snapshot()
        assert snap.mode == "paper" and not snap.read_only and snap.connected
        assert snap.account is not None and snap.risk is not None and snap.monitor is not None
        assert {t.name for t in snap.monitor.timings} >= {"engine.market_data", "engine.strategy", "engine.risk",
                                                          "engine.execution", "engine.tick"}
        recorded = app.trace_counters().recorded                      # every step so far, orders and fills too
        await wait_until(lambda: app.trace_counters().flushed >= recorded, timeout=20)
        kinds = {}
        for kind in ("signal", "risk", "order", "fill", "system"):
            page = await app.query_traces(TraceQuery(kind=kind, limit=5))
            kinds[kind] = page.traces
        assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}
        assert "moved" in kinds["signal"][0].reason
        assert kinds["risk"][0].decision in ("approve", "reduce")
        assert any("reconciled" in t.reason for t in kinds["system"])
        one = await app.get_trace(kinds["order"][0].id)
        assert one is not None and one.payload["cloid"].startswith("0x")
        v1 = app.snapshot().version
        await wait_until(lambda: app.snapshot().version > v1)
    c = app.trace_counters()
    assert c.recorded == c.flushed > 0 and c.dropped == 0


async def test_flatten_all_leaves_no_position_and_no_order_at_the_venue(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim)) as app:              # the strategy keeps trading meanwhile
        await app.wait_until_reconciled()
        addr = app.identity.address
        await open_position(app, "ETH", 3000, buy=False)
        await open_position(app, "SOL", 2000)
        await rest_order(app, "BTC")
        await rest_order(app, "ETH", buy=False)
        assert len(await sim_positions(sim.url, addr)) >= 2 and len(await sim_orders(sim.url, addr)) >= 2
        report = await app.flatten_all()
        assert report.ok, report
        assert report.action == "flatten_all" and "trading is REDUCING" in report.message
        whats = [s.what for s in report.steps]
        assert sum(w.startswith("cancel ") for w in whats) >= 2 and any(w.startswith("close SOL") for w in whats)
        assert all(s.ok for s in report.steps)
        assert await sim_positions(sim.url, addr) == {}
        assert await sim_orders(sim.url, addr) == []
        assert app.snapshot().positions == () and app.snapshot().last_action == report
        assert app.snapshot().risk.trading_state is TradingState.REDUCING
        ticks = app.services.engine.ticks
        await wait_until(lambda: app.services.engine.ticks >= ticks + 5, timeout=15)   # chances to re-open
        assert await sim_positions(sim.url, addr) == {}               # nothing re-opened while REDUCING
        await wait_until(lambda: app.trace_counters().flushed == app.trace_counters().recorded, timeout=10)
        actions = await app.query_traces(TraceQuery(kind="action", limit=5))
        assert actions.traces and actions.traces[0].decision == "flatten_all"
        full = await app.get_trace(actions.traces[0].id)                 # pages carry payloads undecoded
        assert full is not None and len(full.payload["steps"]) == len(report.steps)


async def test_close_and_reduce_one_position_by_hand(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        addr = app.identity.address
        await open_position(app, "BTC", 4000)
        await open_position(app, "ETH", 3000, buy=False)
        before = await sim_positions(sim.url, addr)
        half = await app.reduce_position("BTC", 0.5)
        assert half.ok and half.steps[0].what.startswith("reduce 50% BTC")
        after = await sim_positions(sim.url, addr)
        assert 0 < after["BTC"] < before["BTC"]
        closed = await app.close_position("ETH")
        assert closed.ok and "ETH" not in await sim_positions(sim.url, addr)
        assert [p.symbol for p in app.snapshot().positions] == ["BTC"]
        none = await app.close_position("DOGE")
        assert not none.ok and "no open DOGE position" in none.message
        oid = await rest_order(app, "SOL")
        cancelled = await app.cancel_order("SOL", oid)
        assert cancelled.ok
        left: list[dict] = []

        async def only_btc_stops_left() -> bool:                      # the engine cancels the closed ETH's
            left[:] = await sim_orders(sim.url, addr)                 # stop-loss on a tick after the close;
            return {o["coin"] for o in left} <= {"BTC"}               # BTC's stop-loss rests on
        await wait_until(only_btc_stops_left, timeout=30, interval=0.1)
        assert oid not in {o["oid"] for o in left}
