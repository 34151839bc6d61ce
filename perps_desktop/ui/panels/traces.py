"""TracesPanel: the trace store as a paged, filterable table with the selected trace's details.

The panel never holds the whole table: it asks for one page (`query_requested(TraceQuery)`),
shows what comes back (`set_page`), and asks for one trace's details when a row is selected
(`trace_selected(id)` -> `set_detail`). With "Live" on and the first page shown, it re-asks
at most once a second while the core records traces, and only while it is on screen: in a
background tab (where the default layout puts it) it would otherwise read and decode a page a
second that nobody sees, each kept a while by the store's page cache. The window re-sends the
last snapshot when a dock's tab is raised, so the table catches up as it comes into view.
Pages come without payloads (the table shows none); a selected trace's come with its details.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QWidget,
)

from perps_desktop.app import CoreSnapshot, Trace, TraceKind, TracePage, TraceQuery
from perps_desktop.core.clock import monotonic
from perps_desktop.ui.format import DASH, fmt_datetime, fmt_ms, fmt_px, fmt_size, fmt_time
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.trace_detail import TraceDetail
from perps_desktop.ui.widgets import flush_column, on_screen

__all__ = ["TracesPanel", "with_session_separators"]

_KIND_TONE = {"risk": "warn", "order": "accent", "fill": "pos", "breaker": "neg", "recovery": "warn",
              "alert": "neg", "action": "accent", "system": "muted"}


SESSION = "session"          # the kind of a separator row (never stored; its id is the start trace's, negated)


def _decision_tone(t: Trace) -> str | None:
    d = (t.decision or "").lower()
    return {"approve": "pos", "reject": "neg", "reduce": "warn"}.get(d)


def _is_session_start(t: Trace) -> bool:
    """The app's "started in paper mode on ..." trace: the oldest of a run's traces."""
    return t.kind == "system" and t.strategy == "app" and t.reason.startswith("started")


def with_session_separators(traces: Sequence[Trace]) -> list[Trace]:
    """`traces` (newest first) with a separator row under each run's start trace, so the previous
    session's traces never run on as if they were this one's."""
    out: list[Trace] = []
    for t in traces:
        out.append(t)
        if _is_session_start(t) and t.id > 0:
            out.append(Trace(kind=SESSION, time_ms=t.time_ms, id=-t.id, bot=t.bot,
                             reason=f"▲ session started {fmt_datetime(t.time_ms)} · ▼ earlier sessions"))
    return out


def _tone(tone: Callable[[Trace], str | None] | None = None) -> Callable[[Trace], str | None]:
    """A column's tone, except on a separator row, which is tinted across."""
    return lambda t: "accent-bg" if t.kind == SESSION else (tone(t) if tone else None)


