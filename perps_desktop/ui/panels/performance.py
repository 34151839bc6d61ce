"""PerformancePanel: live pyqtgraph charts of loop lag, request latency, traces/s and memory.

The panel samples the snapshot's monitor figures every `sample_s` into bounded deques (the last
`history_s`, so memory stops growing once they are full) and redraws the curves only when it is
visible. Chart colours come from the QSS through Qt properties (`qproperty-plotBackground` ...).
"""

from __future__ import annotations

from collections import deque

import pyqtgraph as pg
from PySide6.QtCore import Property, Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QGridLayout, QTabWidget, QWidget

from perps_desktop.app import CoreSnapshot, TimingStats
from perps_desktop.core.clock import monotonic
from perps_desktop.ui.format import fmt_count, fmt_ms
from perps_desktop.ui.live_chart import LiveChart
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column, on_screen

__all__ = ["PerformancePanel"]

pg.setConfigOptions(antialias=False, useOpenGL=False, background=None)

_MAX_ENDPOINTS = 3

_EXPLAIN = {
    "lag": ("How late the event loop the window shares with the core runs what is due. p99: the worst 1% of "
            "the last minute; p50: the typical delay. Above 16 ms the window stutters."),
    "latency": ("Round trip of each exchange request, for the three busiest endpoints: p99 (solid) is the worst "
                "1%, p50 (dashed) the typical one. info:* are reads, exchange:* orders and cancels."),
    "traces": "Decisions recorded to the trace store each second (signals, risk, orders, fills...).",
    "memory": "Resident memory of this process (the window and the core), in megabytes.",
}
_ENDPOINT_WORDS = {
    "info:allMids": "mid prices of every coin", "info:clearinghouseState": "the account: positions and margin",
    "info:frontendOpenOrders": "open orders with their triggers", "info:openOrders": "open orders",
    "info:userFills": "recent fills", "info:meta": "the coin list", "info:l2Book": "an order book",
    "exchange:order": "placing orders", "exchange:cancel": "cancelling orders",
}


def explain_endpoint(name: str) -> str:
    """What a timing's name means in words ("engine.tick" is not self-explanatory)."""
    if name in _ENDPOINT_WORDS:
        return _ENDPOINT_WORDS[name]
    head, _, rest = name.partition(".")
    if head == "engine":
        return f"time the trading engine spends on its {rest.replace('_', ' ')} step"
    kind, _, what = name.partition(":")
    return {"info": f"a read of {what}", "exchange": f"an {what} action", "ws": f"the {what} stream"}.get(
        kind, "an internal timing")


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
            "lag": LiveChart("Loop lag", "ms", "loopLagChart", n, history_s, _EXPLAIN["lag"]),
            "latency": LiveChart("Request latency", "ms", "latencyChart", n, history_s, _EXPLAIN["latency"]),
            "traces": LiveChart("Traces", "per s", "tracesRateChart", n, history_s, _EXPLAIN["traces"]),
            "memory": LiveChart("Memory (RSS)", "MB", "memoryChart", n, history_s, _EXPLAIN["memory"]),
        }
        for ch in self.charts.values():
            ch.on_rescaled = self._retitle
        self.charts["lag"].curve("p99", self._palette[1])
        self.charts["lag"].curve("p50", self._palette[0])
        self.charts["traces"].curve("recorded", self._palette[2])
        self.charts["memory"].curve("rss", self._palette[3])
        charts = QWidget(self)
        grid = QGridLayout(charts)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(6)
        for i, ch in enumerate(self.charts.values()):
            grid.addWidget(ch.box, i // 2, i % 2)
            for ax in ("bottom",):
                ch.widget.getPlotItem().getAxis(ax).setStyle(tickLength=-4)

        columns: tuple[Column[TimingStats], ...] = (
            Column(key="name", title="Endpoint", value=lambda t: t.name, width=190,
                   tooltip=lambda t: f"{t.name}: {explain_endpoint(t.name)}"),
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
        self._redraw_timer.setObjectName("performanceRedrawTimer")
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
            for ax in ("left", "bottom"):
                axis = item.getAxis(ax)
                axis.setPen(pg.mkPen(self._fg))
                axis.setTextPen(pg.mkPen(self._fg))
            for i, (name, c) in enumerate(ch.curves.items()):
                color = self._curve_color(ch, name, i)
                style = Qt.PenStyle.DashLine if getattr(c, "dashed", False) else Qt.PenStyle.SolidLine
                c.setPen(pg.mkPen(color, width=1.6, style=style))
            ch.spikes.setBrush(pg.mkBrush(self._palette[4 % len(self._palette)]))
            self._retitle(ch)

    def _retitle(self, ch: LiveChart) -> None:
        """Title (with the peak a spike took off the scale), legend line and tooltip of one chart."""
        fg = self._fg.name()
        title = f"<b>{ch.title}</b> <span style='color:{fg}'>({ch.unit})</span>"
        off = ""
        if ch.peak is not None and ch.clipped_above is not None:
            title += f" &nbsp; <span style='color:{self._palette[4].name()}'>▲ peak {ch.peak:,.4g} {ch.unit}</span>"
            off = (f"\n▲ marks points above {ch.clipped_above:,.4g} {ch.unit}, drawn at the top edge so one spike "
                   f"does not flatten the rest; the highest is {ch.peak:,.4g} {ch.unit}.")
        ch.widget.getPlotItem().setTitle(title, size="8pt", color=fg)
        entries = [f"<span style='color:{self._curve_color(ch, name, i).name()}'>■</span> {label}"
                   for i, (name, label) in enumerate((n, ch.legend[n]) for n in ch.curves if n in ch.legend)]
        if ch is self.charts["latency"] and entries:
            entries.append("━ p99 &nbsp;╌ p50")
        legend = f"<span style='color:{fg}; font-size:7pt'>{' &nbsp; '.join(entries)}</span>"
        if ch.legend_label.text() != legend:
            ch.legend_label.setText(legend)
        words = ch.explain
        if ch is self.charts["latency"]:
            words += "".join(f"\n• {n}: {explain_endpoint(n)}" for n in ch.legend.values())
        tip = words + off
        if ch.widget.toolTip() != tip:
            ch.widget.setToolTip(tip)
            ch.legend_label.setToolTip(tip)

    def _curve_color(self, ch: LiveChart, name: str, i: int) -> QColor:
        if ch is self.charts["latency"]:
            endpoint = name.rsplit(" ", 1)[0]
            return self._palette[self._endpoints.get(endpoint, i) % len(self._palette)]
        defaults = {"p50": 0, "p99": 1, "recorded": 2, "rss": 3}
        return self._palette[defaults.get(name, i) % len(self._palette)]

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        m = snap.monitor
        if m is not None:
            self.timings_model.set_rows(sorted(m.timings, key=lambda t: (not _is_request(t), -t.count)))
        now = monotonic()
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
            ch["latency"].explain = _EXPLAIN["latency"] if are_requests else "The busiest internal timings."
            self._restyle()
        legend = ch["latency"].legend_names()
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
        if ch["latency"].legend_names() != legend:
            self._retitle(ch["latency"])

    def _make_room(self, chart: LiveChart, busiest: list[str]) -> None:
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
