"""`gui --replay DB`: the window over a past session's traces; the slider moves the state in time."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from perps_desktop.app import ReplayControl
from perps_desktop.app.state_trace import STATE_STRATEGY, state_payload
from perps_desktop.core.models import Trace
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.ui.replay_bar import ReplayBar
from tests.helpers import wait_until

T0 = 1_790_000_000_000


async def _night(path) -> None:
    """A short session as the core would trace it: a flat state, a buy, a partial sell, prices."""
    async with TraceStore(TraceStoreConfig(path=path, retention_days=100_000, retention_delay_s=3600.0)) as store:
        store.record(Trace(kind="system", time_ms=T0, strategy=STATE_STRATEGY, decision="snapshot",
                           payload=state_payload([], [], None, as_of_ms=T0)))
        store.record(Trace(kind="fill", time_ms=T0 + 10_000, symbol="BTC", side="B", size=1.0, price=100.0,
                           payload={"oid": 1, "tid": 1, "venue_ms": T0 + 9_990}))
        store.record(Trace(kind="fill", time_ms=T0 + 20_000, symbol="BTC", side="A", size=0.4, price=110.0,
                           payload={"oid": 2, "tid": 2, "venue_ms": T0 + 19_990}))
        store.record(Trace(kind="system", time_ms=T0 + 30_000, strategy="app", reason="stopped"))
        store.record_mids([("BTC", T0 // 1000 + s, 100.0 + s) for s in range(31)])


async def test_the_replay_slider_moves_the_positions_through_the_night(tmp_path, make_window, qtbot):
    path = tmp_path / "night.sqlite3"
    await _night(path)
    async with ReplayControl(path) as replay:
        w = make_window(replay)
        bar = ReplayBar(replay.first_ms, replay.last_ms, w)
        bar.seek_requested.connect(replay.seek)
        w.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
        model = w.panels["positions"].model
        assert w.read_only and replay.last_ms == T0 + 30_000
        await wait_until(lambda: model.rowCount() == 1, timeout=10)      # the end: 0.6 BTC left
        assert model.item_for("BTC").p.size == Decimal("0.6")
        bar.seek(T0 + 15_000)
        await wait_until(lambda: model.rowCount() == 1 and model.item_for("BTC").p.size == Decimal("1"), timeout=10)
        assert model.item_for("BTC").p.mark_px == Decimal("115.0")       # the mid sampled at that second
        bar.seek(T0 + 5_000)
        await wait_until(lambda: model.rowCount() == 0, timeout=10)
        bar.speed_combo.setCurrentIndex(2)                              # 60x: 200 ms a tick is 12 s
        bar.play_button.setChecked(True)
        await wait_until(lambda: model.rowCount() == 1, timeout=10)
        await wait_until(lambda: not bar.play_button.isChecked(), timeout=10)   # it stops at the end
        assert bar.time_ms == replay.last_ms
        assert w.panels["positions"].table.button_for("BTC", "closePositionButton").isEnabled() is False
