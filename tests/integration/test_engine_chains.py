"""Trace chains end to end on the simulator: each story, from what started it to its last fill and stop."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.app import App, Trace, TraceQuery
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position, sim_positions


async def _flushed(app: App) -> None:
    recorded = app.trace_counters().recorded
    await wait_until(lambda: app.trace_counters().flushed >= recorded, timeout=20)


def _steps(chain: tuple[Trace, ...]) -> list[tuple[str, str | None]]:
    return [(t.kind, t.decision) for t in chain]


async def test_a_strategy_fill_tells_its_story_signal_risk_order_fill_and_its_stop(tmp_path):
    async with App(fast_settings(tmp_path)) as app:
        await wait_until(lambda: app.services.engine.stops.stops, timeout=30)   # a fill, and its stop placed
        await _flushed(app)
        fills = (await app.query_traces(TraceQuery(kind="fill", limit=50))).traces
        strategy_fills = []
        for f in fills:
            chain = await app.chain_of(f.id)
            if chain[0].kind == "signal":
                strategy_fills.append((f, chain))
        assert strategy_fills, "no fill of the strategy's recorded"
        fill, chain = strategy_fills[-1]                      # the oldest: its stop has surely been placed
        assert {t.chain for t in chain} == {chain[0].id} and fill.id in [t.id for t in chain]
        kinds = [t.kind for t in chain]
        assert kinds[:3] == ["signal", "risk", "order"], _steps(chain)
        assert chain[1].decision in ("approve", "reduce") and chain[2].decision == "sent"
        assert kinds.index("fill") > 2                        # after its order, though the venue pushed it first
        assert next(t for t in chain if t.id == fill.id).payload["cloid"] == chain[2].payload["cloid"]
        stops = [t for t in chain if t.decision == "stop_placed"]
        assert stops and stops[0].symbol == chain[0].symbol, _steps(chain)
        assert [t.time_ms for t in chain] == sorted(t.time_ms for t in chain)


async def _fill_of(app: App, symbol: str, cloid: str | None) -> Trace:
    page = await app.query_traces(TraceQuery(kind="fill", symbol=symbol, limit=20))
    for t in page.traces:
        full = await app.get_trace(t.id)
        if full is not None and full.payload["cloid"] == cloid:
            return full
    raise AssertionError(f"no fill of {cloid}")


async def test_a_manual_reduce_and_close_are_stories_from_the_request_to_fill_and_stop(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        engine = app.services.engine
        await open_position(app, "ETH", 3000)
        await wait_until(lambda: "ETH" in engine.stops.stops, timeout=20)          # the engine protects it
        first_stop = engine.stops.stops["ETH"].oid
        half = await app.reduce_position("ETH", 0.5)
        assert half.ok
        await wait_until(lambda: "ETH" in engine.stops.stops and engine.stops.stops["ETH"].oid != first_stop,
                         timeout=20)                                              # its stop resized
        await _flushed(app)
        chain = await app.chain_of((await _fill_of(app, "ETH", half.steps[0].cloid)).id)
        steps = _steps(chain)
        assert steps[:2] == [("action", "requested"), ("action", "reduce")], steps
        assert steps.index(("fill", None)) > 1
        # the stop of the new size, and the cancel of the old one, join what changed the position
        assert ("order", "stop_placed") in steps and ("order", "stop_canceled") in steps, steps
        closed = await app.close_position("ETH")
        assert closed.ok and "ETH" not in await sim_positions(sim.url, app.identity.address)
        await _flushed(app)
        fill = await _fill_of(app, "ETH", closed.steps[0].cloid)
        chain = await app.chain_of(fill.id)
        steps = _steps(chain)
        assert steps[:3] == [("action", "requested"), ("action", "close"), ("fill", None)], steps
        assert chain[0].id == fill.chain and "close ETH" in chain[0].reason


async def test_a_recovery_cut_is_a_story_from_its_finding_to_its_fill(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        await open_position(app, "BTC", 30_000)
        await sim.set_mid("BTC", Decimal(sim.mid("BTC")) * 2)           # now over the $50k limit
        await wait_until(lambda: any(a.finding.problem == "oversize" for a in app.snapshot().recovery_history),
                         timeout=20)
        action = next(a for a in app.snapshot().recovery_history if a.finding.problem == "oversize")
        await wait_until(lambda: any(f.oid == action.report.steps[0].oid for f in app.snapshot().fills), timeout=20)
        await _flushed(app)
        cut = [t for t in (await app.query_traces(TraceQuery(kind="recovery", symbol="BTC"))).traces
               if t.decision == "REDUCE"][-1]
        chain = await app.chain_of(cut.id)
        steps = _steps(chain)
        assert steps[:2] == [("recovery", "finding"), ("recovery", "REDUCE")], steps
        assert "oversize" in chain[0].reason and ("fill", None) in steps
        assert all(t.chain == chain[0].id for t in chain)


async def test_a_session_keeps_one_mid_sample_per_traded_symbol_per_second(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, symbols="BTC,ETH")) as app:
        engine = app.services.engine
        await wait_until(lambda: engine.ticks >= 1, timeout=20)
        start = engine.last_tick_ms
        await wait_until(lambda: engine.last_tick_ms >= start + 2500, timeout=20)       # ticks over 3+ seconds
        await app.services.store.flush()
        btc = await app.mids("BTC", 0, 2**62)
        assert len(btc) >= 2
        seconds = [t // 1000 for t, _ in btc]
        assert len(set(seconds)) == len(seconds) and all(t % 1000 == 0 for t, _ in btc)
        assert abs(btc[-1][1] - float(sim.mid("BTC"))) / btc[-1][1] < 0.05
        assert await app.mids("SOL", 0, 2**62) == []                    # not traded, held or ordered


async def test_a_position_and_its_stop_order_find_the_story_that_opened_them(tmp_path):
    async with App(fast_settings(tmp_path)) as app:
        engine = app.services.engine
        await wait_until(lambda: engine.stops.stops, timeout=30)
        symbol, stop = next(iter(engine.stops.stops.items()))
        await _flushed(app)
        by_order = await app.find_story("order", symbol, stop.oid)
        assert by_order is not None
        chain = await app.chain_of(by_order)
        assert any(t.decision == "stop_placed" and t.symbol == symbol for t in chain)
        by_position = await app.find_story("position", symbol)
        assert by_position is not None and any(t.kind == "fill" for t in await app.chain_of(by_position))
        assert await app.find_story("order", symbol, 999_999_999) is None
