"""PerformancePanel: live pyqtgraph charts of loop lag, request latency, traces/s and memory.

The panel samples the snapshot's monitor figures every `sample_s` into bounded deques (the last
`history_s`, so memory stops growing once they are full) and redraws the curves only when it is
visible. Chart colours come from the QSS through Qt properties (`qproperty-plotBackground` ...).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Property, Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QGridLayout, QTabWidget, QWidget

from perps_desktop.app import CoreSnapshot, TimingStats
from perps_desktop.ui.format import fmt_count, fmt_ms
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column, on_screen

__all__ = ["PerformancePanel"]

pg.setConfigOptions(antialias=False, useOpenGL=False, background=None)

_MAX_ENDPOINTS = 3
_SPANS = (60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)   # the time axis widens in these steps (s)


_REQUEST_PREFIXES = ("api", "http", "request", "info", "exchange", "ws")


def _is_request(t: TimingStats) -> bool:
    """An exchange round trip ("info:allMids", "exchange:order"), by its name's prefix."""
    return t.name.split(".", 1)[0].split(":", 1)[0].lower() in _REQUEST_PREFIXES


def _busiest_requests(timings: tuple[TimingStats, ...]) -> tuple[list[TimingStats], bool]:
    """The busiest request timings (by name prefix), or the busiest of any kind when there are
    none; and whether they are requests."""
    used = sorted((t for t in timings if t.count), key=lambda t: -t.count)
    requests = [t for t in used if _is_request(t)]
    return (requests or used)[:_MAX_ENDPOINTS], bool(requests)


class _Chart:
    """One PlotWidget and its named curves (each backed by a bounded deque)."""

    def __init__(self, title: str, unit: str, object_name: str, maxlen: int, history_s: float,
                 legend: bool = False) -> None:
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
        item.getAxis("left").setWidth(34)
        # a stepped time axis (now at 0): it widens 1 -> 2 -> 5 minutes ... up to `history_s` as
        # points arrive and otherwise stays put, so its ticks are drawn rarely and cached
        self.history_s = history_s
        self.span = min(history_s, _SPANS[0])
        item.setXRange(-self.span, 0, padding=0)
        item.enableAutoRange(axis="x", enable=False)
        item.enableAutoRange(axis="y", enable=True)
        if legend:
            item.addLegend(offset=(-4, 2), labelTextSize="7pt", verSpacing=-8)
        self.title = title
        self.unit = unit
        self.maxlen = maxlen
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.data: dict[str, deque[float]] = {}
        self.times: dict[str, deque[float]] = {}

    def curve(self, name: str, color: QColor, dashed: bool = False, legend: str | None = "") -> pg.PlotDataItem:
        """The curve `name`, made on first use; `legend` None keeps it out of the legend."""
        c = self.curves.get(name)
        if c is None:
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            label = None if legend is None else (legend or name)
            c = self.widget.plot([], [], name=label, pen=pg.mkPen(color, width=1.6, style=style))
            c.dashed = dashed  # type: ignore[attr-defined]
            self.curves[name] = c
            self.data[name] = deque(maxlen=self.maxlen)
            self.times[name] = deque(maxlen=self.maxlen)
        return c

    def drop(self, name: str) -> None:
        """Take the curve `name` (and its legend entry) off the chart, with its points."""
        c = self.curves.pop(name, None)
        if c is None:
            return
        legend = self.widget.getPlotItem().legend
        if legend is not None:
            legend.removeItem(c)
        self.widget.removeItem(c)
        del self.data[name], self.times[name]

    def add(self, name: str, t: float, value: float) -> None:
        self.data[name].append(value)
        self.times[name].append(t)

    def redraw(self, now: float) -> None:
        oldest = min((t[0] for t in self.times.values() if t), default=now)
        span = next((x for x in _SPANS if x >= now - oldest), self.history_s)
        span = min(self.history_s, span)
        if span != self.span:
            self.span = span
            self.widget.getPlotItem().setXRange(-span, 0, padding=0)
        for name, c in self.curves.items():
            ys = self.data[name]
            if ys:
                xs = np.fromiter(self.times[name], dtype=float, count=len(ys)) - now
                c.setData(xs, np.fromiter(ys, dtype=float, count=len(ys)))

    def points(self, name: str) -> int:
        return len(self.data.get(name, ()))


