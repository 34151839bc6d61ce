"""The two TraceStore rows run (smoke-sized) and measure what they say they measure."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def test_insert_row_commits_100_traces_per_sample_after_and_one_per_trace_before() -> None:
    (entry,) = discover(["trace_insert_100"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    assert row.extra["traces_per_sample"] == 100
    assert row.extra["commits_per_sample_after"] == 1
    assert row.extra["commits_per_sample_before"] == 100
    assert row.extra["traces_per_s_recorded"] > 0 and 0 < row.extra["loop_share_pct_at_1000_per_s"] < 100


def test_read_row_decodes_page_payloads_only_before() -> None:
    (entry,) = discover(["trace_read_100"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    assert row.extra["page_rows"] == 2500
    assert row.extra["page_payloads_decoded_after"] == 0
    assert row.extra["page_payloads_decoded_before"] == 2500
    assert row.extra["warm_after_ms"] < row.after.median                # the LRU answers the warm reads
