"""The Benchmarks dock's two time charts: the running row's samples live, and a row's history.

`LiveChart` is a strip chart: every timed sample of the row being measured arrives as a point
(one series per side: before, after, floor, each peer), in the row's own unit on a log axis, so
a trader sees the sides separate while the row runs. `HistoryChart` plots a row's after median
per recorded run against the date of the run, with the regression threshold (20% worse than the
run before, the line past which `bench` raises an alert) drawn as a dashed step line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from perps_desktop.bench import REGRESSION_THRESHOLD, format_value
from perps_desktop.ui.bench_axis import LabelAxis, label_axis
from perps_desktop.ui.bench_charts import ChartColors, fit_title, style_plot

__all__ = ["HistoryChart", "LiveChart", "unit_label"]

_UNITS = {"us": "µs"}


def _plot(object_name: str, accessible: str, parent: QWidget | None, *, dates: bool = False) -> pg.PlotWidget:
    axes = ({"bottom": pg.DateAxisItem(orientation="bottom")} if dates
            else {"bottom": LabelAxis("bottom"), "left": LabelAxis("left")})
    w = pg.PlotWidget(parent, axisItems=axes)
    w.setObjectName(object_name)
    w.setAccessibleName(accessible)
    w.setMenuEnabled(False)
    w.hideButtons()
    w.setMouseEnabled(x=False, y=False)
    w.setMinimumHeight(120)
    item = w.getPlotItem()
    item.showGrid(x=False, y=True, alpha=0.12)
    item.addLegend(offset=(-6, 4), labelTextSize="8pt", verSpacing=-6, colCount=5)
    return w


def _restyle(w: pg.PlotWidget, titles: tuple[str, ...], colors: ChartColors) -> None:
    w.setBackground(colors.background)
    style_plot(w.getPlotItem(), titles[0], colors)
    fit_title(w.getPlotItem(), titles, colors)
    legend = w.getPlotItem().legend
    if legend is not None:     # over the data: give it the plot's background, a little see-through
        fill = QColor(colors.background)
        fill.setAlpha(200)
        legend.setBrush(pg.mkBrush(fill))


def unit_label(unit: str) -> str:
    return _UNITS.get(unit, unit)


class LiveChart:
    """The samples of the row being measured, as they are taken, one series per side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot("benchLiveChart", "Samples of the running benchmark row, live", parent)
        self.widget.getPlotItem().setLabel("bottom", "sample #")
        self.row: str | None = None
        self.unit = "ms"
        self.samples: dict[str, list[float]] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._colors: ChartColors | None = None
        self.titles: tuple[str, ...] = ("Live samples: run a row to see them arrive", "Live samples")
        self.widget.getPlotItem().vb.sigResized.connect(lambda _vb: self._fit())

    def restyle(self, colors: ChartColors) -> None:
        self._colors = colors
        _restyle(self.widget, self.titles, colors)
        for side, curve in self._curves.items():
            self._pen(side, curve)

    def start_row(self, name: str, unit: str) -> None:
        """Clear the chart for row `name`, whose samples are in `unit`."""
        for curve in self._curves.values():
            self.widget.removeItem(curve)
        legend = self.widget.getPlotItem().legend
        if legend is not None:
            legend.clear()
        self._curves = {}
        self.samples = {}
        self.row, self.unit = name, unit
        self.titles = (f"Live: {name}, each sample as it is taken (log scale)", f"Live: {name} (log scale)",
                       f"Live: {name}")
        self._fit()

    def _fit(self) -> None:
        if self._colors is not None:
            fit_title(self.widget.getPlotItem(), self.titles, self._colors)

    def add_sample(self, side: str, value: float) -> None:
        if value <= 0:
            return
        values = self.samples.setdefault(side, [])
        values.append(value)
        curve = self._curves.get(side)
        if curve is None:
            curve = self._curves[side] = self.widget.plot([], [], name=side, symbol="o", symbolSize=5)
            self._pen(side, curve)
        curve.setData(np.arange(1, len(values) + 1, dtype=float), np.log10(np.array(values, dtype=float)))
        self._axes()

    def _axes(self) -> None:
        """A log scale labelled in the row's unit (1, 2, 5 per decade), with room above for the legend."""
        logs = [math.log10(v) for values in self.samples.values() for v in values]
        lo, hi = min(logs), max(logs)
        span = max(hi - lo, 0.3)
        lo, hi = lo - span * 0.08, hi + span * 0.35
        # 1, 2, 5 per decade (a narrow range gets finer steps), decades first: those that fit are shown
        steps = (1, 5, 2) if hi - lo > 1.0 else (1, 5, 2, 3, 1.5, 7)
        decades = range(math.floor(lo), math.ceil(hi) + 1)
        plot = self.widget.getPlotItem()
        label_axis(plot, "left").set_labels([(math.log10(m * 10.0 ** k), format_value(m * 10.0 ** k, self.unit))
                                        for m in steps for k in decades])
        plot.setYRange(lo, hi, padding=0)
        longest = max((len(v) for v in self.samples.values()), default=1)
        numbers = sorted(range(1, longest + 1), key=lambda i: (i not in (1, longest), i % 10 != 0, i % 5 != 0, i))
        label_axis(plot, "bottom").set_labels([(float(i), str(i)) for i in numbers])
        plot.setXRange(0.7, longest + 0.3, padding=0)

    def _pen(self, side: str, curve: pg.PlotDataItem) -> None:
        c = self._colors
        if c is None:
            return
        known = {"before": c.before, "after": c.after, "floor": c.floor}
        peers = [s for s in self._curves if s not in known]
        color = known.get(side) or c.peers[peers.index(side) % len(c.peers)]
        style = Qt.PenStyle.DashLine if side == "floor" else Qt.PenStyle.SolidLine
        curve.setPen(pg.mkPen(color, width=1.4, style=style))
        curve.setSymbolBrush(pg.mkBrush(color))
        curve.setSymbolPen(pg.mkPen(color))

    def count(self) -> int:
        return sum(len(v) for v in self.samples.values())


