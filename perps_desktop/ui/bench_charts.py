"""The Benchmarks dock's summary chart: every row's three ratios as bars in one unit, times (×).

Rows differ in unit (ms, µs, req/s, KiB) and by five orders of magnitude, so the chart never
plots raw values: per row it draws how many times faster than "before" the row is, how many
times its floor it costs, and how many times ahead of the best peer it is, each in its own
column against its own target line (log scale, 1× at the left edge of every column). A bar is in
the "ok" colour when it meets its target and the "miss" colour when not; its value is written at
its end. Colours are handed in by the panel, which reads them from the QSS. The axes label only
what fits (`bench_axis.LabelAxis`, the target first), and each column's title is the longest of
its wordings that fits the column's width, so nothing overlaps or is cut in a docked dock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from perps_desktop.bench import format_value
from perps_desktop.ui.bench_axis import LabelAxis, label_axis

__all__ = ["ChartColors", "RatioChart", "fit_title", "median_of", "style_plot", "times"]

_TITLE_PT = 9.0
_ROW_PX = 18           # the least height of a row: its name and its bar's value never overlap the next
_CHROME_PX = 70        # the column titles and the ratio axis
_LABEL_PX = 16         # room left of 1× for its label
_BARS_MIN_PX = 440     # the three columns' least width past the rows' names
_BAR_PX = 30           # the least room for a bar beside its value


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
    """A row without a before side (loop lag, throughput, memory): its value and its target,
    e.g. "10.5 ms (≤ 16)" (the target in the value's unit)."""
    unit = row.get("unit", "ms")
    target = ((row.get("target") or {}).get("summary") or "–").replace("<=", "≤").replace(">=", "≥")
    return f"{format_value(median_of(row, 'after_ms'), unit)} ({target.removesuffix(' ' + unit)})"


def style_plot(item: pg.PlotItem, title: str, colors: ChartColors) -> None:
    item.setTitle(title, size=f"{_TITLE_PT:g}pt", color=colors.foreground.name())
    for ax in ("left", "bottom"):
        axis = item.getAxis(ax)
        axis.setPen(pg.mkPen(colors.foreground))
        axis.setTextPen(pg.mkPen(colors.foreground))
    if item.legend is not None:
        item.legend.setLabelTextColor(colors.foreground)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Metric:
    key: str
    titles: tuple[str, ...]      # its wordings, longest first: the longest that fits is shown
    line: float | None           # a target shared by every row (drawn as a line), else per row
    ticks: tuple[float, ...]     # where the axis may be labelled, the most important first
    share: float                 # the column's share of the width the bars have (past the rows' names)


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
    (_Metric(key="speedup",
             titles=("Speed-up over before (×, | = target)", "Speed-up (×, | = target)", "Speed-up (| target)",
                     "Speed-up"),
             line=None, ticks=(1, 10, 100, 1000, 3, 30, 300, 0.5), share=0.36), _speedup),
    (_Metric(key="floor", titles=("Time ÷ floor (×, ≤ 1.6 wins)", "÷ floor (≤ 1.6 wins)", "÷ floor (≤ 1.6)", "÷ floor"),
             line=1.6, ticks=(1.6, 1, 0.5, 3, 10, 0.1, 5, 30, 0.02), share=0.32), _floor),
    (_Metric(key="peer", titles=("Lead over best peer (×, > 1 wins)", "Lead over peer (> 1 wins)", "Lead (> 1 wins)",
                                 "Lead"),
             line=1.0, ticks=(1, 2, 10, 0.5, 5, 30, 0.3), share=0.32), _peer),
)


def fit_title(plot: pg.PlotItem, titles: tuple[str, ...], colors: ChartColors) -> str:
    """Show the longest of `titles` (wordings of one title, longest first) that fits the plot's
    width now, else the shortest; the title never widens the plot. Returns the one shown."""
    label = plot.titleLabel
    font = QFont(label.item.font())
    font.setPointSizeF(_TITLE_PT)
    metrics = QFontMetricsF(font)
    room = plot.vb.width() - 12.0       # centred over the plot area: clear of the next column
    title = next((t for t in titles if metrics.horizontalAdvance(t) + 8.0 <= room), titles[-1])  # + its margins
    if label.text != title or not label.isVisible():
        style_plot(plot, title, colors)
    label.setMinimumWidth(0)
    return title


