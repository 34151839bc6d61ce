"""TimelinePlot: one symbol's mid price over time with a marker per decision the bot made.

Markers (one `ScatterPlotItem`, so 10,000 of them are one item to draw): signals, risk decisions
(approve / reduce / reject in their colours), orders, fills (buy / sell), stop placements and
triggers, recovery actions, manual actions and breaker transitions. A marker sits at its trace's
price when that price is where it happened (a signal's, a fill's) and on the mid curve
otherwise (orders, stops: their levels are in the tooltip). Time pans and zooms with the mouse
(x only); hovering a marker says what happened; clicking one emits `marker_clicked(trace id)`.
`select_chain` highlights one story's markers, dims the rest and joins the story's steps with a
line. Colours come from the panel's QSS properties (`set_colors`); the plot holds none of its
own beyond the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from perps_desktop.app import TimelineData, Trace
from perps_desktop.ui.format import fmt_time
from perps_desktop.ui.timeline_arrays import SlidingColumns

__all__ = ["CATEGORIES", "DEFAULT_COLORS", "TimelinePlot", "category"]

#: marker categories, in the order of the panel's `markerPalette` property
CATEGORIES = ("signal", "approve", "reduce", "reject", "order", "buy", "sell", "stop", "trigger", "recovery",
              "action", "breaker")
DEFAULT_COLORS = ("#58a6ff", "#3fb950", "#d29922", "#f85149", "#a5d6ff", "#3fb950", "#f85149", "#d2a8ff",
                  "#ff7b72", "#e3b341", "#79c0ff", "#ff4d4d")
_SYMBOLS = {"signal": "star", "approve": "d", "reduce": "d", "reject": "d", "order": "s", "buy": "t1", "sell": "t",
            "stop": "h", "trigger": "x", "recovery": "p", "action": "p", "breaker": "+"}
_SIZE = 9.0
_SIZE_CHAIN = 14.0
_DIM_ALPHA = 60
# where a trace's price is where it happened; the rest sit on the mid curve (an IOC's limit is
# 1% off the mid and a stop's trigger 2% away: on the curve they keep the price readable, and
# the tooltip says the level)
_AT_OWN_PRICE = ("signal", "approve", "reduce", "reject", "buy", "sell", "trigger")


_CODES = {c: i for i, c in enumerate(CATEGORIES)}


def _mid_columns(mids: Sequence[tuple[int, float]]) -> np.ndarray:
    """(time s, px) rows of mid samples (from the pairs in one pass: np.asarray of a day's
    86,400 tuples costs ~5x more)."""
    pairs = np.fromiter(chain.from_iterable(mids), dtype=float, count=2 * len(mids)).reshape(-1, 2)
    return np.vstack([pairs[:, 0] / 1000.0, pairs[:, 1]])


def _trace_columns(traces: Sequence[Trace]) -> np.ndarray:
    """(time s, own price or NaN, category code) rows of traces: a marker's price is its own
    where that is where it happened (`_AT_OWN_PRICE`), else it goes on the mid curve."""
    n = len(traces)
    cats = [category(t) for t in traces]
    codes = np.fromiter((_CODES[c] for c in cats), dtype=float, count=n)
    xs = np.fromiter((t.time_ms for t in traces), dtype=float, count=n) / 1000.0
    own = np.fromiter((t.price if (t.price is not None and c in _AT_OWN_PRICE) else np.nan
                       for t, c in zip(traces, cats, strict=True)), dtype=float, count=n)
    return np.vstack([xs, own, codes])


def category(t: Trace) -> str:
    """The marker a trace is drawn as."""
    kind, decision = t.kind, (t.decision or "").lower()
    if kind == "risk":
        return decision if decision in ("approve", "reduce", "reject") else "approve"
    if kind == "order":
        return "stop" if decision.startswith("stop") else "order"
    if kind == "fill":
        return "trigger" if decision == "stop_triggered" else ("buy" if t.side == "B" else "sell")
    return kind if kind in _SYMBOLS else "action"


class TimelinePlot(pg.PlotWidget):
    """The price and the markers of one `TimelineData` (see the module docstring).

    All markers are one scatter item, each point with its kind's symbol and brush (pyqtgraph
    draws them from one atlas: ~6.5 ms of CPU a frame here with 10,000 of them, against ~9.5 ms
    as one item per kind, whose per-item overhead each frame pays). Its points are not handed to
    `ScatterPlotItem.setData` one style each (~35 ms for 10,000: a brush, an atlas key and a
    lookup per point, every time the dock re-reads its window, every 5 s while it follows):
    one point per kind is styled that way (`_styled`, 12 points) and the 10,000 rows are that
    record array indexed by kind, with their x, y and index written in (`_install`, ~2 ms).
    A story is selected by dimming that item (its opacity) and drawing the story's few markers
    again, large, in a top item: no marker is restyled, so a selection costs ~1 ms.
    """

    marker_clicked = Signal(int)
    """A marker was clicked: (its trace id)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.setObjectName("timelinePlot")
        self.setAccessibleName("Timeline: mid price and the bot's decisions")
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        item = self.getPlotItem()
        item.showGrid(x=False, y=False)       # a grid across the plot costs ~half of each frame
        item.getAxis("left").setWidth(60)
        item.vb.setLimits(minXRange=1.0)
        self.price = item.plot([], [], name="mid")
        self.price.setDownsampling(auto=True, method="peak")
        self.price.setClipToView(True)
        self.story_line = item.plot([], [])
        self.all_markers = pg.ScatterPlotItem(hoverable=True, tip=self._tip, pxMode=True, size=_SIZE, pen=None)
        self.all_markers.sigClicked.connect(self._clicked)
        item.addItem(self.all_markers)
        self.story_markers = pg.ScatterPlotItem(hoverable=True, tip=self._tip, pxMode=True, size=_SIZE_CHAIN)
        self.story_markers.sigClicked.connect(self._clicked)
        self.story_markers.setZValue(10)
        item.addItem(self.story_markers)
        self.traces: tuple[Trace, ...] = ()
        self.categories: np.ndarray = np.zeros(0, dtype=np.int8)
        self.selected: frozenset[int] = frozenset()       # the story's trace ids (drawn or not)
        self._index: dict[int, int] = {}
        self._xy = np.zeros((2, 0))
        self._colors = [QColor(c) for c in DEFAULT_COLORS]
        self._fg = QColor("#8b949e")
        self._styled: np.ndarray | None = None          # one styled record per category (see the class)
        self._mids: SlidingColumns[tuple[int, float]] = SlidingColumns(_mid_columns, lambda m: m[0] / 1000.0)
        self._marks: SlidingColumns[Trace] = SlidingColumns(_trace_columns, lambda t: t.time_ms / 1000.0)
        self._apply_brushes()

    @property
    def markers(self) -> int:
        """How many markers are drawn (the story's second drawing not counted)."""
        return len(self.all_markers.data)

    # --- colours ------------------------------------------------------------------------------
    def set_colors(self, markers: Iterable[QColor], *, price: QColor, background: QColor, foreground: QColor) -> None:
        colors = list(markers)
        if len(colors) == len(CATEGORIES):
            self._colors = colors
        self._fg = QColor(foreground)
        self.setBackground(background)
        for ax in ("left", "bottom"):
            axis = self.getPlotItem().getAxis(ax)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
        self.price.setPen(pg.mkPen(price, width=1))          # 1 px: the raster fast path (1.2 px: stroked, ~3x)
        self.story_line.setPen(pg.mkPen(foreground, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self._apply_brushes()
        self._draw_story()

    def _apply_brushes(self) -> None:
        self._brushes = [pg.mkBrush(c) for c in self._colors]
        self._styled = None
        if len(self.categories):
            self._install(self._xy[0], self._xy[1], self.categories)

    def _style_records(self) -> np.ndarray:
        """The scatter's records for one point of each category, styled by pyqtgraph itself
        (symbol, brush, and the atlas rectangle each is drawn from)."""
        if self._styled is None:
            k = len(CATEGORIES)
            self.all_markers.setData(x=np.zeros(k), y=np.zeros(k), symbol=[_SYMBOLS[c] for c in CATEGORIES],
                                     brush=list(self._brushes), data=np.arange(k))
            self._styled = self.all_markers.data.copy()
        return self._styled

    def _install(self, xs: np.ndarray, ys: np.ndarray, cats: np.ndarray) -> None:
        """Every marker at once: the styled records indexed by category, then what
        `ScatterPlotItem.addPoints` does once its records are built (bounds, atlas, repaint)."""
        item = self.all_markers
        records = self._style_records()[cats.astype(np.intp)]
        records["x"] = xs
        records["y"] = ys
        records["data"] = np.arange(len(cats))
        records["item"] = None
        records["hovered"] = False
        item.data = records
        item.prepareGeometryChange()
        item.informViewBoundsChanged()
        item.bounds = [None, None]
        item.invalidate()
        item.updateSpots(records)
        item.sigPlotChanged.emit(item)

    # --- data ---------------------------------------------------------------------------------
    def set_data(self, data: TimelineData) -> None:
        """Draw `data`: the mid curve, then every marker (keeping a selected story highlighted).
        What the last call converted and this one still holds is not converted again (`SlidingColumns`)."""
        mx, my = self._mids.update(data.mids)
        self.price.setData(mx, my)
        traces = data.traces
        xs, own, codes = self._marks.update(traces)
        self.categories = codes.astype(np.int8)
        if len(mx):
            ys = np.where(np.isnan(own), np.interp(xs, mx, my), own)
        else:                                   # no samples (an old file): markers at their own price
            fill = float(np.nanmedian(own)) if np.isfinite(own).any() else 0.0
            ys = np.nan_to_num(own, nan=fill)
        self.traces = traces
        self._index = {t.id: i for i, t in enumerate(traces)}
        self._xy = np.vstack([xs, ys])
        self._install(xs, ys, self.categories)
        self._draw_story()
        plot = self.getPlotItem()
        plot.setXRange(data.since_ms / 1000.0, data.until_ms / 1000.0, padding=0.01)
        values = np.concatenate([my, ys])
        if values.size:
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            pad = (hi - lo) * 0.08 or abs(hi) * 0.001 or 1.0
            plot.setYRange(lo - pad, hi + pad, padding=0)

    @property
    def chain_ids(self) -> frozenset[int]:
        """The selected story's traces that have a marker in the window drawn."""
        return frozenset(i for i in self.selected if i in self._index)

    def select_chain(self, ids: Iterable[int]) -> None:
        """Highlight these traces' markers (one story), dim the others; empty: all plain again.
        The selection stays for the next `set_data` (a story chosen before its window is read)."""
        self.selected = frozenset(ids)
        self._draw_story()

    def _draw_story(self) -> None:
        shown = sorted(self._index[i] for i in self.chain_ids)
        self.all_markers.setOpacity(_DIM_ALPHA / 255.0 if shown else 1.0)
        if not shown:
            self.story_markers.setData([], [])
            self.story_line.setData([], [])
            return
        cats = [CATEGORIES[int(self.categories[i])] for i in shown]
        self.story_markers.setData(x=self._xy[0, shown], y=self._xy[1, shown], data=np.asarray(shown),
                                   symbol=[_SYMBOLS[c] for c in cats],
                                   brush=[pg.mkBrush(self._colors[CATEGORIES.index(c)]) for c in cats],
                                   pen=pg.mkPen(self._fg, width=1))
        self.story_line.setData(self._xy[0, shown], self._xy[1, shown])

    # --- hover and click ----------------------------------------------------------------------
    def describe(self, i: int) -> str:
        """What the marker at index `i` stands for (its tooltip)."""
        t = self.traces[i]
        head = f"{fmt_time(t.time_ms, with_ms=True)}  {t.kind}" + (f" · {t.decision}" if t.decision else "")
        what = t.reason or ""
        chain = f"story #{t.chain}" if t.chain is not None else "no story (recorded before chains)"
        return f"{head}\n{what}\n{chain} · trace #{t.id}"

    def _tip(self, x: float, y: float, data: object) -> str:
        try:
            return self.describe(int(data))  # type: ignore[call-overload]
        except (TypeError, ValueError, IndexError):
            return ""

    def _clicked(self, _item: object, points: Sequence[pg.SpotItem], *_: object) -> None:
        if len(points):                         # markers on top of each other: the one drawn last (on top)
            self.marker_clicked.emit(self.traces[int(points[-1].data())].id)

    def marker_position(self, trace_id: int) -> tuple[float, float] | None:
        """(x, y) in data coordinates of a trace's marker (tests click there)."""
        i = self._index.get(trace_id)
        return None if i is None else (float(self._xy[0, i]), float(self._xy[1, i]))
