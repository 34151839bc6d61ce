"""The manual_close_under_load row runs (smoke-sized) and reports its closes with the run's budget figures."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def test_the_close_row_times_closes_to_their_fill_and_reports_the_budget() -> None:
    (entry,) = discover(["manual_close_under_load"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is None and row.after is not None and row.after.n == row.extra["closes"] >= 2
    assert row.extra["symbols"] == 10 and row.extra["weight_limit"] == 1200
    assert row.extra["rate_limited_429"] == 0
    assert row.extra["weight_per_min"] > 0 and row.extra["pushed_reads"] > 0
