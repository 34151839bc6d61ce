"""The traces dock reads the store only while it is shown, and asks for pages without payloads."""

from __future__ import annotations

from perps_desktop.app import TraceCounters, TraceQuery
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
        w.render()
        await wait_until(lambda: not panel.pending)
    assert asked == []

    w.show_dock("traces")                   # raised: it catches up at once, then follows live
    await wait_until(lambda: len(asked) == 1 and not panel.pending)
    control.set(traces=TraceCounters(recorded=100, flushed=100, per_second=2.0))
    w.render()
    assert len(asked) == 2
    assert all(q.offset == 0 and not q.with_payload for q in asked)