class PerformancePanel(QWidget):
    """Four live charts and a table of request timings by endpoint."""

    def _get_bg(self) -> QColor:
        return self._bg

    def _set_bg(self, c: QColor) -> None:
        self._bg = QColor(c)
        self._restyle()

    def _get_fg(self) -> QColor:
        return self._fg

    def _set_fg(self, c: QColor) -> None:
        self._fg = QColor(c)
        self._restyle()

    def _get_palette(self) -> str:
        return ",".join(c.name() for c in self._palette)

    def _set_palette(self, text: str) -> None:
        colors = [QColor(t.strip()) for t in str(text).split(",") if t.strip()]
        if colors:
            self._palette = colors
            self._restyle()

    plotBackground = Property(QColor, _get_bg, _set_bg)
    plotForeground = Property(QColor, _get_fg, _set_fg)
    curvePalette = Property(str, _get_palette, _set_palette)

    def __init__(self, *, sample_s: float = 1.0, history_s: float = 300.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("performancePanel")
        self._bg = QColor("#0d1117")
        self._fg = QColor("#8b949e")
        self._palette = [QColor(c) for c in ("#58a6ff", "#f0883e", "#3fb950", "#d2a8ff", "#f85149", "#e3b341")]
        self.sample_s = sample_s
        self.history_s = history_s
        n = max(2, int(history_s / sample_s))
        self.charts = {
            "lag": _Chart("Loop lag", "ms", "loopLagChart", n, history_s),
            "latency": _Chart("Request latency", "ms", "latencyChart", n, history_s, legend=True),
            "traces": _Chart("Traces", "per s", "tracesRateChart", n, history_s),
            "memory": _Chart("Memory (RSS)", "MB", "memoryChart", n, history_s),
        }
        self.charts["lag"].curve("p99", self._palette[1])
        self.charts["lag"].curve("p50", self._palette[0])
        self.charts["traces"].curve("recorded", self._palette[2])
        self.charts["memory"].curve("rss", self._palette[3])
        charts = QWidget(self)
        grid = QGridLayout(charts)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(6)
        for i, ch in enumerate(self.charts.values()):
            grid.addWidget(ch.widget, i // 2, i % 2)
            for ax in ("bottom",):
                ch.widget.getPlotItem().getAxis(ax).setStyle(tickLength=-4)

        columns: tuple[Column[TimingStats], ...] = (
            Column(key="name", title="Endpoint", value=lambda t: t.name, width=190),
            Column(key="count", title="Count", value=lambda t: t.count, fmt=fmt_count, align="right", width=60),
            Column(key="p50", title="p50", value=lambda t: t.p50_ms, fmt=fmt_ms, align="right", width=64),
            Column(key="p99", title="p99", value=lambda t: t.p99_ms, fmt=fmt_ms, align="right", width=64,
                   tone=lambda t: "warn" if t.p99_ms > 250 else None),
            Column(key="max", title="Max", value=lambda t: t.max_ms, fmt=fmt_ms, align="right", width=64,
                   tone=lambda t: "muted"),
        )
        self.timings_model: SnapshotTableModel[TimingStats] = SnapshotTableModel(columns, key=lambda t: t.name,
                                                                                 parent=self)
        self.timings_table = DataTable(self.timings_model, object_name="latencyTable",
                                       accessible_name="Request latency by endpoint", parent=self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("performanceTabs")
        self.tabs.setTabPosition(QTabWidget.TabPosition.South)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(charts, "Charts")
        self.tabs.addTab(self.timings_table, "Latency by endpoint")
        flush_column(self, self.tabs)
        self._last_sample = 0.0
        self._endpoints: dict[str, int] = {}      # endpoint on the latency chart -> its palette slot
        self._dirty: deque[str] = deque()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(120)
        self._redraw_timer.timeout.connect(self._redraw_one)
        self._redraw_timer.start()
        self._restyle()

    def set_read_only(self, read_only: bool) -> None:
        pass

    def _restyle(self) -> None:
        if not hasattr(self, "charts"):
            return
        for ch in self.charts.values():
            ch.widget.setBackground(self._bg)
            item = ch.widget.getPlotItem()
            item.setTitle(self._title_html(ch), size="8pt", color=self._fg.name())
            for ax in ("left", "bottom"):
                axis = item.getAxis(ax)
                axis.setPen(pg.mkPen(self._fg))
                axis.setTextPen(pg.mkPen(self._fg))
            legend = item.legend
            if legend is not None:
                legend.setLabelTextColor(self._fg)
                shade = QColor(self._bg)
                shade.setAlpha(200)
                legend.setBrush(pg.mkBrush(shade))
            for i, (name, c) in enumerate(ch.curves.items()):
                color = self._curve_color(ch, name, i)
                style = Qt.PenStyle.DashLine if getattr(c, "dashed", False) else Qt.PenStyle.SolidLine
                c.setPen(pg.mkPen(color, width=1.6, style=style))

    def _title_html(self, ch: _Chart) -> str:
        """The title names the series in their colours (small charts have no room for a legend)."""
        parts = [f"<b>{ch.title}</b> <span style='color:{self._fg.name()}'>({ch.unit})</span>"]
        if ch is self.charts["latency"]:
            parts.append("p99 ━ p50 ╌")
        else:
            for i, name in enumerate(ch.curves):
                parts.append(f"<span style='color:{self._curve_color(ch, name, i).name()}'>■ {name}</span>")
        return " &nbsp; ".join(parts)

    def _curve_color(self, ch: _Chart, name: str, i: int) -> QColor:
        if ch is self.charts["latency"]:
            endpoint = name.rsplit(" ", 1)[0]
            return self._palette[self._endpoints.get(endpoint, i) % len(self._palette)]
        defaults = {"p50": 0, "p99": 1, "recorded": 2, "rss": 3}
        return self._palette[defaults.get(name, i) % len(self._palette)]

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        m = snap.monitor
        if m is not None:
            self.timings_model.set_rows(sorted(m.timings, key=lambda t: (not _is_request(t), -t.count)))
        now = time.monotonic()
        if now - self._last_sample < self.sample_s:
            return
        self._last_sample = now
        self.sample(snap, now)
        self._dirty.extend(k for k in self.charts if k not in self._dirty)

    def _redraw_one(self) -> None:
        """Redraw one chart that has new points: each paint pass then holds at most one chart
        (a chart repaint costs a few ms; four at once were a 20-40 ms stall of the loop). Nothing
        is drawn while the dock is behind another tab; its charts catch up when it is raised."""
        if not self._dirty or not on_screen(self):
            return
        self.charts[self._dirty.popleft()].redraw(self._last_sample)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._dirty.extend(k for k in self.charts if k not in self._dirty)

    def sample(self, snap: CoreSnapshot, now: float) -> None:
        """Append one point per series (public so the bench and tests can drive it)."""
        m = snap.monitor
        ch = self.charts
        ch["traces"].add("recorded", now, snap.traces.per_second)
        if m is None:
            return
        ch["lag"].add("p50", now, m.loop_lag_ms_p50)
        ch["lag"].add("p99", now, m.loop_lag_ms_p99)
        ch["memory"].add("rss", now, m.rss_bytes / 1e6)
        busiest, are_requests = _busiest_requests(m.timings)
        title = "Request latency" if are_requests else "Timings"
        if busiest and ch["latency"].title != title:
            ch["latency"].title = title
            self._restyle()
        self._make_room(ch["latency"], [t.name for t in busiest])
        for t in busiest:
            if t.name not in self._endpoints:
                taken = set(self._endpoints.values())
                self._endpoints[t.name] = next(i for i in range(len(taken) + 1) if i not in taken)
            color = self._palette[self._endpoints[t.name] % len(self._palette)]
            ch["latency"].curve(f"{t.name} p99", color, legend=t.name)
            ch["latency"].curve(f"{t.name} p50", color, dashed=True, legend=None)
            ch["latency"].add(f"{t.name} p99", now, t.p99_ms)
            ch["latency"].add(f"{t.name} p50", now, t.p50_ms)

    def _make_room(self, chart: _Chart, busiest: list[str]) -> None:
        """Keep the latency chart to _MAX_ENDPOINTS endpoints: when a new one becomes one of the
        busiest, the endpoint that left the busiest longest ago goes (its curves and legend entry),
        so the legend does not grow for as long as the window is open."""
        # least recently busy first: an endpoint moves to the end of the dict each time it is busy
        for name in busiest:
            if name in self._endpoints:
                self._endpoints[name] = self._endpoints.pop(name)
        new = [n for n in busiest if n not in self._endpoints]
        if not new:
            return
        idle = [n for n in self._endpoints if n not in busiest]
        while idle and len(self._endpoints) + len(new) > _MAX_ENDPOINTS:
            name = idle.pop(0)
            del self._endpoints[name]
            chart.drop(f"{name} p99")
            chart.drop(f"{name} p50")

    def points(self) -> dict[str, int]:
        """How many points each chart holds (tests check the charts move)."""
        return {k: max((c.points(n) for n in c.curves), default=0) for k, c in self.charts.items()}
