"""Schema versions: a newer app migrates an older file; an older app refuses a newer one; bad files are named."""

from __future__ import annotations

import sqlite3

import pytest

from perps_desktop.core.models import Trace, TraceQuery
from perps_desktop.errors import SchemaTooNew, StoreCorrupt, StoreError
from perps_desktop.store import SCHEMA_VERSION, TraceStore, TraceStoreConfig

# The schema exactly as version 1 wrote it (frozen here, so changing the migrations cannot change the fixture).
V1 = """
PRAGMA auto_vacuum = INCREMENTAL;
PRAGMA journal_mode = WAL;
CREATE TABLE traces (
    id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, symbol TEXT, strategy TEXT,
    side TEXT, size REAL, price REAL, decision TEXT, reason TEXT NOT NULL DEFAULT '', latency_ms REAL,
    payload BLOB);
CREATE INDEX traces_symbol_time ON traces (symbol, time_ms);
CREATE INDEX traces_kind_time ON traces (kind, time_ms);
CREATE INDEX traces_strategy_time ON traces (strategy, time_ms);
PRAGMA application_id = 1346655314;
PRAGMA user_version = 1;
"""


def _cfg(path, **kw) -> TraceStoreConfig:
    return TraceStoreConfig(path=path, retention_delay_s=3600.0, **kw)


async def test_a_version_1_file_is_migrated_and_keeps_its_traces(tmp_path):
    assert SCHEMA_VERSION == 4
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1)
    conn.executemany("INSERT INTO traces (time_ms, kind, symbol, reason, payload) VALUES (?, ?, ?, ?, ?)",
                     [(1000 + i, "signal", "BTC", f"old reason {i}", b'{"v":1}') for i in range(20)])
    conn.close()
    async with TraceStore(_cfg(path)) as store:
        stats = store.stats()
        assert stats.schema_version == 4 and stats.full_text
        assert (await store.get(3)).payload == {"v": 1}
        hits = await store.query(TraceQuery(text="reason", limit=100))
        assert len(hits.traces) == 20                              # the FTS index was built from the old rows
        store.record(Trace(kind="risk", time_ms=5000, symbol="BTC", reason="new reason"))
        await store.flush()
        assert len((await store.query(TraceQuery(text="new"))).traces) == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    indices = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"traces_symbol_time", "traces_kind_time", "traces_strategy_time", "traces_time",
            "traces_bot_time"} <= indices
    assert conn.execute("SELECT DISTINCT bot FROM traces").fetchall() == [("",)]   # old rows: no bot
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_a_file_from_a_newer_version_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "new.sqlite3"
    async with TraceStore(_cfg(path)) as store:
        store.record(Trace(kind="signal", time_ms=1))
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew) as err:
        async with TraceStore(_cfg(path)):
            pass
    text = str(err.value)
    assert str(path) in text and f"version {SCHEMA_VERSION + 1}" in text and "newer perps-desktop" in text
    with pytest.raises(SchemaTooNew):                              # the read-only CLI path refuses it too
        async with TraceStore(_cfg(path, read_only=True)):
            pass
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1  # untouched


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_file_that_is_not_sqlite_is_reported_with_its_path(tmp_path, read_only):
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes\n" * 200)
    with pytest.raises(StoreCorrupt) as err:
        async with TraceStore(_cfg(path, read_only=read_only)):
            pass
    assert err.value.path == str(path) and str(path) in str(err.value)


async def test_a_damaged_database_is_reported_at_open(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    async with TraceStore(_cfg(path, batch_size=500)) as store:
        for i in range(3000):
            store.record(Trace(kind="signal", time_ms=i, symbol=f"S{i % 40}", reason=f"r {i}", payload={"i": i}))
    data = bytearray(path.read_bytes())
    page = 4096
    for n in range(3, len(data) // page, 3):                       # scribble over a third of the b-tree pages
        data[n * page:n * page + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt) as err:
        async with TraceStore(_cfg(path)):
            pass
    assert str(path) in str(err.value)


async def test_an_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a perps-desktop trace database"):
        async with TraceStore(_cfg(path)):
            pass


async def test_without_a_full_text_index_text_search_falls_back_to_like(tmp_path):
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1)
    conn.executemany("INSERT INTO traces (time_ms, kind, reason) VALUES (?, ?, ?)",
                     [(1, "risk", "size capped at 50%"), (2, "risk", "size 500 ok"), (3, "risk", "other")])
    conn.close()
    async with TraceStore(_cfg(path, read_only=True)) as store:   # read-only: no migration, no FTS
        assert not store.full_text
        assert [t.id for t in (await store.query(TraceQuery(text="50%"))).traces] == [1]
        assert [t.id for t in (await store.query(TraceQuery(text="SIZE"))).traces] == [2, 1]
