"""LiveChart: one small pyqtgraph chart of named series over the last minutes, for the Performance dock.

What makes it readable: the time axis says its unit (seconds before now, now at 0); the y-range
is fitted to the bulk of the points, not to a lone spike — points above twice the 90th
percentile are drawn at the top edge as ▲ marks and the title and tooltip give the real peak;
the legend sits under the plot, not on the lines; and the tooltip says in words what each
series is. Each series is a bounded deque, so memory stops growing once the history is full.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from perps_desktop.core.percentile import percentile

__all__ = ["SPANS", "LiveChart", "fit_range"]

SPANS = (60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)    # the time axis widens in these steps (s)
_SPIKE_PCT = 90.0
_SPIKE_FACTOR = 2.0


def fit_range(values: np.ndarray) -> tuple[float, float, bool]:
    """(low, high, clipped) of a y-range that shows the bulk of `values`: a few points far above
    the rest (above twice their 90th percentile) are left off the scale."""
    if values.size == 0:
        return 0.0, 1.0, False
    lo = min(0.0, float(values.min()))
    top = float(values.max())
    if values.size >= 10:
        bulk = percentile(np.sort(values).tolist(), _SPIKE_PCT)
        limit = bulk * _SPIKE_FACTOR
        if bulk > 0 and top > limit:
            return lo, limit, True
    return lo, (top * 1.1 if top > 0 else 1.0), False


class LiveChart:
    """A PlotWidget with named curves, a legend line under it and a spike-proof y-range."""

    def __init__(self, title: str, unit: str, object_name: str, maxlen: int, history_s: float,
                 explain: str = "") -> None:
        self.widget = pg.PlotWidget()
        self.widget.setObjectName(object_name)
        self.widget.setAccessibleName(title)
        self.widget.setMenuEnabled(False)
        self.widget.hideButtons()
        self.widget.setMouseEnabled(x=False, y=False)
        self.widget.setMinimumHeight(64)
        item = self.widget.getPlotItem()
        item.setTitle(title)
        item.showGrid(x=True, y=True, alpha=0.12)
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.getAxis("left").setWidth(40)
        item.setLabel("bottom", "seconds before now (s)")
        # a stepped time axis (now at 0): it widens 1 -> 2 -> 5 minutes ... up to `history_s` as
        # points arrive and otherwise stays put, so its ticks are drawn rarely and cached
        self.history_s = history_s
        self.span = min(history_s, SPANS[0])
        item.setXRange(-self.span, 0, padding=0)
        item.enableAutoRange(axis="x", enable=False)
        item.enableAutoRange(axis="y", enable=False)
        self.spikes = pg.ScatterPlotItem(symbol="t1", size=9, pen=None)
        item.addItem(self.spikes)
        self.legend_label = QLabel()
        self.legend_label.setObjectName(f"{object_name}Legend")
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.legend_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend_label.setWordWrap(True)
        self.box = QWidget()
        lay = QVBoxLayout(self.box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.widget, 1)
        lay.addWidget(self.legend_label)
        self.title = title
        self.unit = unit
        self.explain = explain
        self.maxlen = maxlen
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.legend: dict[str, str] = {}            # curve name -> its legend text (curves without one are absent)
        self.data: dict[str, deque[float]] = {}
        self.times: dict[str, deque[float]] = {}
        self.peak: float | None = None              # the highest point left off the scale, if any
        self.clipped_above: float | None = None
        self.on_rescaled: Callable[[LiveChart], None] | None = None

    def curve(self, name: str, color: QColor, dashed: bool = False, legend: str | None = "") -> pg.PlotDataItem:
        """The curve `name`, made on first use; `legend` None keeps it out of the legend."""
        c = self.curves.get(name)
        if c is None:
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            c = self.widget.plot([], [], pen=pg.mkPen(color, width=1.6, style=style))
            c.dashed = dashed
            self.curves[name] = c
            if legend is not None:
                self.legend[name] = legend or name
            self.data[name] = deque(maxlen=self.maxlen)
            self.times[name] = deque(maxlen=self.maxlen)
        return c

    def drop(self, name: str) -> None:
        """Take the curve `name` (and its legend entry) off the chart, with its points."""
        c = self.curves.pop(name, None)
        if c is None:
            return
        self.legend.pop(name, None)
        self.widget.removeItem(c)
        del self.data[name], self.times[name]

    def legend_names(self) -> list[str]:
        return list(self.legend.values())

    def add(self, name: str, t: float, value: float) -> None:
        self.data[name].append(value)
        self.times[name].append(t)

    def redraw(self, now: float) -> None:
        oldest = min((t[0] for t in self.times.values() if t), default=now)
        span = next((x for x in SPANS if x >= now - oldest), self.history_s)
        span = min(self.history_s, span)
        item = self.widget.getPlotItem()
        if span != self.span:
            self.span = span
            item.setXRange(-span, 0, padding=0)
        series = []
        for name, c in self.curves.items():
            ys = self.data[name]
            if ys:
                xs = np.fromiter(self.times[name], dtype=float, count=len(ys)) - now
                yv = np.fromiter(ys, dtype=float, count=len(ys))
                c.setData(xs, yv)
                series.append((xs, yv))
        self._fit_y(series)

    def _fit_y(self, series: list[tuple[np.ndarray, np.ndarray]]) -> None:
        shown = [(xs[xs >= -self.span], ys[xs >= -self.span]) for xs, ys in series]
        values = np.concatenate([ys for _, ys in shown]) if shown else np.empty(0)
        lo, hi, clipped = fit_range(values)
        self.widget.getPlotItem().setYRange(lo, hi, padding=0.03)
        peak = float(values.max()) if clipped else None
        if clipped:
            xs = np.concatenate([x[y > hi] for x, y in shown])
            self.spikes.setData(xs, np.full(xs.size, hi))
        elif self.peak is not None:
            self.spikes.setData([], [])
        changed = (peak is None) != (self.peak is None) or (peak is not None and self.clipped_above != hi)
        self.peak, self.clipped_above = peak, (hi if clipped else None)
        if changed and self.on_rescaled is not None:
            self.on_rescaled(self)

    def points(self, name: str) -> int:
        return len(self.data.get(name, ()))
