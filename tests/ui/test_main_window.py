"""MainWindow over snapshots built in tests/stubs.py: rendering, names, read-only, confirmations."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import QAbstractButton, QDockWidget, QPushButton, QTableView

from perps_desktop.app import BreakerState, Severity, TradingState
from perps_desktop.ui import MainWindow
from perps_desktop.ui.confirm import ConfirmDialog
from perps_desktop.ui.names import ACTION_PROPERTY, DOCKS
from tests import stubs
from tests.helpers import wait_until

CONTRACT = ("positionsDock", "positionsTable", "breakersTable", "flattenAllButton", "closePositionButton",
            "resetBreakerButton", "benchmarksDock")


def busy_snapshot(version: int = 1, **kw):
    fields = {
        "positions": (stubs.position("BTC", 0.5, entry=65000, mark=65500), stubs.position("ETH", -2, entry=3400)),
        "orders": (stubs.order("BTC", 11),),
        "breakers": (stubs.breaker("info"), stubs.breaker("exchange", BreakerState.OPEN, consecutive_failures=5,
                                                           last_error="timeout")),
        "alerts": (stubs.alert(),),
        "caches": (stubs.cache_stats("mids"),),
    }
    fields.update(kw)
    return stubs.snapshot(version=version, **fields)


def dialog_of(w: MainWindow) -> ConfirmDialog | None:
    found = [d for d in w.findChildren(ConfirmDialog) if d.isVisible()]
    return found[0] if found else None


def test_contract_object_names_and_accessible_names(make_window):
    w = make_window(stubs.StubControl(busy_snapshot()))
    for name in CONTRACT:
        obj = w.findChild(QDockWidget, name) or w.findChild(QTableView, name) or w.findChild(QPushButton, name)
        assert obj is not None, name
        assert obj.accessibleName(), name
    for spec in DOCKS:
        assert w.findChild(QDockWidget, spec.object_name) is not None
    for t in w.findChildren(QTableView):
        assert t.objectName() and t.accessibleName(), t
    for b in w.findChildren(QAbstractButton):
        if b.property(ACTION_PROPERTY):
            assert b.objectName() and b.accessibleName(), b.text()
    close = w.panels["positions"].table.button_for("BTC", "closePositionButton")
    assert close is not None and close.accessibleName() == "Close BTC position"


def test_first_start_opens_at_laptop_size(make_window):
    w = make_window(stubs.StubControl())
    assert (w.width(), w.height()) == (1440, 900)


def test_snapshot_is_drawn_only_when_its_version_changes(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    renders, changed = w.renders, w.panels["positions"].model.cells_changed
    for _ in range(5):
        w.render_snapshot()
    assert w.renders == renders
    assert w.panels["positions"].model.cells_changed == changed
    btc, eth = control.snap.positions
    control.set(positions=(replace(btc, mark_px=Decimal(66000), unrealized_pnl=Decimal(500)), eth))
    w.render_snapshot()
    assert w.renders == renders + 1
    model = w.panels["positions"].model
    assert model.text("BTC", "mark") == "66,000"
    assert model.text("BTC", "upnl") == "+$500.00"
    # only BTC's mark-dependent cells changed: mark, uPnL, uPnL %, value, margin, liq distance
    assert model.cells_changed - changed <= 6


def test_pnl_and_breaker_state_carry_tones(make_window):
    w = make_window(stubs.StubControl(busy_snapshot()))
    pos = w.panels["positions"].model
    assert pos.tone("BTC", "upnl") == "pos"
    br = w.panels["breakers"]
    assert br.state_text("exchange") == "OPEN"
    assert br.model.tone("exchange", "state") == "crit-bg"
    assert br.model.tone("info", "state") == "ok-bg"


def test_breaker_countdown_moves_between_snapshots(make_window, qtbot):
    import time

    b = stubs.breaker("exchange", BreakerState.OPEN, next_retry_at=time.monotonic() + 30)
    w = make_window(stubs.StubControl(stubs.snapshot(breakers=(b,))))
    first = w.panels["breakers"].model.item_for("exchange").retry_in
    assert 0 < first <= 30

    def counted_down() -> bool:
        w.panels["breakers"].tick()
        return w.panels["breakers"].model.item_for("exchange").retry_in < first

    qtbot.waitUntil(counted_down, timeout=10_000)


def test_watch_mode_disables_every_action(make_window):
    w = make_window(stubs.StubControl(busy_snapshot(mode="watch", read_only=True)))
    acting = [b for b in w.findChildren(QAbstractButton) if b.property(ACTION_PROPERTY)]
    assert len(acting) >= 10            # per-row buttons, cancel all, state buttons, run now, flatten all
    assert not [b.objectName() for b in acting if b.isEnabled()]
    assert not [a.objectName() for a in w.actions_by_name.values() if a.property(ACTION_PROPERTY) and a.isEnabled()]
    assert w.status.access.text() == "READ-ONLY"


async def test_flatten_all_names_what_it_closes_and_acts_only_when_confirmed(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    w.panels["recovery"].flatten_button.click()
    await wait_until(lambda: dialog_of(w) is not None)
    d = dialog_of(w)
    assert any(i.startswith("BTC long 0.5") for i in d.items)
    assert any(i.startswith("ETH short 2") for i in d.items)
    assert any("#11" in i for i in d.items)
    d.reject()
    await wait_until(lambda: not w.controller.tasks)
    assert not [c for c in control.calls if c[0] == "flatten_all"]
    w.action("flattenAllAction").trigger()          # the shortcut's action: same confirmation
    await wait_until(lambda: dialog_of(w) is not None)
    dialog_of(w).confirm_button.click()
    await wait_until(lambda: ("flatten_all", ()) in control.calls)


async def test_paper_mode_closes_without_asking_live_mode_asks(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    w.panels["positions"].table.button_for("BTC", "closePositionButton").click()
    await wait_until(lambda: ("close_position", ("BTC",)) in control.calls)
    control.set(mode="live")
    w.render_snapshot()
    w.panels["positions"].table.button_for("ETH", "reducePositionButton").click()
    await wait_until(lambda: dialog_of(w) is not None)
    assert not [c for c in control.calls if c[0] == "reduce_position"]
    dialog_of(w).accept()
    await wait_until(lambda: ("reduce_position", ("ETH", 0.5)) in control.calls)


async def test_intents_reach_the_core(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    w.panels["breakers"].table.button_for("exchange", "resetBreakerButton").click()
    w.panels["risk"].state_buttons[TradingState.HALTED].click()
    w.panels["orders"].table.button_for(("BTC", 11), "cancelOrderButton").click()
    await wait_until(lambda: ("cancel_order", ("BTC", 11)) in control.calls)
    assert ("reset_breaker", ("exchange",)) in control.calls
    assert any(c[0] == "set_trading_state" and c[1][0] is TradingState.HALTED for c in control.calls)
    # the button shows the core's state, not the click
    assert w.panels["risk"].state_buttons[TradingState.ACTIVE].isChecked()


async def test_traces_are_read_a_page_at_a_time_with_details(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    panel = w.panels["traces"]
    await wait_until(lambda: panel.model.rowCount() == 100)
    assert all(c[1][0].limit == 100 for c in control.calls if c[0] == "query_traces")
    panel.next_button.click()
    await wait_until(lambda: panel.offset == 100 and panel.model.rowCount() == 100)
    assert panel.page_label.text() == "101–200 of 250"
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("order"))
    await wait_until(lambda: [c for c in control.calls if c[0] == "query_traces"][-1][1][0].kind == "order")
    await wait_until(lambda: panel.model.rowCount() > 0 and not panel.pending)
    panel.table.selectRow(0)
    await wait_until(lambda: '"mid": 65000' in panel.detail.toPlainText())


def test_new_critical_alert_notifies_once(make_window):
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)
    crit = stubs.alert("store.down", Severity.CRITICAL, message="trace store stopped")
    control.set(alerts=(crit, *control.snap.alerts))
    w.render_snapshot()
    control.set(alerts=(crit, *control.snap.alerts[1:]), time_ms=control.snap.time_ms + 1)
    w.render_snapshot()
    assert [a.key for a in w.notifications] == ["store.down"]
    w.panels["alerts"].set_min_severity(Severity.CRITICAL)
    assert w.panels["alerts"].model.rowCount() == 1


def test_themes_load_and_switch(make_window):
    w = make_window(stubs.StubControl())
    assert w.theme == "dark"
    w.action("lightThemeAction").trigger()
    assert w.theme == "light" and "light theme" in w.styleSheet()
    assert w.action("lightThemeAction").isChecked() and not w.action("darkThemeAction").isChecked()


def test_reset_layout_restores_docks_and_size(make_window):
    w = make_window(stubs.StubControl())
    w.docks["risk"].setFloating(True)
    w.docks["alerts"].hide()
    w.resize(800, 600)
    w.action("resetLayoutAction").trigger()
    assert not w.docks["risk"].isFloating()
    assert (w.width(), w.height()) == (1440, 900)
    assert not w.docks["alerts"].isHidden()


def test_a_panel_that_fails_to_draw_is_logged_once_and_keeps_saying_so(make_window, caplog):
    """A bug in one panel: one ERROR with its traceback (not one per frame), the other panels still
    draw, and the status bar says so on every failed frame rather than going quiet after a count."""
    control = stubs.StubControl(busy_snapshot())
    w = make_window(control)

    def broken(snap):
        raise ValueError("bad column")

    w.panels["risk"].set_snapshot = broken
    for _ in range(120):                # past 100 frames: the old code logged it again at the 100th
        control.set()
        w.render_snapshot()
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "risk panel" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "risk panel failed to draw: ValueError: bad column" in w.statusBar().currentMessage()
    assert w.version == 121 and w.render_errors == 120
