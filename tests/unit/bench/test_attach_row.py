"""The attach_5_cores row runs (smoke-sized): five served cores streaming to one attached window."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def test_the_attach_row_measures_a_window_on_five_streaming_cores() -> None:
    (entry,) = discover(["attach_5_cores"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is None and row.after is not None and row.after.n >= 1
    assert row.extra["cores"] == 5 and row.extra["links_lost"] == []
    assert row.extra["messages_per_s"] > 0 and row.extra["probes"] > 0
