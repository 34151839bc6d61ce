"""End to end on the simulator: automatic recovery, restarts and outages."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.app import App, BreakerState
from perps_desktop.core.models import OrderResult, TraceQuery
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position, sim_positions


async def test_a_position_pushed_past_its_limit_is_reduced_automatically_and_the_trace_says_why(
        tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    settings = fast_settings(tmp_path, sim, symbols="BTC", strategy_threshold_pct=QUIET,
                             max_position_notional_usd=50_000)
    async with App(settings) as app:
        await app.wait_until_reconciled()
        addr = app.identity.address
        await open_position(app, "BTC", 30_000)                       # inside the limit
        size = (await sim_positions(sim.url, addr))["BTC"]
        mid = Decimal(sim.mid("BTC"))
        await sim.set_mid("BTC", mid * 2)                             # now ~$60k: over the $50k limit
        await wait_until(lambda: any(a.finding.problem == "oversize" for a in app.snapshot().recovery_history),
                         timeout=20)
        action = next(a for a in app.snapshot().recovery_history if a.finding.problem == "oversize")
        assert action.report.ok and action.finding.action == "REDUCE" and action.attempt == 1
        after = (await sim_positions(sim.url, addr))["BTC"]
        assert 0 < after < size                                       # reduced, not closed
        notional = float(after) * float(sim.mid("BTC"))
        assert notional <= 50_000
        await wait_until(lambda: app.trace_counters().flushed == app.trace_counters().recorded, timeout=10)
        page = await app.query_traces(TraceQuery(kind="recovery", symbol="BTC"))
        (trace,) = [t for t in page.traces if t.decision == "REDUCE"]
        assert "oversize" in trace.reason and "over the $50,000 limit" in trace.reason
        full = await app.get_trace(trace.id)
        assert full is not None and full.payload["cloid"].startswith("0x") and full.payload["ok"]
        assert any(a.key == "recovery:oversize:BTC" for a in app.snapshot().alerts)


async def test_a_restart_mid_session_reconciles_the_same_positions(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    key = "0x" + "4d" * 32
    async with App(fast_settings(tmp_path, sim), private_key=key) as first:   # the strategy trades
        addr = first.identity.address
        await open_position(first, "AVAX", 1500)                     # and one it does not own
        await wait_until(lambda: len(first.snapshot().fills) >= 3, timeout=30)
    at_stop = await sim_positions(sim.url, addr)
    assert len(at_stop) >= 2
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET), private_key=key) as second:
        await second.wait_until_reconciled()
        report = second.services.engine.reconciled
        assert {p.symbol: p.size for p in report.positions} == at_stop
        assert {p.symbol: p.size for p in second.snapshot().positions} == at_stop
        assert report.fills >= 3 and "reconciled" in report.message
        await wait_until(lambda: any(f.problem == "orphaned" and f.symbol == "AVAX"
                                     for f in second.snapshot().findings), timeout=10)


async def test_an_error_burst_opens_the_breaker_pauses_trading_and_it_resumes_after_the_fault(
        tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    settings = fast_settings(tmp_path, sim, api_max_retries=0, cb_failure_threshold=3, cb_base_backoff_ms=300,
                             cb_max_backoff_ms=1000)
    async with App(settings) as app:
        engine = app.services.engine
        sent_while_paused = []
        app.services.bus.subscribe("engine.orders", lambda topic, results: sent_while_paused.extend(
            r for r in results if engine.paused and isinstance(r, OrderResult)))
        await wait_until(lambda: engine.orders_sent >= 1, timeout=30)
        await sim.set_fault(kind="error", rate=1.0, duration_s=5.0, target="all")   # > the 2 s account cache

        def states() -> set[BreakerState]:      # reads come from the venue's pushes: the orders' breaker trips
            return {b.state for b in app.snapshot().breakers if b.name in ("exchange_info", "exchange_orders")}

        await wait_until(lambda: engine.paused and states() & {BreakerState.OPEN, BreakerState.HALF_OPEN},
                         timeout=15)
        assert app.snapshot().status_text.startswith(("paused: ", "PAUSED: "))
        await wait_until(lambda: not engine.paused and states() == {BreakerState.CLOSED}, timeout=30)
        resumed_at = engine.orders_sent
        await wait_until(lambda: engine.orders_sent > resumed_at, timeout=30)          # trading again
        assert sent_while_paused == []
        await wait_until(lambda: app.trace_counters().flushed == app.trace_counters().recorded, timeout=10)
        system = await app.query_traces(TraceQuery(kind="system", limit=50))
        reasons = [t.reason for t in system.traces]
        assert any(r.startswith("trading paused") for r in reasons)
        assert any(r.startswith("trading resumed") for r in reasons)
        breaker = await app.query_traces(TraceQuery(kind="breaker", limit=50))
        assert any(": CLOSED -> OPEN" in t.reason for t in breaker.traces)
