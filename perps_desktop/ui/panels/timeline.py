"""TimelinePanel: "why is this position open?" — a symbol's price with the bot's decisions on it.

The panel asks for one symbol and window at a time (`timeline_requested(symbol, since_ms,
until_ms)`) and draws what comes back (`set_timeline`): the mid price from the store's samples
and a marker per signal, risk decision, order, fill, stop, recovery action and breaker
transition (`TimelinePlot`). Clicking a marker asks for its story (`chain_requested(trace id)`);
`set_chain` highlights it on the plot and lists its steps with the time each took after the one
before. "Show story" on a position, fill or order row ends in `show_story`, which moves the
window onto the story and selects it. While "Follow" is on and the panel is on screen, the
window's end follows the snapshot's time (now, or the replay's moment) every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Property, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QWidget

from perps_desktop.app import CoreSnapshot, TimelineData, Trace
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.ui.format import DASH, fmt_time
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.timeline_plot import CATEGORIES, DEFAULT_COLORS, TimelinePlot
from perps_desktop.ui.widgets import flush_column, on_screen

__all__ = ["SPANS", "TimelinePanel"]

#: the windows offered, (label, seconds)
SPANS = (("15 min", 900), ("1 h", 3600), ("4 h", 14_400), ("24 h", 86_400))
_FOLLOW_S = 5.0                 # the window's end follows the snapshot's time this often
_STORY_MARGIN_MS = 60_000       # a story shown is framed with a minute either side
_DECISION_TONE = {"approve": "pos", "reject": "neg", "reduce": "warn", "stop_triggered": "neg"}


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryStep:
    """One row of the story list: a trace and how long after the step before it came."""

    trace: Trace
    after_ms: int | None


_STORY_COLUMNS: tuple[Column[StoryStep], ...] = (
    Column(key="time", title="Time", value=lambda s: s.trace.time_ms, fmt=lambda v: fmt_time(v, with_ms=True),
           width=92),
    Column(key="after", title="+ms", value=lambda s: s.after_ms, align="right", width=60,
           fmt=lambda v: DASH if v is None else f"+{v:,}", header_tip="time since the step before"),
    Column(key="kind", title="Kind", value=lambda s: s.trace.kind, width=64),
    Column(key="decision", title="Decision", value=lambda s: s.trace.decision or DASH, width=96,
           tone=lambda s: _DECISION_TONE.get((s.trace.decision or "").lower())),
    Column(key="what", title="What", value=lambda s: s.trace.reason, width=420),
)


def _color_property(attr: str) -> Property:
    def getter(self: TimelinePanel) -> QColor:
        return self._palette[attr]

    def setter(self: TimelinePanel, value: QColor) -> None:
        self._palette[attr] = QColor(value)
        self._apply_colors()

    return Property(QColor, getter, setter)


class TimelinePanel(QWidget):
    """Controls, the plot, and the selected story as a list (see the module docstring)."""

    timeline_requested = Signal(str, object, object)
    """A window of a symbol is wanted: (symbol, since_ms, until_ms)."""
    chain_requested = Signal(int)
    """A marker was clicked; its story is wanted: (trace id)."""

    def _get_markers(self) -> str:
        return ",".join(c.name() for c in self._markers)

    def _set_markers(self, text: str) -> None:
        colors = [QColor(t.strip()) for t in str(text).split(",") if t.strip()]
        if len(colors) == len(CATEGORIES):
            self._markers = colors
            self._apply_colors()

    plotBackground = _color_property("bg")
    plotForeground = _color_property("fg")
    priceColor = _color_property("price")
    markerPalette = Property(str, _get_markers, _set_markers)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelinePanel")
        self._palette = {"bg": QColor("#0d1117"), "fg": QColor("#8b949e"), "price": QColor("#c9d1d9")}
        self._markers = [QColor(c) for c in DEFAULT_COLORS]
        self.data: TimelineData | None = None
        self.chain: tuple[Trace, ...] = ()
        self.pending = False
        self._now_ms = 0
        self._asked_at = 0.0
        self._wanted_chain: int | None = None
        self._window: tuple[int, int] | None = None     # a story's frame, while not following

        self.symbol_combo = QComboBox(self)
        self.symbol_combo.setObjectName("timelineSymbol")
        self.symbol_combo.setAccessibleName("Timeline symbol")
        self.symbol_combo.setMinimumWidth(80)
        self.span_combo = QComboBox(self)
        self.span_combo.setObjectName("timelineSpan")
        self.span_combo.setAccessibleName("Timeline window")
        for label, seconds in SPANS:
            self.span_combo.addItem(label, seconds)
        self.span_combo.setCurrentIndex(1)
        self.follow_check = QCheckBox("Follow", self)
        self.follow_check.setObjectName("timelineFollowCheck")
        self.follow_check.setAccessibleName("Follow the latest time")
        self.follow_check.setChecked(True)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("timelineRefreshButton")
        self.refresh_button.setAccessibleName("Read the timeline again")
        self.status = QLabel("", self)
        self.status.setObjectName("timelineStatus")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.setSpacing(6)
        for w in (self.symbol_combo, self.span_combo, self.follow_check, self.refresh_button):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)

        self.plot = TimelinePlot(self)
        self.story_model: SnapshotTableModel[StoryStep] = SnapshotTableModel(_STORY_COLUMNS,
                                                                             key=lambda s: s.trace.id, parent=self)
        self.story = DataTable(self.story_model, object_name="timelineStoryTable",
                               accessible_name="The selected story, step by step", sortable=False, parent=self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("timelineSplitter")
        split.addWidget(self.plot)
        split.addWidget(self.story)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([640, 420])
        flush_column(self, bar, (split, 1))

        self.plot.marker_clicked.connect(self.chain_requested.emit)
        self.refresh_button.clicked.connect(lambda: self.request(force=True))
        self.symbol_combo.currentTextChanged.connect(lambda _: self._user_moved())
        self.span_combo.currentIndexChanged.connect(lambda _: self._user_moved())
        self.follow_check.toggled.connect(lambda on: self.request(force=True) if on else None)
        self._apply_colors()

    # --- colours ------------------------------------------------------------------------------
    def _apply_colors(self) -> None:
        if hasattr(self, "plot"):
            p = self._palette
            self.plot.set_colors(self._markers, price=p["price"], background=p["bg"], foreground=p["fg"])

    # --- asking -------------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        return self.symbol_combo.currentText()

    def span_ms(self) -> tuple[int, int]:
        """(since_ms, until_ms) to show: a story's frame, or the span up to the snapshot's time."""
        if self._window is not None and not self.follow_check.isChecked():
            return self._window
        until = self._now_ms or wall_ms()
        return until - int(self.span_combo.currentData()) * 1000, until + 1

    def _user_moved(self) -> None:
        self._window = None
        self.request(force=True)

    def request(self, *, force: bool = False) -> None:
        """Ask for the current symbol and window (not while an answer is awaited, unless `force`)."""
        if not self.symbol or (self.pending and not force):
            return
        self.pending = True
        self._asked_at = monotonic()
        since, until = self.span_ms()
        self.status.setText("reading…")
        self.timeline_requested.emit(self.symbol, since, until)

    # --- answers ------------------------------------------------------------------------------
    def set_timeline(self, data: TimelineData) -> None:
        self.pending = False
        if data.symbol != self.symbol:
            return
        self.data = data
        self.plot.set_data(data)
        markers = len(data.traces)
        self.status.setText(f"{markers:,} event(s), {len(data.mids):,} price sample(s)"
                            + (" — the newest shown, zoom in for the rest" if data.truncated else "")
                            + ("" if data.mids else " — no prices recorded for this window"))

    def set_error(self, message: str) -> None:
        self.pending = False
        self.status.setText(f"could not read the timeline: {message}")

    def set_chain(self, traces: tuple[Trace, ...]) -> None:
        """Show one story: its markers highlighted on the plot and its steps in the list."""
        self.chain = traces
        self.plot.select_chain(t.id for t in traces)
        steps = [StoryStep(trace=t, after_ms=None if i == 0 else t.time_ms - traces[i - 1].time_ms)
                 for i, t in enumerate(traces)]
        self.story_model.set_rows(steps)
        if traces:
            total = traces[-1].time_ms - traces[0].time_ms
            self.status.setText(f"story #{traces[0].chain or traces[0].id}: {len(traces)} step(s) over {total:,} ms")

    def show_story(self, traces: tuple[Trace, ...]) -> None:
        """Open the timeline on a story: its symbol, a window around it, the story selected."""
        if not traces:
            self.status.setText("no story recorded for that row (from before chains, or not the bot's)")
            return
        symbol = next((t.symbol for t in traces if t.symbol), None)
        if symbol is not None and self.symbol_combo.findText(symbol) < 0:
            self.symbol_combo.addItem(symbol)
        self.follow_check.setChecked(False)
        self._window = (traces[0].time_ms - _STORY_MARGIN_MS, traces[-1].time_ms + _STORY_MARGIN_MS)
        self.set_chain(traces)
        if symbol is not None:
            self.symbol_combo.blockSignals(True)
            self.symbol_combo.setCurrentText(symbol)
            self.symbol_combo.blockSignals(False)
        self.request(force=True)

    # --- the window's snapshot ----------------------------------------------------------------
    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self._now_ms = snap.time_ms
        symbols = [*(p.symbol for p in snap.positions), *(o.symbol for o in snap.orders), *sorted(snap.mids)]
        have = {self.symbol_combo.itemText(i) for i in range(self.symbol_combo.count())}
        for s in symbols:
            if s not in have:
                have.add(s)
                self.symbol_combo.addItem(s)
        if not on_screen(self) or not self.follow_check.isChecked():
            return
        if self.data is None or monotonic() - self._asked_at >= _FOLLOW_S:
            self.request()

    def set_read_only(self, read_only: bool) -> None:
        """Nothing here acts on the account."""
