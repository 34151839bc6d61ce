"""The traces dock reads the store only while it is shown, asks for pages without payloads, shows a
trace as labelled fields, forgets it when the filter changes, and marks where each session starts."""

from __future__ import annotations

import re

from perps_desktop.app import Trace, TraceCounters, TracePage, TraceQuery
from perps_desktop.ui.panels import TracesPanel
from perps_desktop.ui.panels.traces import with_session_separators
from perps_desktop.ui.trace_detail import TraceDetail
from tests import stubs
from tests.helpers import wait_until


async def test_a_hidden_traces_dock_reads_no_pages_until_it_is_shown(make_window):
    control = stubs.StubControl()
    w = make_window(control)
    panel = w.panels["traces"]
    panel.live_interval_s = 0.0             # any new snapshot may re-ask: only visibility holds it back
    asked: list[TraceQuery] = []
    panel.query_requested.connect(asked.append)
    await wait_until(lambda: panel.model.rowCount() == 100 and not panel.pending)   # the first page, once
    assert panel.visibleRegion().isEmpty()  # the default layout tabs it behind Positions

    for n in range(1, 31):                  # the core keeps recording: 30 new snapshots
        control.set(traces=TraceCounters(recorded=10 + n, flushed=10 + n, per_second=2.0))
        w.render_snapshot()
        await wait_until(lambda: not panel.pending)
    assert asked == []

    w.show_dock("traces")                   # raised: it catches up at once, then follows live
    await wait_until(lambda: len(asked) == 1 and not panel.pending)
    control.set(traces=TraceCounters(recorded=100, flushed=100, per_second=2.0))
    w.render_snapshot()
    assert len(asked) == 2
    assert all(q.offset == 0 and not q.with_payload for q in asked)


def _order_trace(id_: int = 42, **kw) -> Trace:
    fields = {"kind": "order", "time_ms": 1_764_930_207_123, "id": id_, "symbol": "BTC", "side": "A",
              "size": 0.0077000000000000002, "price": 65012.5, "decision": "stop_placed", "reason": "stop 2%",
              "latency_ms": 12.345,
              "payload": {"trigger_px": 0.30000000000000004, "legs": [{"sz": 1.1000000000000001}]}}
    fields.update(kw)
    return Trace(**fields)


def test_the_detail_reads_as_labelled_fields_with_the_payload_folded(qtbot):
    d = TraceDetail()
    qtbot.addWidget(d)
    d.show()
    d.show_trace(_order_trace())
    assert d.field("Side") == "sell"                    # not "A"
    assert d.field("Size") == "0.0077"                  # not 0.0077000000000000002
    assert d.field("Price") == "65,012.5"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.123 \S+", d.field("Time"))   # date, time, zone
    assert d.field("Latency") == "12.3 ms"
    assert not d.payload.isVisible() and d.payload_button.isVisible()
    d.payload_button.click()
    assert d.payload.isVisible()
    assert '"trigger_px": 0.3' in d.payload.toPlainText() and "0.30000000000000004" not in d.payload.toPlainText()
    assert "1.1000000000000001" not in d.payload.toPlainText()


def test_a_filter_change_clears_the_detail_and_drops_a_late_answer(qtbot):
    panel = TracesPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_page(TracePage(traces=(_order_trace(42), _order_trace(41)), total=2, offset=0, limit=100))
    asked: list[int] = []
    panel.trace_selected.connect(asked.append)
    panel.table.selectRow(0)
    assert asked == [42]
    panel.set_detail(_order_trace(42))
    assert panel.detail.field("Symbol") == "BTC"
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("fill"))
    assert panel.detail.trace is None and panel.detail.field("Symbol") is None
    panel.set_detail(_order_trace(42))                 # the old selection's answer, arriving late
    assert panel.detail.trace is None


def test_a_separator_row_marks_where_a_new_session_starts(qtbot):
    start = Trace(kind="system", time_ms=2_000, id=10, strategy="app", reason="started in paper mode on testnet")
    newer = _order_trace(12, time_ms=3_000)
    older = _order_trace(9, time_ms=1_000)
    rows = with_session_separators([newer, start, older])
    assert [t.id for t in rows] == [12, 10, -10, 9]
    panel = TracesPanel()
    qtbot.addWidget(panel)
    panel.set_page(TracePage(traces=(newer, start, older), total=3, offset=0, limit=100))
    assert panel.model.row_keys() == [12, 10, -10, 9]
    assert "session started" in panel.model.text(-10, "reason")
    assert panel.model.tone(-10, "reason") == "accent-bg"
    assert panel.model.text(-10, "id") == "" and panel.model.text(-10, "kind") == ""
