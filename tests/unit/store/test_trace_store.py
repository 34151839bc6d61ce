"""TraceStore on a real SQLite file: writes, reads, caches, faults, retention and lifecycle."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from perps_desktop.config import load_settings
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import Alert, Severity, Trace, TraceQuery
from perps_desktop.errors import StoreError
from perps_desktop.store import StoreState, TraceStore, TraceStoreConfig, decode_payload
from tests.helpers import wait_until

NOW = 1_750_000_000_000


def _config(tmp_path: Path, **kw) -> TraceStoreConfig:
    base = {"path": tmp_path / "traces.sqlite3", "batch_flush_ms": 60_000, "retention_delay_s": 3600.0}
    base.update(kw)
    return TraceStoreConfig(**base)


@pytest.fixture(params=["sqlite", "postgresql"])
def config_of(request, tmp_path):
    """`config_of(**kw)`: `_config` for the SQLite file or (a fresh database on the session's)
    PostgreSQL: the tests taking it hold both backends to the same behaviour."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return lambda **kw: _config(tmp_path, url=url, **kw)


def _trace(i: int, **kw) -> Trace:
    values = {"kind": ("signal", "risk", "order")[i % 3], "time_ms": NOW + i, "symbol": ("BTC", "ETH")[i % 2],
              "strategy": f"s{i % 4}", "side": "B", "size": 0.5 + i, "price": 65000.0 + i, "decision": "approve",
              "reason": f"breakout number {i}", "latency_ms": 1.25, "payload": {"i": i}}
    values.update(kw)
    return Trace(**values)


def _page_count(path: Path) -> int:
    return sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]


def _stored(t: Trace, trace_id: int) -> Trace:
    return replace(t, id=trace_id, chain=trace_id)      # recorded with no story: a chain of its own


async def test_traces_read_back_equal_with_payloads_under_and_over_1kb(tmp_path):
    small = _trace(0, payload={"note": "small", "px": [1.5, 2.5]})
    big = _trace(1, payload={"features": {f"f{i}": i * 0.123456789 for i in range(200)}})
    empty = _trace(2, payload=None, symbol=None, strategy=None, side=None, size=None, price=None, decision=None,
                   latency_ms=None, reason="")
    async with TraceStore(_config(tmp_path)) as store:
        for t in (small, big, empty):
            store.record(t)
        await store.flush()
        got = await store.get_many([1, 2, 3])
        assert got == {1: _stored(small, 1), 2: _stored(big, 2), 3: _stored(empty, 3)}
        assert await store.get(2) == _stored(big, 2)
        assert await store.get(99) is None
        page = await store.query(TraceQuery(limit=10))
    assert [t.id for t in page.traces] == [3, 2, 1]                    # newest first
    assert all(t.payload is None for t in page.traces)                 # lazy: bytes only
    assert [decode_payload(t) for t in page.traces] == [None, big.payload, small.payload]
    raw = sqlite3.connect(tmp_path / "traces.sqlite3").execute("SELECT id, payload FROM traces").fetchall()
    assert raw[0][1][:1] == b"{" and raw[1][1][:4] == b"\x28\xb5\x2f\xfd"   # only the big one compressed
    assert len(raw[1][1]) < len(str(big.payload)) / 2


async def test_a_table_view_can_leave_payloads_out(tmp_path):
    async with TraceStore(_config(tmp_path)) as store:
        store.record(_trace(0))
        await store.flush()
        page = await store.query(TraceQuery(with_payload=False))
        assert page.traces[0].payload is None and page.traces[0].payload_blob is None
        assert page.traces[0].reason == "breakout number 0"
        assert (await store.get(page.traces[0].id)).payload == {"i": 0}


async def test_eager_payloads_when_lazy_is_off(tmp_path):
    async with TraceStore(_config(tmp_path, lazy_payload=False)) as store:
        store.record(_trace(0))
        await store.flush()
        page = await store.query(TraceQuery())
    assert page.traces[0].payload == {"i": 0} and page.traces[0].payload_blob is None


