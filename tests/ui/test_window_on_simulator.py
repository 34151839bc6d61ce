"""The window over the real App in paper mode on the simulator: what it shows and what its buttons do.

Effects are checked through the simulator (the venue's own account), never through the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton

from perps_desktop.app import App, TradingState
from perps_desktop.config import Settings
from perps_desktop.ui import MainWindow
from perps_desktop.ui.confirm import ConfirmDialog
from perps_desktop.ui.format import fmt_px
from perps_desktop.ui.names import ACTION_PROPERTY
from tests.helpers import wait_until

pytestmark = pytest.mark.slow


def fast_settings(sim, **kw) -> Settings:
    """Paper mode on `sim`, trading every 100 ms on any move, breakers that retry quickly."""
    base = {"mode": "paper", "base_url": sim.url, "strategy_interval_ms": 100, "strategy_lookback": 2,
            "strategy_threshold_pct": 0.0, "api_max_retries": 0, "cb_failure_threshold": 3,
            "cb_base_backoff_ms": 300, "cb_max_backoff_ms": 1000, "health_check_interval_ms": 200}
    base.update(kw)
    return Settings(**base)


@contextlib.asynccontextmanager
async def venue(sim_server) -> AsyncIterator[Any]:
    """A simulator without an IP rate limit, closed inside the test (see `running_app`)."""
    sim = await sim_server(rate_limit_per_min=0)
    try:
        yield sim
    finally:
        await sim.aclose()


@contextlib.asynccontextmanager
async def running_app(sim: Any, **settings: Any) -> AsyncIterator[App]:
    """An App on `sim`, stopped inside the test body: not in fixture teardown, where pytest-qt's
    event processing would step its tasks after the loop has stopped."""
    app = App(fast_settings(sim, **settings))
    try:
        await app.start()
        yield app
    finally:
        await app.aclose()


def sim_positions(sim, address: str) -> dict[str, Decimal]:
    acct = sim.venue.account(address.lower())
    return {} if acct is None else {c: p.szi for c, p in acct.positions.items() if p.szi != 0}


def sim_open_orders(sim, address: str) -> int:
    acct = sim.venue.account(address.lower())
    return 0 if acct is None else len(acct.open_orders)


def visible_dialog(w: MainWindow) -> ConfirmDialog | None:
    found = [d for d in w.findChildren(ConfirmDialog) if d.isVisible()]
    return found[0] if found else None


async def test_positions_from_the_simulator_appear_in_the_table(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        address = app.identity.address
        await wait_until(lambda: len(sim_positions(sim, address)) >= 2, timeout=30)
        model = w.panels["positions"].model
        await wait_until(lambda: set(model.row_keys()) == set(sim_positions(sim, address)), timeout=10)
        for coin, szi in sim_positions(sim, address).items():
            assert model.text(coin, "side") == ("LONG" if szi > 0 else "SHORT")
        assert w.status.connection.text() == "● connected"
        assert w.status.access.text() == "TRADING"


async def test_the_performance_dock_shows_request_latency_by_endpoint(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        perf = w.panels["performance"]
        model, chart = perf.timings_model, perf.charts["latency"]
        wanted = {"info:allMids", "info:clearinghouseState", "exchange:order"}
        await wait_until(lambda: wanted <= set(model.row_keys()), timeout=30)
        keys = [str(k) for k in model.row_keys()]
        requests = [k.startswith(("info:", "exchange:")) for k in keys]
        assert requests == sorted(requests, reverse=True)          # the endpoints first, engine.* after
        assert model.item_for("info:allMids").count >= 1 and model.text("info:allMids", "p99")
        await wait_until(lambda: any(n.startswith("info:") for n in chart.curves), timeout=10)
        assert chart.title == "Request latency"
        assert all(n.startswith(("info:", "exchange:")) for n in chart.curves)   # no engine.* fallback


async def test_close_buttons_leave_the_simulator_flat(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        address = app.identity.address
        await wait_until(lambda: len(sim_positions(sim, address)) >= 2, timeout=30)
        w.panels["risk"].state_buttons[TradingState.REDUCING].click()       # nothing new opens meanwhile
        await wait_until(lambda: app.snapshot().risk.trading_state is TradingState.REDUCING)
        await wait_until(lambda: set(w.panels["positions"].model.row_keys()) == set(sim_positions(sim, address)))
        for coin in list(w.panels["positions"].model.row_keys()):
            button = w.panels["positions"].table.button_for(coin, "closePositionButton")
            assert button is not None and button.isEnabled()
            button.click()
        await wait_until(lambda: not sim_positions(sim, address), timeout=20)
        await wait_until(lambda: w.panels["positions"].model.rowCount() == 0)


async def test_flatten_all_confirmed_leaves_the_simulator_flat(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        address = app.identity.address
        await wait_until(lambda: len(sim_positions(sim, address)) >= 2, timeout=30)
        await wait_until(lambda: w.panels["positions"].model.rowCount() >= 2)
        w.panels["recovery"].flatten_button.click()
        await wait_until(lambda: visible_dialog(w) is not None)
        dialog = visible_dialog(w)
        shown = set(w.panels["positions"].model.row_keys())
        assert {item.split()[0] for item in dialog.items if not item.startswith("order")} == shown
        dialog.confirm_button.click()
        await wait_until(lambda: not sim_positions(sim, address) and sim_open_orders(sim, address) == 0, timeout=20)
        assert app.snapshot().risk.trading_state is not TradingState.ACTIVE    # flatten leaves trading reduced


async def test_a_sim_fault_turns_the_breaker_row_open_and_back(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        panel = w.panels["breakers"]
        await wait_until(lambda: panel.model.rowCount() > 0)

        def states() -> set[str]:
            return {panel.model.text(k, "state") for k in panel.model.row_keys()}

        async with aiohttp.ClientSession() as http:
            body = {"type": "fault", "kind": "error", "rate": 1.0, "durationS": 2.5, "target": "all"}
            async with http.post(sim.url + "/sim", json=body) as resp:
                assert resp.status == 200
        await wait_until(lambda: "OPEN" in states(), timeout=15)
        opened = [k for k in panel.model.row_keys() if panel.model.text(k, "state") == "OPEN"]
        assert panel.model.tone(opened[0], "state") == "crit-bg"
        await wait_until(lambda: states() == {"CLOSED"}, timeout=40)


async def test_watch_mode_has_every_action_disabled(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as trader:
        address = trader.identity.address            # watch the paper bot's account: it has positions
        await wait_until(lambda: len(sim_positions(sim, address)) >= 2, timeout=30)
        async with running_app(sim, mode="watch", address=address) as app:
            w = make_window(app)
            await wait_until(lambda: w.read_only and w.panels["positions"].model.rowCount() >= 2, timeout=15)
            acting = [b for b in w.findChildren(QAbstractButton) if b.property(ACTION_PROPERTY)]
            assert len(w.panels["positions"].table.action_buttons()) >= 4
            assert [b.objectName() for b in acting if b.isEnabled()] == []
            assert [a.objectName() for a in w.actions_by_name.values()
                    if a.property(ACTION_PROPERTY) and a.isEnabled()] == []
            assert w.status.access.text() == "READ-ONLY"
            w.controller.flatten_all()                  # refused below the buttons too
            await wait_until(lambda: not w.controller.tasks)
        assert sim_positions(sim, address)


async def test_a_restart_restores_a_moved_dock(sim_server, make_window, tmp_path):
    async with venue(sim_server) as sim, running_app(sim) as app:
        layout = tmp_path / "layout.ini"
        first = make_window(app, layout_path=layout)
        assert first.dockWidgetArea(first.docks["risk"]) != Qt.DockWidgetArea.LeftDockWidgetArea
        first.removeDockWidget(first.docks["risk"])
        first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["risk"])
        first.docks["risk"].show()
        first.resize(760, 700)                          # within the offscreen screen (800x800)
        first.close()                                   # saves the layout
        second = make_window(app, layout_path=layout)
        assert second.dockWidgetArea(second.docks["risk"]) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert (second.width(), second.height()) == (760, 700)


async def test_the_request_budget_shows_in_the_status_bar_and_the_caches_area(sim_server, make_window):
    # A strategy that never signals: a strategy order queued for the spent minute would go before the
    # read (its lane is more urgent) and the label would rightly say "order queued" instead.
    async with venue(sim_server) as sim, running_app(sim, strategy_threshold_pct=1_000.0) as app:
        w = make_window(app)
        label, detail = w.status.budget, w.panels["caches"].budget
        assert label.objectName() == "rateBudgetLabel" and detail.objectName() == "rateBudgetDetail"
        await wait_until(lambda: label.text().startswith("budget ") and label.text().endswith("/1,200 per min"))
        await wait_until(lambda: "IP budget" in detail.text() and "served by pushes" in detail.text(), timeout=15)
        client = app.services.client
        client.budget.charge(client.budget.limit)               # the minute is spent: a poll has to wait
        read = asyncio.ensure_future(client.user_fills(fresh=True))
        await wait_until(lambda: label.text().startswith("rate-limited: read queued"), timeout=10)
        assert label.property("level") == "crit" and "queued" in detail.text()
        if os.environ.get("PERPS_UI_SHOTS"):
            w.panels["caches"].resize(900, 260)
            w.panels["caches"].grab().save(os.path.join(os.environ["PERPS_UI_SHOTS"], "caches.png"))
            w.statusBar().grab().save(os.path.join(os.environ["PERPS_UI_SHOTS"], "status.png"))
        read.cancel()


async def test_the_bots_stops_read_as_the_venue_shows_them(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        orders, positions = w.panels["orders"].model, w.panels["positions"].model
        address = app.identity.address

        def stops_shown() -> bool:
            keys = orders.row_keys()
            return bool(keys) and all(orders.text(k, "type") == "Stop Market"
                                      and orders.text(k, "trigger")[:1] in "≤≥" for k in keys)
        await wait_until(lambda: sim_open_orders(sim, address) >= 1 and stops_shown(), timeout=30)
        for key in orders.row_keys():
            order = sim.venue.account(address.lower()).open_orders[key[1]]
            assert orders.text(key, "px") == "Market"                  # not the stop's slippage limit
            assert orders.text(key, "trigger").split()[1] == fmt_px(order.trigger.px)
            assert "reduce-only" in orders.text(key, "flags")
        await wait_until(lambda: any(positions.text(k, "tpsl").startswith("SL ") for k in positions.row_keys()))
