"""The Benchmarks dock's two pyqtgraph charts: before/after bars per row, and one row's history.

Rows span microseconds to hundreds of milliseconds, so the bars are drawn on a log10 scale
(ticks labelled in the rows' own units). Colours are handed in by the panel, which reads them
from the QSS; nothing here picks a colour of its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

__all__ = ["BarChart", "HistoryChart", "median_of", "short_label"]

_BAR_W = 0.38

# two short lines under each bar pair: eleven full row names do not fit under a dock-sized chart
_SHORT = {
    "trace_insert_100": "trace\ninsert", "trace_read_100": "trace\nread", "risk_signal_1000": "risk\nsignal",
    "portfolio_risk_1000": "portfolio\nrisk", "api_calls_10": "api\ncalls", "recovery_analysis_10x100": "recovery",
    "breaker_health_50": "breaker\nhealth", "order_sign": "order\nsign", "ui_loop_lag": "ui loop\nlag",
    "sim_throughput": "sim\nthroughput", "memory_bounded": "memory",
}


def short_label(name: str) -> str:
    return _SHORT.get(name) or name.replace("_", "\n", 1)


def _decade(k: int) -> str:
    """10**k as a short tick label: 1µ … 0.1, 1, 10, 100, 1k, 10k, 1M."""
    if k >= 6:
        return f"{10 ** (k - 6)}M"
    if k >= 3:
        return f"{10 ** (k - 3)}k"
    return f"{10.0 ** k:g}"


def median_of(row: dict[str, Any], side: str) -> float | None:
    """The median of `before_ms`/`after_ms` in a bench JSON row, or None."""
    stats = row.get(side)
    value = stats.get("median") if isinstance(stats, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _plot(title: str, object_name: str, accessible: str, parent: QWidget | None) -> pg.PlotWidget:
    w = pg.PlotWidget(parent)
    w.setObjectName(object_name)
    w.setAccessibleName(accessible)
    w.setMenuEnabled(False)
    w.hideButtons()
    w.setMouseEnabled(x=False, y=False)
    w.setMinimumHeight(140)
    item = w.getPlotItem()
    item.getAxis("bottom").setHeight(34)   # two-line row labels
    item.setTitle(title)
    item.showGrid(x=False, y=True, alpha=0.12)
    item.addLegend(offset=(6, 4), labelTextSize="8pt", verSpacing=-6)
    return w


def _style(w: pg.PlotWidget, title: str, bg: QColor, fg: QColor) -> None:
    w.setBackground(bg)
    item = w.getPlotItem()
    item.setTitle(title, size="9pt", color=fg.name())
    for ax in ("left", "bottom"):
        axis = item.getAxis(ax)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
    if item.legend is not None:
        item.legend.setLabelTextColor(fg)


class BarChart:
    """Before and after medians of every row, side by side, on a log scale."""

    TITLE = "Before / after (median, log scale)"

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot(self.TITLE, "benchBarChart", "Benchmark medians, before and after", parent)
        empty = np.zeros(0)
        self.before = pg.BarGraphItem(x=empty, y0=empty, y1=empty, width=_BAR_W, name="before")
        self.after = pg.BarGraphItem(x=empty, y0=empty, y1=empty, width=_BAR_W, name="after")
        self.widget.addItem(self.before)
        self.widget.addItem(self.after)
        self._drawn: list[str] = []

    def restyle(self, bg: QColor, fg: QColor, before: QColor, after: QColor) -> None:
        _style(self.widget, self.TITLE, bg, fg)
        self.before.setOpts(brush=pg.mkBrush(before), pen=pg.mkPen(before))
        self.after.setOpts(brush=pg.mkBrush(after), pen=pg.mkPen(after))

    def set_rows(self, order: list[str], rows: dict[str, dict[str, Any]]) -> None:
        """Draw a slot per name in `order`; rows not yet measured stay empty."""
        pts: dict[str, list[tuple[float, float]]] = {"before_ms": [], "after_ms": []}
        drawn: list[str] = []
        for i, name in enumerate(order):
            row = rows.get(name) or {}
            for side, dx in (("before_ms", -_BAR_W / 2), ("after_ms", _BAR_W / 2)):
                v = median_of(row, side)
                if v is not None and v > 0:
                    pts[side].append((i + dx, math.log10(v)))
                    if side == "after_ms":
                        drawn.append(name)
        logs = [y for side in pts.values() for _, y in side]
        lo = math.floor(min(logs)) - 0.5 if logs else -1.0
        hi = math.ceil(max(logs)) if logs else 2
        for item, side in ((self.before, "before_ms"), (self.after, "after_ms")):
            xs = np.array([x for x, _ in pts[side]], dtype=float)
            ys = np.array([y for _, y in pts[side]], dtype=float)
            item.setOpts(x=xs, y0=np.full(len(xs), lo), y1=ys, width=_BAR_W)
        plot = self.widget.getPlotItem()
        plot.getAxis("bottom").setTicks([[(float(i), short_label(n)) for i, n in enumerate(order)]])
        plot.getAxis("left").setTicks([[(float(k), _decade(k)) for k in range(math.ceil(lo), hi + 1)]])
        plot.setXRange(-0.6, max(len(order), 1) - 0.4, padding=0)
        plot.setYRange(lo, hi + 0.6, padding=0)   # headroom for the legend
        self._drawn = drawn

    def names(self) -> list[str]:
        """Rows that have an "after" bar on the chart now."""
        return list(self._drawn)


class HistoryChart:
    """One row's medians over the recorded runs (oldest left)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.widget = _plot("History", "benchHistoryChart", "Benchmark history of the selected row", parent)
        self.after = self.widget.plot([], [], name="after", symbol="o", symbolSize=5)
        self.before = self.widget.plot([], [], name="before", symbol="o", symbolSize=5)
        self.title = "History"
        self.row: str | None = None
        self._colors = (QColor("#888"), QColor("#888"), QColor("#888"))

    def restyle(self, bg: QColor, fg: QColor, before: QColor, after: QColor) -> None:
        self._colors = (fg, before, after)
        _style(self.widget, self.title, bg, fg)
        self.before.setPen(pg.mkPen(before, width=1.4, style=Qt.PenStyle.DashLine))
        self.before.setSymbolBrush(pg.mkBrush(before))
        self.before.setSymbolPen(pg.mkPen(before))
        self.after.setPen(pg.mkPen(after, width=1.6))
        self.after.setSymbolBrush(pg.mkBrush(after))
        self.after.setSymbolPen(pg.mkPen(after))

    def show_row(self, name: str | None, row: dict[str, Any] | None) -> None:
        """Plot `row["history"]` (points {"before", "after", ...}); None clears the chart."""
        self.row = name
        points = list((row or {}).get("history") or [])
        unit = (row or {}).get("unit", "ms")
        self.title = f"History: {name} ({unit}, {len(points)} runs)" if name else "History"
        self.widget.getPlotItem().setTitle(self.title, size="9pt", color=self._colors[0].name())
        xs = np.arange(len(points), dtype=float)
        for curve, key in ((self.after, "after"), (self.before, "before")):
            ys = [p.get(key) for p in points]
            if any(y is None for y in ys):
                curve.setData([], [])
            else:
                curve.setData(xs, np.array(ys, dtype=float))

    def points(self) -> int:
        data = self.after.getData()[0]
        return 0 if data is None else len(data)
