"""Exactly once, and honest: a double click reduces once; every action is a line in the Actions dock;
a venue gone dark shows the STALE banner; a breaker forced open refuses the trader's orders too.

On the real App in paper mode on the simulator; effects are read from the simulator's own account.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.app import BreakerState
from tests.helpers import wait_until
from tests.ui.test_window_on_simulator import running_app, sim_positions, venue

pytestmark = pytest.mark.slow

QUIET = {"strategy_threshold_pct": 1000.0, "symbols": "BTC"}


async def _open_btc(app, usd: float = 3_000.0) -> None:
    from tests.integration.engine_support import open_position
    await open_position(app, "BTC", usd)


async def test_a_double_click_on_reduce_reduces_once_and_both_clicks_are_in_the_actions_dock(
        sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim, **QUIET) as app:
        w = make_window(app)
        address = app.identity.address
        await _open_btc(app)
        before = sim_positions(sim, address)["BTC"]
        table = w.panels["positions"].table
        await wait_until(lambda: table.button_for("BTC", "reducePositionButton") is not None, timeout=20)
        await sim.set_fault(kind="latency", latency_ms=600, target="exchange")    # the order takes a while
        w.controller.reduce_position("BTC", 0.5)
        w.controller.reduce_position("BTC", 0.5)            # the second click, while the first is in flight
        assert table.is_busy("BTC")
        button = table.button_for("BTC", "reducePositionButton")
        assert button is not None and not button.isEnabled() and button.text() == "…"
        await wait_until(lambda: not w.controller.busy, timeout=30)
        await sim.set_fault(kind="none")
        after = sim_positions(sim, address)["BTC"]
        assert abs(after - before / 2) <= Decimal("0.0001"), (before, after)      # 50%, not 75%
        await wait_until(lambda: table.button_for("BTC", "reducePositionButton").isEnabled(), timeout=10)
        model = w.panels["actions"].model
        await wait_until(lambda: len(app.snapshot().actions) >= 2 and model.rowCount() >= 2, timeout=10)
        outcomes = [(r.what, r.outcome) for r in app.snapshot().actions]
        assert ("Reduce BTC 50%", "refused") in outcomes
        assert sum(what.startswith("reduce BTC 50%") and out == "done" for what, out in outcomes) == 1
        assert w.findChild(type(w.docks["actions"]), "actionsDock") is not None
        assert w.panels["actions"].table.objectName() == "actionsTable"


async def test_a_breaker_forced_open_refuses_a_manual_close_and_the_badge_says_paused(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim, **QUIET) as app:
        w = make_window(app)
        address = app.identity.address
        await _open_btc(app)
        app.force_open_breaker("exchange_orders")
        report = await app.close_position("BTC")
        assert not report.ok and "forced open" in report.message
        assert "BTC" in sim_positions(sim, address)                         # nothing was sent
        assert app.snapshot().actions[0].outcome == "refused"
        await wait_until(lambda: w.summary.state.text() == "PAUSED: exchange_orders forced-open", timeout=10)
        app.reset_breaker("exchange_orders")
        assert next(b for b in app.snapshot().breakers if b.name == "exchange_orders").state is BreakerState.CLOSED


async def test_a_dark_venue_shows_the_stale_banner_and_greys_the_numbers(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim, stale_after_ms=1500, **QUIET) as app:
        w = make_window(app)
        await app.wait_until_reconciled()
        await wait_until(lambda: app.snapshot().connected, timeout=20)
        assert w.stale_banner.isHidden()
        await sim.set_fault(kind="error", target="all")
        await wait_until(lambda: w.stale_banner.isVisible(), timeout=30)
        # the stream is cut at once ("the stream is down"); REST is judged dark after its first failures
        await wait_until(lambda: "venue unreachable" in w.stale_banner.label.text(), timeout=30)
        text = w.stale_banner.label.text()
        assert text.startswith("STALE — data as of ") and "venue unreachable" in text, text
        assert w.panels["positions"].table.stale and w.summary.property("stale") is True
        assert "venue unreachable" in w.status.connection.text()
        await sim.set_fault(kind="none")
        await wait_until(lambda: w.stale_banner.isHidden(), timeout=40)
        assert not w.panels["positions"].table.stale


async def test_back_to_active_from_halted_asks_first_in_live_mode_only(qtbot):
    from perps_desktop.app import TradingState
    from perps_desktop.ui.controller import ActionController
    from tests import stubs

    asked: list[dict] = []

    async def answer(**kw) -> bool:
        asked.append(kw)
        return len(asked) > 1                       # refuse the first time, confirm the second

    halted = stubs.risk(trading_state=TradingState.HALTED)
    live = stubs.StubControl(stubs.snapshot(mode="live", risk=halted))
    c = ActionController(live, confirmer=answer)
    await c.set_trading_state(TradingState.ACTIVE, "by hand")
    assert len(asked) == 1 and live.calls == []     # refused: still halted
    await c.set_trading_state(TradingState.ACTIVE, "by hand")
    assert live.calls == [("set_trading_state", (TradingState.ACTIVE, "by hand"))]
    assert "HALTED" in asked[0]["text"]
    paper = stubs.StubControl(stubs.snapshot(mode="paper", risk=halted))
    assert ActionController(paper, confirmer=answer).set_trading_state(TradingState.ACTIVE, "by hand") is None
    assert paper.calls == [("set_trading_state", (TradingState.ACTIVE, "by hand"))] and len(asked) == 2
