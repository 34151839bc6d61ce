"""TraceReader on a real file: a batch of queries reads one snapshot and leaves no transaction open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from perps_desktop.core.models import Trace, TraceQuery
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.store.reader import TraceReader, query_sql
from perps_desktop.store.schema import open_reader

NOW = 1_750_000_000_000


async def _filled(tmp_path: Path, n: int) -> TraceStoreConfig:
    cfg = TraceStoreConfig(path=tmp_path / "t.sqlite3", batch_flush_ms=60_000, retention_delay_s=3600.0)
    async with TraceStore(cfg) as store:
        for i in range(n):
            store.record(Trace(kind="signal", time_ms=NOW + i, symbol=("BTC", "ETH")[i % 2], reason=f"r {i}"))
    return cfg


def _reads_held(path: Path) -> bool:
    """True while some connection holds a read transaction on the file: a TRUNCATE checkpoint cannot
    reset a WAL someone still reads (busy = 1). The WAL has frames first, so a snapshot uses it."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0.2)
    try:
        other.execute("INSERT INTO traces (time_ms, kind, reason) VALUES (?, 'system', 'probe')", (NOW - 1,))
        return other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0
    finally:
        other.close()


async def test_a_batch_reads_one_snapshot_even_while_the_writer_commits(tmp_path):
    cfg = await _filled(tmp_path, 10)
    reader = TraceReader(cfg)
    writer = sqlite3.connect(cfg.path, isolation_level=None)
    queries = [TraceQuery(symbol="BTC", limit=100), TraceQuery(symbol="ETH", limit=100, count_total=True)]
    try:
        pages = reader.query_many(queries)
        assert [len(p.traces) for p in pages] == [5, 5] and pages[1].total == 5
        assert not _reads_held(cfg.path)                        # the read lock is let go
        # a commit between two batches is seen by the next batch as a whole
        writer.execute("INSERT INTO traces (time_ms, kind, symbol, reason) VALUES (?, 'risk', 'BTC', 'x')",
                       (NOW + 100,))
        writer.execute("INSERT INTO traces (time_ms, kind, symbol, reason) VALUES (?, 'risk', 'ETH', 'y')",
                       (NOW + 101,))
        again = reader.query_many(queries)
        assert [len(p.traces) for p in again] == [6, 6] and again[1].total == 6
    finally:
        writer.close()
        reader.close()


async def test_a_failing_batch_ends_its_read_transaction(tmp_path):
    cfg = await _filled(tmp_path, 4)
    reader = TraceReader(cfg)
    try:
        with pytest.raises(ValueError):     # the second query fails after the first has read
            reader.query_many([TraceQuery(limit=10), TraceQuery(since_ms="x")])  # type: ignore[arg-type]
        assert not _reads_held(cfg.path)
        assert len(reader.query_many([TraceQuery(limit=10), TraceQuery(symbol="BTC")])[0].traces) == 5
    finally:
        reader.close()


@pytest.mark.parametrize(("query", "index"), [
    (TraceQuery(symbol="BTC", limit=50), "traces_symbol_time"),
    (TraceQuery(kind="risk", limit=50), "traces_kind_time"),
    (TraceQuery(strategy="s1", limit=50), "traces_strategy_time"),
    (TraceQuery(symbol="BTC", since_ms=NOW, until_ms=NOW + 5, limit=50), "traces_symbol_time"),
    (TraceQuery(since_ms=NOW, limit=50), "traces_time"),
])
async def test_recent_pages_walk_their_index_newest_first_without_sorting(tmp_path, query, index):
    cfg = await _filled(tmp_path, 20)
    reader = TraceReader(cfg)
    try:
        conn, _ = open_reader(cfg)                  # a reader's connection, as the reader opens one
        try:
            sql, _count, params = query_sql(query, fts=True)
            plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, (*params, 50, 0)))
        finally:
            conn.close()
        assert f"USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        reader.close()
