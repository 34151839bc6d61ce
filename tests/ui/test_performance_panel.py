"""The performance dock's latency chart keeps a bounded legend as the busiest endpoints change."""

from __future__ import annotations

from perps_desktop.core.models import TimingStats
from perps_desktop.ui.panels.performance import _MAX_ENDPOINTS, PerformancePanel
from tests import stubs
from tests.helpers import wait_until


def _timings(*names: str) -> tuple[TimingStats, ...]:
    # the first name is the busiest
    return tuple(TimingStats(name=n, count=1000 - i, p50_ms=1.0 + i, p95_ms=2.0, p99_ms=3.0 + i, max_ms=9.0)
                 for i, n in enumerate(names))


def _legend_labels(panel: PerformancePanel) -> list[str]:
    legend = panel.charts["latency"].widget.getPlotItem().legend
    return [label.text for _sample, label in legend.items]


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
    for n in range(5):                         # new samples arrive; the redraw timer's slot finds nothing to do
        control.set(time_ms=1_750_000_000_000 + n)
        w.render()
        perf._redraw_one()
    assert perf.charts["lag"].points("p99") >= shown + 5     # still sampled: the history has no gap
    assert drawn() == shown                                   # but nothing was drawn
    w.show_dock("performance")
    await wait_until(lambda: drawn() >= shown + 5, timeout=10)
