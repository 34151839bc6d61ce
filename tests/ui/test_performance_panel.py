"""The performance dock's latency chart keeps a bounded legend as the busiest endpoints change."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer

from perps_desktop.core.models import TimingStats
from perps_desktop.ui.live_chart import fit_range
from perps_desktop.ui.panels.performance import _MAX_ENDPOINTS, PerformancePanel, explain_endpoint
from tests import stubs
from tests.helpers import wait_until


def _timings(*names: str) -> tuple[TimingStats, ...]:
    # the first name is the busiest
    return tuple(TimingStats(name=n, count=1000 - i, p50_ms=1.0 + i, p95_ms=2.0, p99_ms=3.0 + i, max_ms=9.0)
                 for i, n in enumerate(names))


def _legend_labels(panel: PerformancePanel) -> list[str]:
    return panel.charts["latency"].legend_names()


def test_the_latency_legend_stays_bounded_and_colours_stay_put(qtbot):
    panel = PerformancePanel(history_s=600.0)
    qtbot.addWidget(panel)
    chart = panel.charts["latency"]
    endpoints = [f"info:type{i}" for i in range(12)]
    panel.sample(stubs.snapshot(monitor=stubs.monitor(timings=_timings(*endpoints[:3]))), 1.0)
    colour_of_first = chart.curves[f"{endpoints[0]} p99"].opts["pen"].color().name()
    for step in range(1, 10):                     # the busiest set keeps changing: one new endpoint a step
        names = (endpoints[0], endpoints[step], endpoints[step + 1])
        panel.sample(stubs.snapshot(monitor=stubs.monitor(timings=_timings(*names))), 1.0 + step)
        assert len(chart.curves) <= 2 * _MAX_ENDPOINTS
        assert len(_legend_labels(panel)) <= _MAX_ENDPOINTS
        assert set(_legend_labels(panel)) == set(names)
    # the endpoint busy all along kept its curve, its points and its colour
    assert chart.points(f"{endpoints[0]} p99") == 10
    assert chart.curves[f"{endpoints[0]} p99"].opts["pen"].color().name() == colour_of_first
    colours = {chart.curves[f"{n} p99"].opts["pen"].color().name() for n in _legend_labels(panel)}
    assert len(colours) == _MAX_ENDPOINTS         # no two endpoints on the chart share a colour


async def test_charts_behind_another_tab_are_not_redrawn_until_raised(make_window):
    control = stubs.StubControl()
    w = make_window(control)
    perf = w.panels["performance"]
    perf.sample_s = 0.0
    w.show_dock("benchmarks")                 # tabbed with Performance: the charts go behind it
    await wait_until(lambda: perf.visibleRegion().isEmpty())
    lag = perf.charts["lag"].curves["p99"]

    def drawn() -> int:                        # the points the curve was last given
        xs = lag.xData
        return 0 if xs is None else len(xs)

    shown = drawn()
    for n in range(5):                         # new samples arrive
        control.set(time_ms=1_750_000_000_000 + n)
        w.render_snapshot()
    fired = [0]
    perf.findChild(QTimer, "performanceRedrawTimer").timeout.connect(lambda: fired.__setitem__(0, fired[0] + 1))
    await wait_until(lambda: fired[0] >= 5, timeout=10)   # the redraw slot has run since, and found nothing to do
    assert perf.charts["lag"].points("p99") >= shown + 5     # still sampled: the history has no gap
    assert drawn() == shown                                   # but nothing was drawn
    w.show_dock("performance")
    await wait_until(lambda: drawn() >= shown + 5, timeout=10)


def test_a_lone_spike_is_marked_off_scale_not_flattening_the_rest(qtbot):
    values = np.array([4.0, 5.0, 4.5, 6.0, 5.5, 4.8, 5.2, 3000.0, 5.1, 4.9, 5.0, 4.7])
    lo, hi, clipped = fit_range(values)
    assert clipped and lo == 0.0 and 6.0 <= hi < 20.0
    assert fit_range(np.array([4.0, 5.0, 6.0] * 5)) == (0.0, 6.6000000000000005, False)
    panel = PerformancePanel(history_s=120.0)
    qtbot.addWidget(panel)
    chart = panel.charts["lag"]
    for i, v in enumerate(values):
        chart.add("p99", 100.0 + i, float(v))
        chart.add("p50", 100.0 + i, 1.0)
    chart.redraw(100.0 + len(values))
    assert chart.peak == 3000.0
    assert chart.widget.getPlotItem().viewRange()[1][1] < 30       # the bulk fills the plot
    assert len(chart.spikes.data) == 1                              # the spike: one ▲ at the top edge
    assert "3,000" in chart.widget.toolTip() and "worst 1%" in chart.widget.toolTip()
    assert "peak 3,000 ms" in chart.widget.getPlotItem().titleLabel.text


def test_the_axes_say_their_units_and_the_legends_sit_outside_the_plot(qtbot):
    panel = PerformancePanel()
    qtbot.addWidget(panel)
    panel.sample(stubs.snapshot(monitor=stubs.monitor(timings=_timings("info:allMids", "engine.tick"))), 1.0)
    lag = panel.charts["lag"]
    assert lag.widget.getPlotItem().getAxis("bottom").labelText == "seconds before now (s)"
    assert lag.widget.getPlotItem().legend is None and "p99" in lag.legend_label.text()
    latency = panel.charts["latency"]
    assert "mid prices of every coin" in latency.widget.toolTip()
    assert explain_endpoint("engine.tick") == "time the trading engine spends on its tick step"
