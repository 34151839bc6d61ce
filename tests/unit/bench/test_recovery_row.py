"""The recovery_analysis_10x100 row runs (smoke-sized) and measures what it says it measures."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def test_recovery_row_reads_everything_each_time_before_and_once_after() -> None:
    (entry,) = discover(["recovery_analysis_10x100"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    n = row.extra["analyses_per_sample"]
    assert row.extra["positions"] == 10 and row.extra["findings_per_analysis"] == 10
    assert row.extra["round_trips_per_sample_before"] == n * 13       # account, orders, fills + 10 mids each
    assert row.extra["round_trips_per_sample_after"] <= 4             # one cold read, then the 5 s cache