def _blank(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda v: "" if v is None else fmt(v)


class TracesPanel(QWidget):
    """One page of traces, the filters above it and the selected trace below."""

    query_requested = Signal(object)
    """A page is wanted: (TraceQuery)."""
    trace_selected = Signal(int)
    """A row was selected; its details are wanted: (trace id)."""

    def __init__(self, *, page_size: int = 100, live_interval_s: float = 1.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tracesPanel")
        self.page_size = page_size
        self.live_interval_s = live_interval_s
        self.offset = 0
        self.total: int | None = None
        self._last_query_at = 0.0
        self._seen_counter = -1
        self.pending = False
        self._detail_id: int | None = None
        self._filters: tuple[object, ...] | None = None
        self._bots: list[str] = []

        self.symbol_edit = QLineEdit(self)
        self.symbol_edit.setObjectName("traceSymbolFilter")
        self.symbol_edit.setAccessibleName("Filter traces by symbol")
        self.symbol_edit.setPlaceholderText("Symbol")
        self.symbol_edit.setMaximumWidth(90)
        self.kind_combo = QComboBox(self)
        self.kind_combo.setObjectName("traceKindFilter")
        self.kind_combo.setAccessibleName("Filter traces by kind")
        self.kind_combo.addItem("All kinds", None)
        for k in TraceKind:
            self.kind_combo.addItem(k.value, k.value)
        self.bot_combo = QComboBox(self)        # the cores seen in the pages read (a shared database)
        self.bot_combo.setObjectName("traceBotFilter")
        self.bot_combo.setAccessibleName("Filter traces by bot")
        self.bot_combo.addItem("All bots", None)
        self.text_edit = QLineEdit(self)
        self.text_edit.setObjectName("traceTextFilter")
        self.text_edit.setAccessibleName("Search trace reasons")
        self.text_edit.setPlaceholderText("Search reasons…")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(60)
        self.live_check = QCheckBox("Live", self)
        self.live_check.setObjectName("tracesLiveCheck")
        self.live_check.setAccessibleName("Follow new traces")
        self.live_check.setChecked(True)
        self.prev_button = QPushButton("‹", self)
        self.prev_button.setObjectName("tracesPrevButton")
        self.prev_button.setAccessibleName("Newer traces")
        self.next_button = QPushButton("›", self)
        self.next_button.setObjectName("tracesNextButton")
        self.next_button.setAccessibleName("Older traces")
        for b in (self.prev_button, self.next_button):
            b.setToolTip(b.accessibleName())
            b.setFixedWidth(30)
        self.page_label = QLabel("", self)
        self.page_label.setObjectName("tracesPageLabel")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.setSpacing(6)
        for w in (self.symbol_edit, self.kind_combo, self.bot_combo):
            bar.addWidget(w)
        bar.addWidget(self.text_edit, 1)
        for tail in (self.live_check, self.page_label, self.prev_button, self.next_button):
            bar.addWidget(tail)

        sep = lambda t: t.kind == SESSION  # noqa: E731
        columns: tuple[Column[Trace], ...] = (
            Column(key="id", title="ID", value=lambda t: None if sep(t) else t.id, fmt=_blank(str), align="right",
                   width=64, tone=_tone(lambda t: "muted")),
            Column(key="time", title="Time", value=lambda t: t.time_ms, fmt=lambda v: fmt_time(v, with_ms=True),
                   width=96, tone=_tone(), tooltip=lambda t: fmt_datetime(t.time_ms, with_ms=True),
                   header_tip=f"Local time ({time.strftime('%Z') or time.strftime('%z')}); hover a cell for the date "
                              "(perps-desktop traces prints UTC)"),
            Column(key="kind", title="Kind", value=lambda t: "" if sep(t) else t.kind, width=70,
                   tone=_tone(lambda t: _KIND_TONE.get(t.kind))),
            Column(key="symbol", title="Symbol", value=lambda t: "" if sep(t) else (t.symbol or DASH), width=64,
                   tone=_tone()),
            Column(key="side", title="Side", width=50, tone=_tone(),
                   value=lambda t: "" if sep(t) else {"B": "BUY", "A": "SELL"}.get(t.side or "", t.side or DASH)),
            Column(key="size", title="Size", value=lambda t: None if sep(t) else t.size, fmt=_blank(fmt_size),
                   align="right", width=78, tone=_tone()),
            Column(key="price", title="Price", value=lambda t: None if sep(t) else t.price, fmt=_blank(fmt_px),
                   align="right", width=84, tone=_tone()),
            Column(key="decision", title="Decision", value=lambda t: "" if sep(t) else (t.decision or DASH),
                   width=116, tone=_tone(_decision_tone)),
            Column(key="latency", title="Latency", value=lambda t: None if sep(t) else t.latency_ms,
                   fmt=_blank(fmt_ms), align="right", width=70, tone=_tone()),
            Column(key="reason", title="Reason", value=lambda t: t.reason, width=300, tone=_tone()),
        )
        self.model: SnapshotTableModel[Trace] = SnapshotTableModel(columns, key=lambda t: t.id, parent=self)
        self.table = DataTable(self.model, object_name="tracesTable", accessible_name="Traces", sortable=False,
                               parent=self)
        self.detail = TraceDetail(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("tracesSplitter")
        split.addWidget(self.table)
        detail_scroll = QScrollArea(split)          # its form never holds the dock taller than the table
        detail_scroll.setObjectName("traceDetailScroll")
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setWidget(self.detail)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        flush_column(self, bar, (split, 1))

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(lambda: self.request(offset=0))
        self.symbol_edit.textChanged.connect(lambda _: self._debounce.start())
        self.text_edit.textChanged.connect(lambda _: self._debounce.start())
        self.kind_combo.currentIndexChanged.connect(lambda _: self.request(offset=0))
        self.bot_combo.currentIndexChanged.connect(lambda _: self.request(offset=0))
        self.prev_button.clicked.connect(lambda: self.request(offset=max(0, self.offset - self.page_size)))
        self.next_button.clicked.connect(lambda: self.request(offset=self.offset + self.page_size))
        self.live_check.toggled.connect(lambda on: self.request(offset=0) if on else None)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._update_buttons()

    # --- queries ------------------------------------------------------------------------
    def query(self, offset: int | None = None) -> TraceQuery:
        symbol = self.symbol_edit.text().strip().upper() or None
        text = self.text_edit.text().strip() or None
        return TraceQuery(symbol=symbol, kind=self.kind_combo.currentData(), bot=self.bot_combo.currentData(),
                          text=text, limit=self.page_size, offset=self.offset if offset is None else offset,
                          with_payload=False)

    def request(self, offset: int | None = None) -> None:
        q = self.query(offset)
        filters = (q.symbol, q.kind, q.bot, q.text)
        if filters != self._filters:    # another question: the trace shown may not answer it
            self._filters = filters
            self._detail_id = None
            self.detail.clear()
        self._last_query_at = monotonic()
        self.pending = True
        self.query_requested.emit(q)

    def set_page(self, page: TracePage) -> None:
        self.pending = False
        self.offset = page.offset
        self.total = page.total
        keep = self.table.selected_key()
        for bot in sorted({t.bot for t in page.traces if t.bot} - set(self._bots)):
            self._bots.append(bot)
            self.bot_combo.addItem(bot, bot)
        self.model.set_rows(with_session_separators(page.traces))
        if keep is not None and (row := self.table.view_row_of(keep)) is not None:
            self.table.selectRow(row)
        self._update_buttons(len(page.traces))

    def set_error(self, message: str) -> None:
        """The page could not be read; say so and let the next refresh try again."""
        self.pending = False
        self.page_label.setText(f"cannot read traces: {message}")

    def set_detail(self, trace: Trace | None) -> None:
        if trace is not None and trace.id != self._detail_id:
            return                      # an answer for a selection since dropped (a filter changed)
        self.detail.show_trace(trace)

    def _on_selection_changed(self, *_: object) -> None:
        key = self.table.selected_key()
        if isinstance(key, int) and key > 0 and key != self._detail_id:
            self._detail_id = key
            self.trace_selected.emit(key)

    def _update_buttons(self, shown: int = 0) -> None:
        self.prev_button.setEnabled(self.offset > 0)
        more = (self.total is None and shown >= self.page_size) or (self.total or 0) > self.offset + shown
        self.next_button.setEnabled(bool(more))
        if shown == 0:
            text = "no traces" if self.offset == 0 else "no more traces"
        else:
            total = f" of {self.total:,}" if self.total is not None else ""
            text = f"{self.offset + 1:,}–{self.offset + shown:,}{total}"
        self.page_label.setText(text)

    # --- snapshot -----------------------------------------------------------------------
    def set_read_only(self, read_only: bool) -> None:  # reading traces is always allowed
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        counter = snap.traces.recorded + snap.traces.flushed
        if counter == self._seen_counter or (self._seen_counter >= 0 and not on_screen(self)):
            return                      # nothing new, or out of sight (the next snapshot once shown catches up)
        now = monotonic()
        if self._seen_counter < 0 or (self.live_check.isChecked() and self.offset == 0 and not self.pending
                                      and now - self._last_query_at >= self.live_interval_s):
            self._seen_counter = counter
            self.request(offset=0)