class _OnResize(QObject):
    """Calls back when the widget it filters is resized."""

    def __init__(self, callback: Any) -> None:
        super().__init__()
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._callback()
        return False


class RatioChart:
    """Three columns of horizontal bars, one bar per row and column, sharing the rows' axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # `view` is what the panel lays out: the chart scrolls in it when the dock is lower than
        # its rows need, instead of printing their names over each other
        self.view = QScrollArea(parent)
        self.view.setObjectName("benchBarScroll")
        self.view.setWidgetResizable(True)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setObjectName("benchBarChart")
        self.widget.setAccessibleName("Benchmark ratios: speed-up, distance to the floor, margin over peers")
        self.widget.setMinimumHeight(180)
        self.view.setWidget(self.widget)
        self.plots: dict[str, pg.PlotItem] = {}
        self._items: list[Any] = []
        self._values: dict[str, dict[str, float | None]] = {}
        self._tones: dict[str, dict[str, str]] = {}
        self._colors: ChartColors | None = None
        self._order: list[str] = []
        self._rows: dict[str, dict[str, Any]] = {}
        self._titles: dict[str, str] = {}
        self._spans: dict[str, tuple[float, float, list[tuple[float, float]]]] = {}
        self._needs: dict[str, float] = {}
        self._starts: dict[str, dict[str, float]] = {}     # metric -> row -> where its value's text starts (×)
        self._font = QFont()
        self._font.setPointSizeF(8.0)
        for i, (metric, _fn) in enumerate(METRICS):
            plot = self.widget.addPlot(row=0, col=i, axisItems={"bottom": LabelAxis("bottom"),
                                                                "left": LabelAxis("left")})
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
            plot.vb.sigResized.connect(lambda _vb, m=metric: self._resized(m))
        self._sharer = _OnResize(self._share_width)
        self.widget.installEventFilter(self._sharer)

    def restyle(self, colors: ChartColors) -> None:
        self._colors = colors
        self._titles = {}
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
        self._starts = {}
        self._spans = {}
        n = max(len(order), 1)
        for metric, fn in METRICS:
            plot = self.plots[metric.key]
            self._fit_title(metric)
            values: dict[str, float | None] = {}
            logs: list[float] = [0.0, math.log10(2.0)]
            texts: list[tuple[float, float]] = []
            for i, name in enumerate(order):
                row = rows.get(name) or {}
                if row.get("error"):
                    if metric.key == "speedup":
                        texts.append(self._text(plot, "ERROR", 0.0, i, colors.miss))
                    values[name] = None
                    continue
                value, target, ok = fn(row)
                values[name] = value
                if metric.key == "speedup" and row.get("ratio") is None and median_of(row, "after_ms") is not None:
                    texts.append(self._text(plot, _one_sided(row), 0.0, i, colors.foreground))   # no before side
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
                # right of the bar, of 1×, and of a target mark or line the bar falls short of: clear of both
                mark = metric.line if metric.line is not None else target
                start = max(x, 0.0, math.log10(mark) if mark is not None and mark > 0 else 0.0)
                texts.append(self._text(plot, text, start, i, colors.foreground))
                self._starts.setdefault(metric.key, {})[name] = 10.0 ** start
            if metric.line is not None:
                line = pg.InfiniteLine(pos=math.log10(metric.line), angle=90,
                                       pen=pg.mkPen(colors.foreground, width=1, style=Qt.PenStyle.DashLine))
                self._add(plot, line)
                logs.append(math.log10(metric.line))
            self._values[metric.key] = values
            self._spans[metric.key] = (min(min(logs), 0.0), max(logs), texts)
            self._needs[metric.key] = max((px for _x, px in texts), default=0.0) + _BAR_PX + _LABEL_PX
            self._fit_range(metric)
            label_axis(plot, "bottom").set_labels([(math.log10(t), f"{t:g}×") for t in metric.ticks])
        left = self.plots[METRICS[0][0].key]
        label_axis(left, "left").set_labels([(float(i), name) for i, name in enumerate(order)])
        left.setYRange(-0.6, n - 0.4, padding=0)
        names = max((QFontMetricsF(left.getAxis("left").font()).horizontalAdvance(name) for name in order),
                    default=0.0)
        left.getAxis("left").setWidth(int(names) + 14)        # the names' room, known before they are drawn
        self.widget.setMinimumHeight(len(order) * _ROW_PX + _CHROME_PX)
        self.view.setMinimumWidth(int(names) + _BARS_MIN_PX)
        self._share_width()

    def _fit_range(self, metric: _Metric) -> None:
        """The column's x range: every bar and target, and room right of each value for its text
        at the column's width in pixels now (again whenever the column is resized)."""
        lo, hi, texts = self._spans.get(metric.key, (0.0, 1.0, []))
        span = max(hi - lo, 0.5)
        left = min(lo, 0.0)
        lo, hi = left - 0.1 * span, hi + 0.1 * span
        width = self.plots[metric.key].vb.width()
        if width > 40:
            for _ in range(2):      # room for the 1× label left of the bars, and each value's text
                lo = min(lo, left - _LABEL_PX / width * (hi - lo))
                for x, text_px in texts:
                    room = width - text_px - 8.0
                    if room > 0.2 * width:                # else it cannot fit anyway: keep the bars
                        hi = max(hi, lo + (x - lo) * width / room)
        self.plots[metric.key].setXRange(lo, hi, padding=0)

    def _fit_title(self, metric: _Metric) -> None:
        plot = self.plots.get(metric.key)
        if plot is None or self._colors is None:
            return
        self._titles[metric.key] = fit_title(plot, metric.titles, self._colors)

    def _share_width(self) -> None:
        """Give each column the width its longest value needs, and the rest of the width past the
        rows' names by share (a layout's stretch would share the names' width too, leaving the
        last columns too narrow for their values)."""
        layout = self.widget.ci.layout
        first = self.plots[METRICS[0][0].key]
        names = first.getAxis("left").width()
        left, _top, right, _bottom = layout.getContentsMargins()
        room = self.widget.width() - names - left - right - layout.horizontalSpacing() * (len(METRICS) - 1) - 12
        needs = [self._needs.get(metric.key, 60.0) for metric, _fn in METRICS]
        extra = room - sum(needs)
        for i, (metric, _fn) in enumerate(METRICS):
            width = needs[i] + extra * metric.share if extra >= 0 else room * needs[i] / sum(needs)
            layout.setColumnFixedWidth(i, max(width, 40.0) + (names if i == 0 else 4.0))

    def _resized(self, metric: _Metric) -> None:
        self._fit_title(metric)
        self._fit_range(metric)

    def _add(self, plot: pg.PlotItem, item: Any) -> None:
        plot.addItem(item)
        self._items.append((plot, item))

    def _text(self, plot: pg.PlotItem, text: str, x: float, y: float, color: QColor) -> tuple[float, float]:
        """A value written from `x` rightwards on line `y`; returns (x, its width in pixels)."""
        label = pg.TextItem(text, color=color, anchor=(0.0, 0.5))
        label.setFont(self._font)
        label.setPos(x, y)
        self._add(plot, label)
        return x, QFontMetricsF(self._font).horizontalAdvance(text) + 4.0   # TextItem's own margin

    # --- reading (tests, accessibility) -----------------------------------------------------
    def value(self, metric: str, name: str) -> float | None:
        """The ratio drawn for `name` in column `metric` ("speedup", "floor", "peer"), or None."""
        return self._values.get(metric, {}).get(name)

    def tone(self, metric: str, name: str) -> str | None:
        """"ok" or "miss" for the bar drawn for `name` in column `metric`, None without a bar."""
        return self._tones.get(metric, {}).get(name)

    def text_start(self, metric: str, name: str) -> float | None:
        """Where (×) the value of `name`'s bar in column `metric` is written from, or None."""
        return self._starts.get(metric, {}).get(name)

    def titles(self) -> dict[str, str]:
        """Each column's title as drawn now ("speedup", "floor", "peer")."""
        return dict(self._titles)

    def axis_labels(self, metric: str, axis: str = "bottom") -> list[str]:
        """The labels of a column's axis drawn at the last paint, in axis order."""
        return list(label_axis(self.plots[metric], axis).shown)

    def labels(self) -> list[str]:
        """Every text drawn on the chart (bar values, ERROR marks), top row first per column."""
        return [item.toPlainText() for _plot, item in self._items if isinstance(item, pg.TextItem)]

    def names(self) -> list[str]:
        """Rows that have a result drawn now (bars, a value against its target, or an ERROR mark)."""
        return [n for n in self._order if n in self._rows
                and (self._rows[n].get("error") or median_of(self._rows[n], "after_ms") is not None)]
