"""Trace chains in the store: a story's first trace names it, later ones join it; the schema 4 migration."""

from __future__ import annotations

import sqlite3

from perps_desktop.core.models import Story, Trace, TraceQuery
from perps_desktop.store import TraceStore, TraceStoreConfig
from tests.unit.store.test_schema import V1

# The schema as version 2 left it (version 1's, frozen in test_schema, and the index on time), less
# the full-text index (the writer adds that when it is missing).
V2 = V1.replace("PRAGMA user_version = 1;", "CREATE INDEX traces_time ON traces (time_ms);\nPRAGMA user_version = 2;")


def _cfg(path, **kw) -> TraceStoreConfig:
    return TraceStoreConfig(path=path, retention_delay_s=3600.0, **kw)


def _v2_file(path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V2)
    conn.executemany("INSERT INTO traces (time_ms, kind, symbol, reason) VALUES (?, ?, ?, ?)",
                     [(1000 + i, "signal", "BTC", f"old {i}") for i in range(5)])
    conn.close()


async def test_a_story_is_named_by_its_first_trace_and_joined_by_later_ones_across_batches(tmp_path):
    async with TraceStore(_cfg(tmp_path / "t.sqlite3", batch_size=2)) as store:
        story = Story()
        store.record(Trace(kind="system", time_ms=1, reason="before"))          # no story: a chain of its own
        store.record(Trace(kind="signal", time_ms=2, symbol="BTC", story=story))
        store.record(Trace(kind="risk", time_ms=2, symbol="BTC", story=story))   # the same batch as its root
        await store.flush()
        assert story.id == 2
        store.record(Trace(kind="alert", time_ms=3, reason="unrelated"))
        store.record(Trace(kind="fill", time_ms=4, symbol="BTC", story=story))   # a later batch
        store.record(Trace(kind="order", time_ms=5, symbol="BTC", chain=2))      # by id, recorded elsewhere
        await store.flush()
        whole = await store.chain_of(5)
        assert [(t.id, t.kind, t.chain) for t in whole] == [(2, "signal", 2), (3, "risk", 2), (5, "fill", 2),
                                                           (6, "order", 2)]
        assert whole == await store.chain_of(2)
        assert [t.chain for t in await store.chain_of(1)] == [1]
        assert [t.id for t in await store.chain_of(4)] == [4]
        assert await store.chain_of(99) == ()
        page = await store.query(TraceQuery(chain=2))                             # newest first, like any page
        assert [t.id for t in page.traces] == [6, 5, 3, 2]


async def test_another_process_writing_the_file_takes_no_id_a_story_is_given(tmp_path):
    path = tmp_path / "t.sqlite3"
    async with TraceStore(_cfg(path)) as store:
        store.record(Trace(kind="system", time_ms=1))
        await store.flush()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("INSERT INTO traces (id, time_ms, kind, chain) VALUES (2, 0, 'other', 2)")
        other.close()
        story = Story()
        store.record(Trace(kind="signal", time_ms=2, story=story))
        store.record(Trace(kind="risk", time_ms=2, story=story))
        await store.flush()
        assert story.id == 3
        assert [(t.kind, t.chain) for t in await store.chain_of(4)] == [("signal", 3), ("risk", 3)]


async def test_a_version_2_file_migrates_to_4_and_its_old_traces_keep_no_chain(tmp_path):
    path = tmp_path / "v2.sqlite3"
    _v2_file(path)
    async with TraceStore(_cfg(path)) as store:
        assert store.stats().schema_version == 4
        old = await store.get(3)
        assert old is not None and old.chain is None and old.reason == "old 2"
        assert [t.id for t in await store.chain_of(3)] == [3]                     # a story of its own
        story = Story()
        store.record(Trace(kind="signal", time_ms=2000, story=story))
        store.record(Trace(kind="order", time_ms=2001, story=story))
        await store.flush()
        assert [(t.id, t.chain) for t in await store.chain_of(7)] == [(6, 6), (7, 6)]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM traces WHERE chain IS NULL").fetchone()[0] == 5
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"traces_chain", "mid_samples"} <= tables
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_a_version_2_file_opened_read_only_is_read_as_it_is(tmp_path):
    path = tmp_path / "v2.sqlite3"
    _v2_file(path)
    async with TraceStore(_cfg(path, read_only=True)) as store:
        page = await store.query(TraceQuery(limit=10))
        assert len(page.traces) == 5 and all(t.chain is None for t in page.traces)
        assert [t.reason for t in await store.chain_of(2)] == ["old 1"]
        assert [t.id for t in (await store.query(TraceQuery(chain=4))).traces] == [4]
        assert (await store.get(1)).chain is None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2   # untouched


def test_a_failed_insert_forgets_the_story_ids_it_gave_so_the_retry_names_them_anew():
    from perps_desktop.store.chain_ids import with_chains

    story, known = Story(), Story(7)
    rows = [("a",), ("b",), ("c",), ("d",)]
    try:
        with with_chains(rows, [story, story, known, None], [10, 11, 12, 13]) as full:
            assert [r[:2] for r in full] == [(10, 10), (11, 10), (12, 7), (13, 13)]
            raise OSError("disk full")
    except OSError:
        pass
    assert story.id == 0 and known.id == 7
    with with_chains(rows, [story, 3, story, None], [20, 21, 22, 23]) as full:
        assert [r[:2] for r in full] == [(20, 20), (21, 3), (22, 20), (23, 23)]
    assert story.id == 20