async def test_close_commits_every_queued_trace(config_of):
    cfg = config_of(batch_size=5000)                  # nothing reaches a full batch or the 60 s timer
    store = TraceStore(cfg)
    await store.open()
    for i in range(2345):
        store.record(_trace(i))
    assert store.stats().flushed == 0
    await store.aclose()
    stats = store.stats()
    assert (stats.recorded, stats.flushed, stats.queued, stats.dropped) == (2345, 2345, 0, 0)
    async with TraceStore(replace(cfg, read_only=True)) as reader:
        assert (await reader.query(TraceQuery(limit=1, count_total=True))).total == 2345
    await store.aclose()                               # idempotent
    assert store.state is StoreState.CLOSED


async def test_full_batches_commit_without_a_flush_and_partial_ones_on_the_timer(config_of):
    async with TraceStore(config_of(batch_size=10, batch_flush_ms=50)) as store:
        for i in range(25):
            store.record(_trace(i))
        await wait_until(lambda: store.stats().flushed == 25)
        assert store.stats().batches == 3                # 10 + 10 by size, 5 by the timer


async def test_a_full_queue_counts_drops_and_alerts_once(config_of):
    alerts: list[Alert] = []
    async with TraceStore(config_of(queue_max=10, batch_size=1000), on_alert=alerts.append) as store:
        for i in range(25):
            store.record(_trace(i))
        stats = store.stats()
        assert (stats.recorded, stats.dropped, stats.queued) == (10, 15, 10)
        assert [a.key for a in alerts] == ["trace_store.dropped"]
        assert alerts[0].severity is Severity.WARNING
        await store.flush()
    assert store.stats().flushed == 10
    store.record(_trace(99))                           # after close: refused and counted, never silent
    assert store.stats().dropped == 16


async def test_a_locked_database_is_retried_with_backoff_and_alerts(tmp_path):
    alerts: list[Alert] = []
    cfg = _config(tmp_path, busy_timeout_ms=20, retry_base_s=0.01, retry_cap_s=0.05)
    async with TraceStore(cfg, on_alert=alerts.append) as store:
        blocker = sqlite3.connect(cfg.path, isolation_level=None, timeout=5)
        blocker.execute("BEGIN IMMEDIATE")             # another writer holds the lock
        for i in range(5):
            store.record(_trace(i))
        flushed = asyncio.ensure_future(store.flush())
        await wait_until(lambda: store.stats().write_retries >= 2)
        assert store.stats().write_failing and "locked" in (store.stats().last_error or "")
        assert not flushed.done()
        assert alerts and alerts[0].key == "trace_store.write_failing" and alerts[0].severity is Severity.ERROR
        blocker.execute("ROLLBACK")
        blocker.close()
        await asyncio.wait_for(flushed, 10)
        assert store.stats().flushed == 5 and not store.stats().write_failing
        assert alerts[-1].key == "trace_store.write_recovered"


async def test_queries_filter_by_symbol_kind_strategy_time_and_text_with_paging(config_of):
    async with TraceStore(config_of()) as store:
        for i in range(60):
            store.record(_trace(i))
        store.record(_trace(60, reason="funding spike on ETH-PERP", symbol="ETH"))
        await store.flush()
        by_symbol = await store.query(TraceQuery(symbol="BTC", limit=5, count_total=True))
        assert by_symbol.total == 30 and [t.time_ms - NOW for t in by_symbol.traces] == [58, 56, 54, 52, 50]
        page2 = await store.query(TraceQuery(symbol="BTC", limit=5, offset=5))
        assert [t.time_ms - NOW for t in page2.traces] == [48, 46, 44, 42, 40] and page2.offset == 5
        kinds = await store.query(TraceQuery(kind="risk", strategy="s1", limit=100))
        assert {(t.kind, t.strategy) for t in kinds.traces} == {("risk", "s1")} and len(kinds.traces) == 5
        window = await store.query(TraceQuery(since_ms=NOW + 10, until_ms=NOW + 20, limit=100))
        assert sorted(t.time_ms - NOW for t in window.traces) == list(range(10, 20))
        text = await store.query(TraceQuery(text="funding spike"))
        assert [t.reason for t in text.traces] == ["funding spike on ETH-PERP"]
        prefix = await store.query(TraceQuery(text="fund*", symbol="ETH"))
        assert len(prefix.traces) == 1
        assert (await store.query(TraceQuery(text='number "7'))).traces[0].reason == "breakout number 7"
        assert store.full_text


