"""Mid samples beside the traces: one per symbol per second, read by range, pruned with the traces."""

from __future__ import annotations

import sqlite3

from perps_desktop.store import TraceStore, TraceStoreConfig
from tests.unit.store.test_chains import _v2_file

DAY_S = 86_400


def _cfg(path, **kw) -> TraceStoreConfig:
    return TraceStoreConfig(path=path, retention_delay_s=3600.0, **kw)


async def test_samples_are_written_with_a_flush_and_read_back_by_symbol_and_range(tmp_path):
    async with TraceStore(_cfg(tmp_path / "t.sqlite3")) as store:
        store.record_mids([("BTC", 1000, 65000.0), ("ETH", 1000, 3400.0), ("BTC", 1001, 65010.5)])
        store.record_mids([("BTC", 1001, 1.0)])                   # the same second again: the first stays
        await store.flush()
        assert await store.mids("BTC", 1_000_000, 1_002_000) == [(1_000_000, 65000.0), (1_001_000, 65010.5)]
        assert await store.mids("BTC", 1_000_500, 1_001_001) == [(1_001_000, 65010.5)]
        assert await store.mids("ETH", 0, 10**13) == [(1_000_000, 3400.0)]
        assert await store.mids("SOL", 0, 10**13) == []


async def test_retention_deletes_old_samples_with_old_traces(tmp_path):
    path = tmp_path / "t.sqlite3"
    now_s = 100 * DAY_S
    async with TraceStore(_cfg(path, retention_days=30)) as store:
        store.record_mids([(sym, now_s - age * DAY_S, 1.0) for sym in ("BTC", "ETH", "SOL") for age in (40, 31, 5, 0)])
        await store.flush()
        await store.prune(now_ms=now_s * 1000)
        assert [t for t, _ in await store.mids("ETH", 0, 10**13)] == [(now_s - 5 * DAY_S) * 1000, now_s * 1000]
    assert sqlite3.connect(path).execute("SELECT count(*) FROM mid_samples").fetchone()[0] == 6


async def test_a_file_from_before_samples_reads_none(tmp_path):
    path = tmp_path / "v2.sqlite3"
    _v2_file(path)
    async with TraceStore(_cfg(path, read_only=True)) as store:
        assert await store.mids("BTC", 0, 10**13) == []
