"""End to end on the simulator: every paper position rests a reduce-only stop-loss sized to it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.app import App
from perps_desktop.core.models import Alert, TraceQuery, TradingState
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position


def venue_positions(sim, address: str) -> dict[str, tuple[Decimal, Decimal]]:
    """{coin: (signed size, entry)} straight from the simulator's account."""
    acct = sim.venue.account(address.lower())
    return {} if acct is None else {c: (p.szi, p.entry_px) for c, p in acct.positions.items() if p.szi != 0}


def venue_stops(sim, address: str) -> dict[str, list]:
    """{coin: [resting stop-loss triggers]} straight from the simulator's account."""
    acct = sim.venue.account(address.lower())
    out: dict[str, list] = {}
    for o in (acct.open_orders.values() if acct is not None else ()):
        if o.trigger is not None and o.trigger.tpsl == "sl":
            out.setdefault(o.coin, []).append(o)
    return out


def protected(sim, address: str) -> bool:
    """Every position has exactly one stop: reduce-only, on the closing side, for its whole size."""
    positions, stops = venue_positions(sim, address), venue_stops(sim, address)
    if not positions or set(stops) != set(positions):
        return False
    for coin, (szi, _) in positions.items():
        (stop,) = stops[coin] if len(stops[coin]) == 1 else (None,)
        if stop is None or not stop.reduce_only or stop.is_buy != (szi < 0) or stop.sz != abs(szi):
            return False
    return True


async def test_a_paper_position_rests_a_stop_at_the_venue_and_is_never_called_unprotected(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim)) as app:              # the strategy opens the positions
        addr = app.identity.address
        unprotected: list[Alert] = []
        app.services.alerts.add_sink(lambda a: unprotected.append(a) if ":unprotected:" in a.key else None)
        await wait_until(lambda: len(venue_positions(sim, addr)) >= 2, timeout=30)
        app.set_trading_state(TradingState.HALTED, "test: hold the positions still")
        await wait_until(lambda: protected(sim, addr), timeout=15)
        for coin, (szi, entry) in venue_positions(sim, addr).items():
            (stop,) = venue_stops(sim, addr)[coin]
            assert stop.trigger.is_market and stop.cloid.startswith("0x73746f70")
            expected = float(entry) * (0.98 if szi > 0 else 1.02)        # STOP_LOSS_PCT 2 from the entry
            assert float(stop.trigger.px) == pytest.approx(expected, rel=2e-3)
        recovery = app.services.recovery
        seen = recovery.analyses
        await wait_until(lambda: recovery.analyses >= seen + 3, timeout=15)   # judged with the stops in place
        assert not unprotected, [a.message for a in unprotected]
        assert not [f for f in recovery.finding_log if f.problem == "unprotected"]
        assert not [f for f in app.snapshot().findings if f.problem == "unprotected"]
        coins = set(venue_positions(sim, addr))
        await wait_until(lambda: {o.symbol for o in app.snapshot().orders
                                  if o.trigger_px is not None and o.reduce_only} == coins, timeout=10)
        await wait_until(lambda: app.trace_counters().flushed == app.trace_counters().recorded, timeout=10)
        page = await app.query_traces(TraceQuery(kind="order", limit=200))
        placed = [t for t in page.traces if t.decision == "stop_placed"]
        assert {t.symbol for t in placed} >= coins and "stop-loss" in placed[0].reason
        full = await app.get_trace(placed[0].id)
        assert full is not None and full.payload["tpsl"] == "sl" and full.payload["reduce_only"] is True


async def test_the_stop_follows_the_position_and_goes_with_it(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        addr = app.identity.address
        await open_position(app, "BTC", 4000)                        # opened by hand: protected on the next tick
        await wait_until(lambda: protected(sim, addr), timeout=15)
        (first,) = venue_stops(sim, addr)["BTC"]
        assert (await app.reduce_position("BTC", 0.5)).ok
        await wait_until(lambda: protected(sim, addr) and venue_stops(sim, addr)["BTC"][0].oid != first.oid,
                         timeout=15)                                 # replaced by one of the new size
        await open_position(app, "ETH", 3000, buy=False)
        await wait_until(lambda: set(venue_stops(sim, addr)) == {"BTC", "ETH"} and protected(sim, addr), timeout=15)
        assert venue_stops(sim, addr)["ETH"][0].is_buy                 # a short's stop buys
        assert (await app.close_position("BTC")).ok
        await wait_until(lambda: set(venue_stops(sim, addr)) == {"ETH"}, timeout=15)
        report = await app.flatten_all()                              # its cancel-all takes the stop too
        assert report.ok, report
        assert any(s.what.startswith("cancel ETH") for s in report.steps)
        assert venue_positions(sim, addr) == {} and venue_stops(sim, addr) == {}
        ticks = app.services.engine.ticks
        await wait_until(lambda: app.services.engine.ticks >= ticks + 3, timeout=15)
        assert venue_stops(sim, addr) == {} and app.services.engine.stops.stops == {}