class HistoryChart:
    """One row's after median per recorded run, dated, with the regression threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot("benchHistoryChart", "Benchmark history of the selected row", parent, dates=True)
        legend = self.widget.getPlotItem().legend
        if legend is not None:    # the threshold runs above the points: the legend goes below them
            legend.anchor(itemPos=(1, 1), parentPos=(1, 1), offset=(-6, -4))
        self.after = self.widget.plot([], [], name="after (median)", symbol="o", symbolSize=6)
        self.threshold = self.widget.plot([], [], name="alert above")
        self.titles: tuple[str, ...] = ("History: select a row",)
        self.widget.getPlotItem().vb.sigResized.connect(lambda _vb: self._fit())
        self.row: str | None = None
        self._colors: ChartColors | None = None
        self._points: list[dict[str, Any]] = []

    def restyle(self, colors: ChartColors) -> None:
        self._colors = colors
        _restyle(self.widget, self.titles, colors)
        self.after.setPen(pg.mkPen(colors.after, width=1.6))
        self.after.setSymbolBrush(pg.mkBrush(colors.after))
        self.after.setSymbolPen(pg.mkPen(colors.after))
        self.threshold.setPen(pg.mkPen(colors.miss, width=1.2, style=Qt.PenStyle.DashLine))

    def show_row(self, name: str | None, row: dict[str, Any] | None) -> None:
        """Plot `row["history"]` (points {"time_ms", "after", ...}); None clears the chart."""
        self.row = name
        row = row or {}
        points = [p for p in row.get("history") or [] if p.get("after") is not None and p.get("time_ms")]
        self._points = points
        unit = unit_label(row.get("unit", "ms"))
        self.titles = ((f"History: {name}, after median per run ({unit})", f"History: {name} ({unit})",
                        f"History: {name}") if name else ("History: select a row",))
        self._fit()
        xs = np.array([p["time_ms"] / 1000.0 for p in points], dtype=float)
        ys = np.array([float(p["after"]) for p in points], dtype=float)
        self.after.setData(xs, ys)
        better_up = bool((row.get("target") or {}).get("higher_is_better"))
        factor = 1.0 / (1.0 + REGRESSION_THRESHOLD) if better_up else 1.0 + REGRESSION_THRESHOLD
        # a dash per run at the line it was held to (the run before it, 20% worse), and one past
        # the last run at the line the next run will be held to
        gap = float(np.min(np.diff(xs))) if len(xs) > 1 else 3600.0
        half = max(gap * 0.35, 60.0)
        centres = list(xs[1:]) + ([float(xs[-1]) + gap] if len(xs) else [])
        limits = list(ys * factor)
        seg_x = [v for c in centres for v in (c - half, c + half)]
        seg_y = [v for t in limits for v in (t, t)]
        self.threshold.setData(np.array(seg_x, dtype=float), np.array(seg_y, dtype=float), connect="pairs")
        plot = self.widget.getPlotItem()
        if len(points):
            span = max(float(xs[-1] - xs[0]), 3600.0)
            plot.setXRange(float(xs[0]) - span * 0.08, max(seg_x) + span * 0.05, padding=0)
            top = float(max(ys.max(), ys.max() * factor))
            plot.setYRange(0.0, top * 1.15, padding=0)

    def _fit(self) -> None:
        if self._colors is not None:
            fit_title(self.widget.getPlotItem(), self.titles, self._colors)

    def points(self) -> int:
        return len(self._points)
