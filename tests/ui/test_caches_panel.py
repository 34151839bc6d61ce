"""The Caches panel says in one line what the caches saved, and is red only where that matters."""

from __future__ import annotations

from perps_desktop.core.clock import ManualClock
from perps_desktop.ui.panels import CachesPanel
from perps_desktop.ui.panels.caches import fmt_ttl
from tests import stubs


def _stats(api_hits: int, api_misses: int):
    return (stubs.cache_stats("api.mids", hits=api_hits, misses=api_misses),
            stubs.cache_stats("api.orders", hits=10, misses=90),
            stubs.cache_stats("risk_signal", hits=0, misses=900),
            stubs.cache_stats("traces.pages", hits=0, misses=1, ttl_s=3600.0),
            stubs.cache_stats("traces.by_id", hits=0, misses=0))


def test_one_line_says_how_many_requests_the_caches_saved_in_the_last_minute(qtbot):
    clock = ManualClock()
    panel = CachesPanel(sample_s=2.0, clock=clock)
    qtbot.addWidget(panel)
    panel.set_snapshot(stubs.snapshot(caches=_stats(100, 0)))
    assert panel.headline.text().startswith("Requests saved since start: 55%")    # (100 + 10) of 200
    for _ in range(31):                                                           # a minute of samples
        clock.advance(2.0)
        panel.set_snapshot(stubs.snapshot(caches=_stats(100, 0)))
    clock.advance(2.0)
    panel.set_snapshot(stubs.snapshot(caches=_stats(183, 17)))                   # +83 hits, +17 misses
    assert panel.headline.text() == ("Requests saved in the last minute: 83% (83 of 100 reads answered "
                                     "from cache)")


def test_red_only_where_a_cache_should_save_requests_and_does_not(qtbot):
    panel = CachesPanel()
    qtbot.addWidget(panel)
    panel.set_snapshot(stubs.snapshot(caches=_stats(90, 10)))
    m = panel.model
    assert m.tone("api.mids", "rate") == "pos"
    assert m.tone("api.orders", "rate") == "neg"            # 10% of 100 reads: requests not saved
    assert m.tone("risk_signal", "rate") == "muted"         # answers repeats only, by design
    assert m.tone("traces.pages", "rate") == "muted"        # one lookup says nothing
    assert m.tone("traces.by_id", "rate") == "muted"
    assert m.text("api.mids", "name") == "Mid prices" and m.text("traces.pages", "ttl") == "1 h"


def test_the_table_is_under_a_details_toggle(qtbot):
    panel = CachesPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.table.isVisible()
    panel.details_button.click()
    assert panel.table.isVisible()


def test_ttls_read_in_the_unit_that_fits():
    assert [fmt_ttl(v) for v in (0, 0.5, 2, 300, 3600)] == ["off", "500 ms", "2 s", "5 min", "1 h"]
