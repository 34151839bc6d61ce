"""Which venue, which account: the mode badge, the status bar and every confirmation say so alike."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QLabel

from perps_desktop.app import ActionReport, TradingState
from perps_desktop.ui.confirm import ConfirmDialog
from perps_desktop.ui.controller import ActionController
from tests import stubs

SHORT = "0xab12…ab12"


@pytest.mark.parametrize(("mode", "network", "text", "state"), [
    ("paper", "testnet", "PAPER · simulator", "paper"),          # paper trades a simulator, whatever the network
    ("watch", "mainnet", "WATCH · mainnet", "watch"),
    ("live", "mainnet", "LIVE · mainnet", "live-mainnet"),
    ("live", "testnet", "LIVE · testnet", "live-testnet"),
])
def test_the_mode_badge_names_the_venue(make_window, mode, network, text, state):
    control = stubs.StubControl(stubs.snapshot(mode=mode, network=network, read_only=mode == "watch",
                                               base_url="http://127.0.0.1:8787"))
    w = make_window(control)
    assert w.summary.mode.text() == text and w.summary.mode.property("state") == state
    assert w.status.mode.text() == text and w.status.mode.property("state") == state
    assert text in w.windowTitle()
    assert "http://127.0.0.1:8787" in w.summary.mode.toolTip() and stubs.ADDRESS in w.summary.mode.toolTip()


@pytest.mark.parametrize(("state", "read_only", "text"), [
    (TradingState.ACTIVE, False, "TRADING"),
    (TradingState.REDUCING, False, "REDUCING ONLY"),
    (TradingState.HALTED, False, "HALTED"),
    (TradingState.ACTIVE, True, "READ-ONLY"),
])
def test_the_trading_badge_and_the_status_bar_never_disagree(make_window, state, read_only, text):
    control = stubs.StubControl(stubs.snapshot(risk=stubs.risk(trading_state=state), read_only=read_only))
    w = make_window(control)
    assert w.summary.state.text() == w.status.access.text() == text
    assert w.summary.state.property("state") == w.status.access.property("state")


async def test_every_confirmation_names_the_network_and_the_shortened_account(qtbot):
    asked: list[dict] = []

    async def refuse(**kw) -> bool:
        asked.append(kw)
        return False

    live = stubs.StubControl(stubs.snapshot(mode="live", network="mainnet",
                                            positions=(stubs.position("BTC", 0.5),)))
    c = ActionController(live, confirmer=refuse)
    for start in (lambda: c.close_position("BTC"), lambda: c.reduce_position("BTC", 0.5),   # one at a time: a
                  lambda: c.cancel_order("BTC", 7), c.cancel_all, c.flatten_all, c.run_recovery):  # row acts once
        await start()
    assert len(asked) == 6
    assert all(kw["venue"] == f"LIVE · mainnet · account {SHORT}" for kw in asked), [kw["venue"] for kw in asked]
    assert all(kw["venue_state"] == "live-mainnet" for kw in asked)
    assert live.calls == []                             # refused: nothing sent

    paper = stubs.StubControl(stubs.snapshot(mode="paper", network="testnet"))
    asked.clear()
    await ActionController(paper, confirmer=refuse).flatten_all()        # paper asks for flatten all only
    assert [kw["venue"] for kw in asked] == [f"PAPER · simulator · account {SHORT}"]


def test_the_dialog_shows_the_venue_above_everything(qtbot):
    d = ConfirmDialog(None, title="Close BTC?", text="…", venue=f"LIVE · mainnet · account {SHORT}",
                      venue_state="live-mainnet")
    qtbot.addWidget(d)
    label = d.findChild(QLabel, "confirmVenue")
    assert label is not None and label.text() == f"LIVE · mainnet · account {SHORT}"
    assert label.property("state") == "live-mainnet"


def test_the_status_bar_only_points_to_the_actions_log(make_window):
    w = make_window(stubs.StubControl())
    failed = ActionReport(action="close", ok=False, time_ms=1, steps=())
    w.controller.action_finished.emit("Close BTC", failed)
    assert w.statusBar().currentMessage() == "Close BTC: failed — details in Actions (Ctrl+Shift+A)"
    w.controller.action_finished.emit("Close BTC", ActionReport(action="close", ok=True, time_ms=1))
    assert w.statusBar().currentMessage() == "Close BTC: done — details in Actions (Ctrl+Shift+A)"
    w.controller.action_failed.emit("Close BTC", "TransportError: info timed out after 10 s and more words")
    assert w.statusBar().currentMessage() == "Close BTC: not done — details in Actions (Ctrl+Shift+A)"
    w.controller.action_failed.emit("Close BTC", "cancelled")
    assert w.statusBar().currentMessage() == "Close BTC: cancelled, nothing sent"
    assert "actions" in w.docks


def test_numbers_never_read_from_the_venue_show_as_unknown_not_zero(make_window):
    """A venue dark since the start: no account was ever read, so the summary says "–", not $0.00
    (before: the risk manager's empty portfolio showed as equity $0.00, exposure $0)."""
    from perps_desktop.core.freshness import FreshnessSnapshot

    now = stubs.now_ms()
    dark = FreshnessSnapshot(time_ms=now, rest_ok=False, silent_since_ms=now - 9_000, data_age_s=9.0)
    control = stubs.StubControl(stubs.snapshot(account=None, risk=stubs.risk(equity=0.0, exposure=0.0),
                                               freshness=dark, connected=False))
    w = make_window(control)
    shown = {key: stat.value.text() for key, stat in w.summary.stats.items()}
    assert set(shown.values()) == {"–"}, shown
    read = dataclasses.replace(dark, as_of_ms={"account": now})
    control.set(account=stubs.account(), freshness=read)
    w.render_snapshot()
    assert w.summary.stats["equity"].value.text() == "$100,000.00"
