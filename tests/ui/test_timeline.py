"""The Timeline dock: a symbol's price with the bot's decisions on it; a click selects a story."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPointF, Qt

from perps_desktop.app import TimelineData, TraceQuery
from perps_desktop.app.timeline import TimelineReader
from perps_desktop.core.models import Story, Trace
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.panels import TimelinePanel
from tests.helpers import wait_until
from tests.ui.test_window_on_simulator import running_app, venue

pytestmark = pytest.mark.slow


def _click_marker(qtbot, panel: TimelinePanel, trace_id: int) -> None:
    plot = panel.plot
    x, y = plot.marker_position(trace_id)
    scene = plot.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene))


async def test_clicking_a_fill_on_the_timeline_shows_its_story_from_the_signal(sim_server, make_window, qtbot):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        await wait_until(lambda: app.services.engine.stops.stops, timeout=30)     # a fill, and its stop
        await app.services.store.flush()
        fills = (await app.query_traces(TraceQuery(kind="fill", limit=50))).traces
        fill = [t for t in fills if (await app.chain_of(t.id))[0].kind == "signal"][-1]
        w.show_dock("timeline")
        panel: TimelinePanel = w.panels["timeline"]
        panel.symbol_combo.setCurrentText(fill.symbol)
        await wait_until(lambda: panel.data is not None and fill.id in {t.id for t in panel.data.traces}, timeout=20)
        assert len(panel.data.mids) >= 1 and panel.plot.markers == len(panel.data.traces)
        _click_marker(qtbot, panel, fill.id)
        await wait_until(lambda: fill.id in {t.id for t in panel.chain}, timeout=10)
        steps = [(t.kind, t.decision) for t in panel.chain]
        assert steps[:3] == [("signal", None), ("risk", steps[1][1]), ("order", "sent")], steps
        assert panel.plot.chain_ids == {t.id for t in panel.chain} & {t.id for t in panel.data.traces}
        model = panel.story_model
        assert model.rowCount() == len(panel.chain) and model.text(panel.chain[0].id, "kind") == "signal"
        assert model.text(panel.chain[1].id, "after").startswith("+")   # the time after the step before
        assert "story #" in panel.status.text()


async def test_show_story_on_a_fill_row_opens_the_timeline_on_its_chain(sim_server, make_window):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app)
        await wait_until(lambda: app.services.engine.stops.stops, timeout=30)
        await app.services.store.flush()
        f = next(f for f in app.snapshot().fills if not f.cloid or not f.cloid.startswith("0x73746f70"))
        fills = w.panels["fills"].table
        await wait_until(lambda: fills.button_for((f.tid, f.oid), "showStoryButton") is not None, timeout=10)
        button = fills.button_for((f.tid, f.oid), "showStoryButton")
        w.set_read_only(True)                                  # it only shows: watch mode and replay keep it
        assert button.isEnabled() and not button.property(ACTION_PROPERTY)
        w.set_read_only(False)
        button.click()
        panel: TimelinePanel = w.panels["timeline"]
        await wait_until(lambda: bool(panel.chain), timeout=10)
        assert panel.chain[0].kind == "signal" and any(t.kind == "fill" for t in panel.chain)
        assert panel.symbol == f.symbol and not panel.follow_check.isChecked()
        assert w.docks["timeline"].isVisible()
        await wait_until(lambda: panel.data is not None and panel.plot.chain_ids, timeout=10)


async def test_the_timeline_draws_ten_thousand_markers_and_highlights_one_story(tmp_path, qtbot):
    now = int(time.time() * 1000)
    async with TraceStore(TraceStoreConfig(path=tmp_path / "t.sqlite3", retention_delay_s=3600.0,
                                           batch_size=1000)) as store:
        story = Story()
        kinds = ("signal", "risk", "order", "fill")
        for i in range(10_000):
            store.record(Trace(kind=kinds[i % 4], time_ms=now - 3_600_000 + i * 300, symbol="BTC", side="B",
                               price=65_000.0 + (i % 50), decision="approve" if i % 4 == 1 else None,
                               reason=f"step {i}", story=story if i < 4 else None))
        store.record_mids([("BTC", (now - 3_600_000) // 1000 + s, 65_000.0 + s % 30) for s in range(3600)])
        await store.flush()
        data = await TimelineReader(store).load("BTC", now - 3_600_000, now + 1)
        chain = await store.chain_of(1)
    assert isinstance(data, TimelineData) and len(data.traces) == 10_000 and len(data.mids) >= 3599
    panel = TimelinePanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 500)
    panel.show()
    panel.symbol_combo.addItem("BTC")
    panel.set_timeline(data)
    assert panel.plot.markers == 10_000
    panel.set_chain(chain)
    assert [t.kind for t in chain] == ["signal", "risk", "order", "fill"] and panel.story_model.rowCount() == 4
    assert len(panel.plot.story_markers.data) == 4                     # the story's markers stand out
    assert panel.plot.all_markers.opacity() < 1                        # the rest dimmed
    panel.set_chain(())
    assert len(panel.plot.story_markers.data) == 0 and panel.plot.all_markers.opacity() == 1
    assert "step 1" in panel.plot.describe(1) and "story #1" in panel.plot.describe(1)
    panel.plot.grab()                                                  # it paints