async def test_reads_come_from_the_lru_and_query_pages_go_stale_on_commit(tmp_path):
    caches = CacheRegistry()
    async with TraceStore(_config(tmp_path), caches=caches) as store:
        store.record(_trace(0))
        await store.flush()
        first = await store.get(1)
        assert await store.get(1) is first
        by_id = caches.get("traces.by_id")
        assert by_id is not None and by_id.hits == 1 and by_id.maxsize == 500
        q = TraceQuery(symbol="BTC")
        assert len((await store.query(q)).traces) == 1
        assert len((await store.query(q)).traces) == 1
        assert caches.get("traces.pages").hits == 1
        store.record(_trace(2))                        # another BTC trace: the cached page is stale now
        await store.flush()
        assert len((await store.query(q)).traces) == 2


async def test_without_a_cache_every_read_goes_to_sqlite(tmp_path):
    async with TraceStore(_config(tmp_path).unoptimised()) as store:
        store.record(_trace(0))
        await store.flush()
        assert await store.get(1) == await store.get(1)
        assert await store.get(1) is not await store.get(1)


async def test_retention_deletes_old_traces_and_gives_the_space_back(tmp_path):
    cfg = _config(tmp_path, retention_days=1, batch_size=500)
    day = 86_400_000
    async with TraceStore(cfg) as store:
        for i in range(3000):
            store.record(_trace(i, time_ms=NOW - 3 * day + i, payload={"pad": random.randbytes(800).hex(), "i": i}))
        for i in range(10):
            store.record(_trace(i, time_ms=NOW - 1000 + i, reason=f"fresh {i}"))
        await store.flush()
        old = await store.get(5)
        assert old is not None
        pages_before = _page_count(cfg.path)
        assert await store.prune(now_ms=NOW) == 3000
        assert await store.get(5) is None              # the LRU forgot it too
        page = await store.query(TraceQuery(limit=100, count_total=True))
        assert page.total == 10
        assert len((await store.query(TraceQuery(text="breakout"))).traces) == 0   # FTS entries went too
        assert len((await store.query(TraceQuery(text="fresh"))).traces) == 10
        assert await store.prune(now_ms=NOW) == 0
    conn = sqlite3.connect(cfg.path)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert _page_count(cfg.path) < pages_before / 4
    conn.execute("INSERT INTO traces_fts (traces_fts) VALUES ('integrity-check')")


async def test_a_store_opens_once_and_refuses_reads_when_closed(tmp_path):
    store = TraceStore(_config(tmp_path))
    async with store:
        with pytest.raises(RuntimeError):
            await store.open()
    with pytest.raises(StoreError):
        await store.get(1)
    await store.flush()                                # nothing to do: close already wrote everything


async def test_read_only_store_reads_and_refuses_records(tmp_path):
    cfg = _config(tmp_path)
    async with TraceStore(cfg) as store:
        store.record(_trace(0))
    async with TraceStore(replace(cfg, read_only=True)) as ro:
        assert (await ro.get(1)) == _stored(_trace(0), 1)
        ro.record(_trace(1))
        assert ro.stats().dropped == 1
        with pytest.raises(StoreError):
            await ro.prune()
    with pytest.raises(StoreError, match="no trace database"):
        async with TraceStore(replace(cfg, path=tmp_path / "missing.sqlite3", read_only=True)):
            pass


def test_config_from_settings_and_the_unoptimised_before_side(tmp_path):
    settings = load_settings(db_path=str(tmp_path / "x.sqlite3"), trace_batch_size=50, trace_cache_size=7)
    cfg = TraceStoreConfig.from_settings(settings)
    assert (cfg.path, cfg.batch_size, cfg.cache_size, cfg.batch_flush_ms) == (tmp_path / "x.sqlite3", 50, 7, 5000)
    assert (cfg.journal_mode, cfg.synchronous, cfg.statement_cache, cfg.lazy_payload) == ("wal", "normal", 128, True)
    before = cfg.unoptimised()
    assert (before.batch_size, before.journal_mode, before.synchronous, before.cache_size, before.statement_cache,
            before.lazy_payload) == (1, "delete", "full", 0, 0, False)


