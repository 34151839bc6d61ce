"""The Benchmarks dock's summary chart: every row's three ratios as bars in one unit, times (×).

Rows differ in unit (ms, µs, req/s, KiB) and by five orders of magnitude, so the chart never
plots raw values: per row it draws how many times faster than "before" the row is, how many
times its floor it costs, and how many times ahead of the best peer it is, each in its own
column against its own target line (log scale, 1× at the left edge of every column). A bar is in
the "ok" colour when it meets its target and the "miss" colour when not; its value is written at
its end. Colours are handed in by the panel, which reads them from the QSS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QWidget

from perps_desktop.bench import format_value

__all__ = ["ChartColors", "RatioChart", "median_of", "style_plot", "times"]



@dataclass(frozen=True, slots=True, kw_only=True)
class ChartColors:
    """The dock's chart colours (QSS `qproperty-*` on `QWidget#benchPanel`)."""

    background: QColor
    foreground: QColor
    before: QColor
    after: QColor
    floor: QColor
    miss: QColor
    peers: tuple[QColor, ...]


def median_of(row: dict[str, Any], side: str) -> float | None:
    """The median of `before_ms`/`after_ms`/`floor_ms` in a bench JSON row, or None."""
    stats = row.get(side)
    value = stats.get("median") if isinstance(stats, dict) else None
    return float(value) if isinstance(value, int | float) else None


def times(value: float | None) -> str:
    """A ratio as a trader reads it: 1.34×, 12.5×, 148×."""
    if value is None:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×" if value < 100 else f"{value:.0f}×"


def _short(peer: str) -> str:
    """A peer's name short enough to follow its bar: the official SDK is "SDK"."""
    return "SDK" if peer.endswith("-sdk") else peer


def _one_sided(row: dict[str, Any]) -> str:
    """A row without a before side (loop lag, throughput, memory): its value against its target."""
    target = (row.get("target") or {}).get("summary") or "–"
    return f"{format_value(median_of(row, 'after_ms'), row.get('unit', 'ms'))}, target {target}"


def style_plot(item: pg.PlotItem, title: str, colors: ChartColors) -> None:
    item.setTitle(title, size="9pt", color=colors.foreground.name())
    for ax in ("left", "bottom"):
        axis = item.getAxis(ax)
        axis.setPen(pg.mkPen(colors.foreground))
        axis.setTextPen(pg.mkPen(colors.foreground))
    if item.legend is not None:
        item.legend.setLabelTextColor(colors.foreground)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Metric:
    key: str
    title: str
    line: float | None           # a target shared by every row (drawn as a line), else per row
    ticks: tuple[float, ...]     # where the axis is labelled
    stretch: int                 # the column's share of the width


def _speedup(row: dict[str, Any]) -> tuple[float | None, float | None, bool | None]:
    target = (row.get("target") or {}).get("ratio")
    value = row.get("ratio")
    if value is not None and (row.get("target") or {}).get("higher_is_better"):
        value = 1.0 / value if value > 0 else None
    return value, target, None if target is None or value is None else value >= target


def _floor(row: dict[str, Any]) -> tuple[float | None, float | None, bool | None]:
    value, target = row.get("floor_ratio"), (row.get("target") or {}).get("floor_ratio")
    return value, target, None if target is None or value is None else value <= target


def _peer(row: dict[str, Any]) -> tuple[float | None, float | None, bool | None]:
    value = row.get("peer_margin")
    return value, 1.0, None if value is None else value > 1.0


METRICS = (
    (_Metric(key="speedup", title="Speed-up over before (×, | = target)", line=None,
             ticks=(0.5, 1, 3, 10, 30, 100, 1000), stretch=5), _speedup),
    (_Metric(key="floor", title="Time ÷ floor (×, ≤ 1.6 wins)", line=1.6, ticks=(0.5, 1, 1.6, 3, 5, 10, 30),
             stretch=3), _floor),
    (_Metric(key="peer", title="Lead over best peer (×, > 1 wins)", line=1.0, ticks=(0.3, 0.5, 1, 2, 5, 10, 30),
             stretch=3), _peer),
)


