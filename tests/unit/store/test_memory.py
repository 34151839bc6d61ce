"""The store's SQLite memory is a fixed budget: page caches fill to their size and stop there."""

from __future__ import annotations

import ctypes
import ctypes.util
import sqlite3
from collections.abc import Callable

import pytest

from perps_desktop.core.models import Trace
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.store.schema import open_reader, open_writer


def _cfg(path, **kw) -> TraceStoreConfig:
    return TraceStoreConfig(path=path, retention_delay_s=3600.0, check_on_open=False, **kw)


def test_each_connection_gets_its_page_cache_budget_in_kib(tmp_path):
    cfg = _cfg(tmp_path / "t.sqlite3", writer_cache_kib=3000, reader_cache_kib=700)
    writer, _ = open_writer(cfg)
    reader, _ = open_reader(cfg)
    try:
        assert writer.execute("PRAGMA cache_size").fetchone()[0] == -3000      # negative: KiB
        assert reader.execute("PRAGMA cache_size").fetchone()[0] == -700
        assert reader.execute("PRAGMA mmap_size").fetchone()[0] == 268_435_456  # reads come from the map
    finally:
        reader.close()
        writer.close()


def test_the_default_budget_is_small(tmp_path):
    cfg = _cfg(tmp_path / "t.sqlite3")
    assert cfg.writer_cache_kib + cfg.read_threads * cfg.reader_cache_kib <= 16_000


def _sqlite_memory_used() -> Callable[[], int] | None:
    """sqlite3_memory_used() of the library Python's sqlite3 runs on, or None where it cannot be had."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.sqlite3_libversion.restype = ctypes.c_char_p
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        return None                   # another copy than the one the module links
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib.sqlite3_memory_used  # type: ignore[no-any-return]


async def test_writing_a_file_many_times_the_budget_keeps_sqlite_memory_within_it(tmp_path):
    memory_used = _sqlite_memory_used()
    if memory_used is None:
        pytest.skip("SQLite's own library is not reachable here")
    budget_kib = 500
    cfg = _cfg(tmp_path / "t.sqlite3", writer_cache_kib=budget_kib, batch_size=500, queue_max=50_000)
    async with TraceStore(cfg) as store:
        store.record(Trace(kind="signal", time_ms=1, symbol="BTC", reason="first"))
        await store.flush()
        base = memory_used()
        if base == 0:
            pytest.skip("this SQLite keeps no memory statistics (SQLITE_DEFAULT_MEMSTATUS=0)")
        for i in range(30_000):       # a file many times the writer's budget (checked below)
            store.record(Trace(kind="signal", time_ms=1000 + i, symbol=f"S{i % 50}", strategy="mem",
                               reason=f"trace number {i} of the memory test", payload={"i": i, "pad": "x" * 120}))
        await store.flush()
        grown = memory_used() - base
        size = cfg.path.stat().st_size + cfg.path.with_name(cfg.path.name + "-wal").stat().st_size
    assert size > 8 * budget_kib * 1024
    # the writer's page cache holds at most its budget; before, it kept every page it wrote
    assert grown < budget_kib * 1024 + 1_500_000, f"SQLite memory grew {grown / 1e6:.1f} MB ({size / 1e6:.1f} MB file)"
