"""The two TraceStore rows run (smoke-sized) and measure what they say they measure."""

from __future__ import annotations

import sqlite3

from perps_desktop.bench import discover, run_entry
from perps_desktop.bench.cases._trace_data import InsertFloor, make_traces
from perps_desktop.config import load_settings
from perps_desktop.store.codec import ZSTD_MAGIC, PayloadEncoder


def test_insert_row_commits_100_traces_per_sample_after_and_one_per_trace_before() -> None:
    (entry,) = discover(["trace_insert_100"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    assert row.extra["traces_per_sample"] == 100
    assert row.extra["commits_per_sample_after"] == 1
    assert row.extra["commits_per_sample_before"] == 100
    assert row.extra["traces_per_s_recorded"] > 0 and 0 < row.extra["loop_share_pct_at_1000_per_s"] < 100
    # the encoding the floor is spared, timed in the same rounds, and after against floor + it
    assert row.extra["floor_left_out_encoding_ms_per_100"] > 0
    assert row.extra["after_over_floor_plus_encoding"] > 0


def test_the_insert_floor_is_given_the_payload_bytes_the_store_writes(tmp_path) -> None:
    traces = make_traces(60, seed=11)
    path = tmp_path / "floor.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE traces (id INTEGER PRIMARY KEY, kind TEXT, payload BLOB)").close()
    floor = InsertFloor(path, traces)
    try:
        store = PayloadEncoder(min_bytes=1024, level=1)
        assert floor.blobs(traces) == [store.encode(t.payload) for t in traces]
        assert any(b is not None and b[:4] == ZSTD_MAGIC for b in floor.blobs(traces))     # some compressed
    finally:
        floor.close()


def test_read_row_decodes_page_payloads_only_before() -> None:
    (entry,) = discover(["trace_read_100"])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    assert row.extra["page_rows"] == 2500
    assert row.extra["page_payloads_decoded_after"] == 0
    assert row.extra["page_payloads_decoded_before"] == 2500
    assert row.extra["warm_after_ms"] < row.after.median                # the LRU answers the warm reads