class RatioChart:
    """Three columns of horizontal bars, one bar per row and column, sharing the rows' axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = pg.GraphicsLayoutWidget(parent)
        self.widget.setObjectName("benchBarChart")
        self.widget.setAccessibleName("Benchmark ratios: speed-up, distance to the floor, margin over peers")
        self.widget.setMinimumHeight(180)
        self.plots: dict[str, pg.PlotItem] = {}
        for i, (metric, _fn) in enumerate(METRICS):
            plot = self.widget.addPlot(row=0, col=i)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.showGrid(x=True, y=False, alpha=0.10)
            plot.invertY(True)                        # the first row on top
            if i:
                plot.setYLink(self.plots[METRICS[0][0].key])
                plot.getAxis("left").setStyle(showValues=False)
                plot.getAxis("left").setWidth(4)
            self.plots[metric.key] = plot
            self.widget.ci.layout.setColumnStretchFactor(i, metric.stretch)
        self._items: list[Any] = []
        self._values: dict[str, dict[str, float | None]] = {}
        self._tones: dict[str, dict[str, str]] = {}
        self._colors: ChartColors | None = None
        self._order: list[str] = []
        self._rows: dict[str, dict[str, Any]] = {}

    def restyle(self, colors: ChartColors) -> None:
        self._colors = colors
        self.widget.setBackground(colors.background)
        self.set_rows(self._order, self._rows)

    def set_rows(self, order: list[str], rows: dict[str, dict[str, Any]]) -> None:
        """Draw a line per name in `order` (top to bottom); rows not yet measured stay empty."""
        self._order, self._rows = list(order), rows
        colors = self._colors
        if colors is None:
            return
        for plot, item in self._items:
            plot.removeItem(item)
        self._items = []
        self._values = {}
        self._tones = {}
        font = QFont()
        font.setPointSizeF(8.0)
        n = max(len(order), 1)
        for metric, fn in METRICS:
            plot = self.plots[metric.key]
            style_plot(plot, metric.title, colors)
            values: dict[str, float | None] = {}
            logs: list[float] = [0.0, math.log10(2.0)]
            for i, name in enumerate(order):
                row = rows.get(name) or {}
                if row.get("error"):
                    if metric.key == "speedup":
                        self._text(plot, "ERROR", 0.0, i, colors.miss, font)
                    values[name] = None
                    continue
                value, target, ok = fn(row)
                values[name] = value
                if metric.key == "speedup" and row.get("ratio") is None and median_of(row, "after_ms") is not None:
                    self._text(plot, _one_sided(row), 0.0, i, colors.foreground, font)   # no before side
                if target is not None and metric.line is None and target > 0:
                    mark = pg.ScatterPlotItem([math.log10(target)], [i], symbol="|", size=14,
                                              pen=pg.mkPen(colors.foreground, width=2))
                    self._add(plot, mark)
                    logs.append(math.log10(target))
                if value is None or value <= 0:
                    continue
                x = math.log10(value)
                logs.append(x)
                color = colors.after if ok is not False else colors.miss
                self._tones.setdefault(metric.key, {})[name] = "miss" if ok is False else "ok"
                bar = pg.BarGraphItem(x0=[0.0], x1=[x], y=[i], height=0.62, brush=pg.mkBrush(color),
                                      pen=pg.mkPen(color))
                self._add(plot, bar)
                text = times(value) + (f" vs {_short(row['best_peer'])}" if metric.key == "peer"
                                       and row.get("best_peer") else "")
                self._text(plot, text, max(x, 0.0), i, colors.foreground, font)   # right of the bar, or of 1×
            if metric.line is not None:
                line = pg.InfiniteLine(pos=math.log10(metric.line), angle=90,
                                       pen=pg.mkPen(colors.foreground, width=1, style=Qt.PenStyle.DashLine))
                self._add(plot, line)
            self._values[metric.key] = values
            lo, hi = min(min(logs), 0.0), max(logs)
            span = max(hi - lo, 0.5)
            lo, hi = lo - 0.1 * span, hi + (0.65 if metric.key == "peer" else 0.45) * span   # the 1× label, the value
            plot.setXRange(lo, hi, padding=0)
            plot.getAxis("bottom").setTicks([[(math.log10(t), f"{t:g}×") for t in metric.ticks
                                              if lo <= math.log10(t) <= hi]])
        left = self.plots[METRICS[0][0].key]
        left.getAxis("left").setTicks([[(float(i), name) for i, name in enumerate(order)]])
        left.setYRange(-0.6, n - 0.4, padding=0)

    def _add(self, plot: pg.PlotItem, item: Any) -> None:
        plot.addItem(item)
        self._items.append((plot, item))

    def _text(self, plot: pg.PlotItem, text: str, x: float, y: float, color: QColor, font: QFont) -> None:
        label = pg.TextItem(text, color=color, anchor=(0.0, 0.5))
        label.setFont(font)
        label.setPos(x, y)
        self._add(plot, label)

    # --- reading (tests, accessibility) -----------------------------------------------------
    def value(self, metric: str, name: str) -> float | None:
        """The ratio drawn for `name` in column `metric` ("speedup", "floor", "peer"), or None."""
        return self._values.get(metric, {}).get(name)

    def tone(self, metric: str, name: str) -> str | None:
        """"ok" or "miss" for the bar drawn for `name` in column `metric`, None without a bar."""
        return self._tones.get(metric, {}).get(name)

    def labels(self) -> list[str]:
        """Every text drawn on the chart (bar values, ERROR marks), top row first per column."""
        return [item.toPlainText() for _plot, item in self._items if isinstance(item, pg.TextItem)]

    def names(self) -> list[str]:
        """Rows that have a result drawn now (bars, a value against its target, or an ERROR mark)."""
        return [n for n in self._order if n in self._rows
                and (self._rows[n].get("error") or median_of(self._rows[n], "after_ms") is not None)]