async def test_the_unoptimised_store_really_uses_sqlites_defaults(tmp_path):
    cfg = _config(tmp_path).unoptimised()
    async with TraceStore(cfg) as store:
        store.record(_trace(0))
        await store.flush()
        assert store.stats().flushed == 1
    assert sqlite3.connect(cfg.path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


async def test_the_text_index_is_merged_while_idle_not_inside_commits(tmp_path):
    cfg = _config(tmp_path)
    async with TraceStore(cfg) as store:
        for i in range(40):                           # 40 small commits, each adds an index segment
            for j in range(3):
                store.record(_trace(i * 3 + j, reason=f"alpha beta w{i}"))
            await store.flush()
        hits = await store.query(TraceQuery(text="alpha beta", limit=1000))
    assert len(hits.traces) == 120
    conn = sqlite3.connect(cfg.path)
    assert conn.execute("SELECT v FROM traces_fts_config WHERE k = 'automerge'").fetchone() == (0,)
    # merged between commits: without the idle merges these 40 commits leave 10 segments
    assert conn.execute("SELECT count(DISTINCT segid) FROM traces_fts_idx").fetchone()[0] <= 4
    conn.execute("INSERT INTO traces_fts (traces_fts) VALUES ('integrity-check')")


async def test_maintain_merges_the_text_index_and_checkpoints_now(tmp_path):
    cfg = _config(tmp_path)
    async with TraceStore(cfg) as store:
        for i in range(6):                            # fewer commits than the idle merge waits for
            store.record(_trace(i, reason=f"gamma w{i}"))
            await store.flush()
            assert len((await store.query(TraceQuery(text=f"w{i}"))).traces) == 1   # indexed now: a segment
        conn = sqlite3.connect(cfg.path)
        segments = conn.execute("SELECT count(DISTINCT segid) FROM traces_fts_idx").fetchone()[0]
        assert segments >= 4                          # one per indexing, nothing merged yet
        await store.maintain()
        assert conn.execute("SELECT count(DISTINCT segid) FROM traces_fts_idx").fetchone()[0] < segments
        assert len((await store.query(TraceQuery(text="gamma", limit=100))).traces) == 6
        conn.close()


async def test_a_text_search_finds_what_was_committed_a_moment_ago(tmp_path):
    async with TraceStore(_config(tmp_path)) as store:
        for round_ in range(5):                       # the index is brought up to date off the commit path
            store.record(_trace(round_, reason=f"delta round{round_}"))
            await store.flush()
            hits = await store.query(TraceQuery(text=f"round{round_}", limit=10))
            assert [t.reason for t in hits.traces] == [f"delta round{round_}"]


def _unindex(path: Path, ids: list[int]) -> None:
    """Take traces out of the full-text index, as a process killed before indexing them leaves it."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO traces_fts (traces_fts, rowid, reason) "
                         "SELECT 'delete', id, reason FROM traces WHERE id = ?", [(i,) for i in ids])
    conn.close()


@pytest.mark.parametrize("missing", ["tail", "middle"])
async def test_a_file_whose_text_index_lags_is_caught_up_at_open(tmp_path, missing):
    cfg = _config(tmp_path)
    async with TraceStore(cfg) as store:
        for i in range(30):
            store.record(_trace(i, reason=f"epsilon n{i}"))
    ids = list(range(26, 31)) if missing == "tail" else list(range(10, 15))
    _unindex(cfg.path, ids)
    async with TraceStore(cfg) as store:
        hits = await store.query(TraceQuery(text="epsilon", limit=100))
        assert len(hits.traces) == 30
        assert len((await store.query(TraceQuery(text=f"n{ids[0] - 1}", limit=10))).traces) == 1
    conn = sqlite3.connect(cfg.path)
    # rank 1: the index is checked against the table, row by row (it raises if one is missing)
    conn.execute("INSERT INTO traces_fts (traces_fts, rank) VALUES ('integrity-check', 1)")
    assert conn.execute("SELECT count(*) FROM traces_fts_docsize").fetchone()[0] == 30
    conn.close()
