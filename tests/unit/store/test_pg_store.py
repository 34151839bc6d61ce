"""TraceStore on a real PostgreSQL server (the session's `pg_server`): the SQLite store's behaviour."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from typing import Any

import psycopg
import pytest

from perps_desktop.cli import main
from perps_desktop.core.models import Story, Trace, TraceQuery
from perps_desktop.errors import SchemaTooNew, StoreError
from perps_desktop.store import TraceStore, TraceStoreConfig, pg_schema
from perps_desktop.store.codec import ZSTD_MAGIC
from perps_desktop.store.pg_reader import tsquery_expression
from perps_desktop.store.pg_schema import PG_SCHEMA_VERSION
from perps_desktop.store.schema import INSERT_COLUMNS

NOW = 1_750_000_000_000


def _config(url: str, tmp_path: Any, **kw: Any) -> TraceStoreConfig:
    base = {"path": tmp_path / "unused.sqlite3", "url": url, "batch_flush_ms": 60_000, "retention_delay_s": 3600.0}
    base.update(kw)
    return TraceStoreConfig(**base)


def _trace(i: int, **kw: Any) -> Trace:
    values = {"kind": ("signal", "risk", "order")[i % 3], "time_ms": NOW + i, "symbol": ("BTC", "ETH")[i % 2],
              "strategy": f"s{i % 4}", "side": "B", "size": 0.5 + i, "price": 65000.0 + i, "decision": "approve",
              "reason": f"breakout number {i}", "latency_ms": 1.25, "payload": {"i": i}}
    values.update(kw)
    return Trace(**values)


def _sql(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


async def test_traces_read_back_equal_payloads_compressed_over_the_threshold(pg_url, tmp_path):
    small = _trace(0, payload={"note": "small", "px": [1.5, 2.5]})
    big = _trace(1, payload={"features": {f"f{i}": i * 0.123456789 for i in range(200)}})
    empty = _trace(2, payload=None, symbol=None, strategy=None, side=None, size=None, price=None, decision=None,
                   latency_ms=None, reason="")
    async with TraceStore(_config(pg_url, tmp_path, bot="box/0x12ab..cdef")) as store:
        for t in (small, big, empty):
            store.record(t)
        await store.flush()
        got = await store.get_many([1, 2, 3])
        assert got == {i + 1: replace(t, id=i + 1, bot="box/0x12ab..cdef", chain=i + 1)
                       for i, t in enumerate((small, big, empty))}
        assert await store.get(99) is None
        page = await store.query(TraceQuery(limit=10))
        assert [t.id for t in page.traces] == [3, 2, 1] and all(t.payload is None for t in page.traces)   # lazy
        assert store.stats().path == pg_url and store.stats().schema_version == PG_SCHEMA_VERSION
    blobs = dict(await asyncio.to_thread(_sql, pg_url, "SELECT id, payload FROM traces"))
    assert blobs[2][:4] == ZSTD_MAGIC and blobs[1][:1] == b"{" and blobs[3] is None


async def test_queries_filter_by_bot_and_text_search_treats_its_syntax_as_plain_text(pg_url, tmp_path):
    async with TraceStore(_config(pg_url, tmp_path, bot="a")) as store:
        for i in range(60):
            store.record(_trace(i, bot="" if i % 5 else "b"))
        store.record(_trace(60, reason="funding spike on ETH-PERP", symbol="ETH"))
        await store.flush()
        bots = await store.query(TraceQuery(bot="b", limit=100, count_total=True))
        assert bots.total == 12 and {t.bot for t in bots.traces} == {"b"}
        assert len((await store.query(TraceQuery(text="fund", symbol="ETH"))).traces) == 0    # words, not prefixes
        assert (await store.query(TraceQuery(text="it's | ! & (:*"))).traces == ()
        several = await store.query_many([TraceQuery(symbol="BTC", limit=1), TraceQuery(bot="b", limit=1)])
        assert [p.traces[0].time_ms - NOW for p in several] == [58, 55]


def test_search_text_becomes_a_quoted_tsquery():
    assert tsquery_expression("Funding spike*") == "'Funding' & 'spike':*"
    assert tsquery_expression("it's a\\b") == "'it s' & 'a b'"
    assert tsquery_expression("  * ") is None


async def test_retention_deletes_old_traces(pg_url, tmp_path):
    day = 86_400_000
    async with TraceStore(_config(pg_url, tmp_path, retention_days=1, batch_size=500)) as store:
        for i in range(3000):
            store.record(_trace(i, time_ms=NOW - 3 * day + i, payload={"pad": random.randbytes(200).hex()}))
        for i in range(10):
            store.record(_trace(i, time_ms=NOW - 1000 + i, reason=f"fresh {i}"))
        await store.flush()
        assert await store.get(5) is not None
        assert await store.prune(now_ms=NOW) == 3000
        assert await store.get(5) is None
        assert (await store.query(TraceQuery(count_total=True))).total == 10
        assert len((await store.query(TraceQuery(text="breakout"))).traces) == 0
        assert await store.prune(now_ms=NOW) == 0
        assert store.stats().pruned == 3000


async def test_the_table_holds_every_column_the_codec_writes(pg_url, tmp_path):
    async with TraceStore(_config(pg_url, tmp_path)):
        pass
    columns = {r[0] for r in await asyncio.to_thread(
        _sql, pg_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'traces'")}
    assert set(INSERT_COLUMNS.split(", ")) | {"id", "chain", "reason_tsv"} == columns


async def test_stories_chain_on_postgresql_as_on_sqlite(pg_url, tmp_path):
    async with TraceStore(_config(pg_url, tmp_path)) as store:
        story = Story()
        store.record(_trace(0, story=story))
        store.record(_trace(1))                                  # a chain of its own
        store.record(_trace(2, story=story))
        await store.flush()
        store.record(_trace(3, story=story))                      # a later batch joins it
        await store.flush()
        chain = await store.chain_of(4)
        assert [(t.id, t.chain) for t in chain] == [(1, 1), (3, 1), (4, 1)] and story.id == 1
        assert [t.chain for t in await store.chain_of(2)] == [2]
        assert [t.id for t in (await store.query(TraceQuery(chain=1))).traces] == [4, 3, 1]


async def test_a_version_1_database_migrates_to_chains_its_old_traces_keep_none(pg_url, tmp_path):
    def make_v1() -> None:
        with psycopg.connect(pg_url) as conn:
            for statement in pg_schema._V1:
                conn.execute(statement)
            conn.execute("CREATE TABLE perps_desktop_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO perps_desktop_schema VALUES (1)")
            conn.execute("INSERT INTO traces (time_ms, kind, reason) VALUES (1, 'signal', 'old')")
    await asyncio.to_thread(make_v1)
    async with TraceStore(_config(pg_url, tmp_path, read_only=True)) as old:       # read as it is
        assert [(t.reason, t.chain) for t in await old.chain_of(1)] == [("old", None)]
    async with TraceStore(_config(pg_url, tmp_path)) as store:
        assert store.stats().schema_version == PG_SCHEMA_VERSION == 2
        (t,) = (await store.query(TraceQuery())).traces
        assert t.reason == "old" and t.chain is None
        store.record(_trace(0, story=Story()))
        await store.flush()
        (new,) = (await store.query(TraceQuery(kind="signal", text="breakout"))).traces
        assert new.chain == new.id == 2


async def test_two_stores_opening_together_migrate_once(pg_url, tmp_path):
    stores = [TraceStore(_config(pg_url, tmp_path, bot=f"bot{i}")) for i in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    for i, s in enumerate(stores):
        s.record(_trace(i))
    await asyncio.gather(*(s.aclose() for s in stores))
    assert await asyncio.to_thread(_sql, pg_url, "SELECT version FROM perps_desktop_schema") == [(PG_SCHEMA_VERSION,)]
    rows = await asyncio.to_thread(_sql, pg_url, "SELECT bot FROM traces ORDER BY bot")
    assert rows == [("bot0",), ("bot1",), ("bot2",), ("bot3",)]


async def test_a_newer_schema_and_a_foreign_traces_table_are_refused(pg_server, tmp_path):
    newer = await asyncio.to_thread(pg_server.create_database, "newer_schema")
    async with TraceStore(_config(newer, tmp_path)):
        pass
    await asyncio.to_thread(_sql, newer, "UPDATE perps_desktop_schema SET version = version + 1")
    for read_only in (False, True):
        with pytest.raises(SchemaTooNew, match="newer perps-desktop"):
            async with TraceStore(_config(newer, tmp_path, read_only=read_only)):
                pass
    foreign = await asyncio.to_thread(pg_server.create_database, "foreign_traces")
    await asyncio.to_thread(_sql, foreign, "CREATE TABLE traces (x int)")
    with pytest.raises(StoreError, match="did not make"):
        async with TraceStore(_config(foreign, tmp_path)):
            pass


async def test_a_read_only_store_reads_and_refuses_records(pg_url, tmp_path):
    async with TraceStore(_config(pg_url, tmp_path)) as store:
        store.record(_trace(1))
    async with TraceStore(_config(pg_url, tmp_path, read_only=True)) as reader:
        assert [t.time_ms for t in (await reader.query(TraceQuery())).traces] == [NOW + 1]
        reader.record(_trace(2))
        assert reader.stats().dropped == 1
        with pytest.raises(StoreError):
            await reader.prune()


def test_the_traces_command_reads_a_postgresql_database(pg_url, tmp_path, capsys):
    async def fill() -> None:
        async with TraceStore(_config(pg_url, tmp_path, bot="box/0x12ab..cdef")) as store:
            for i in range(7):
                store.record(_trace(i))
    asyncio.run(fill())
    assert main(["traces", "--db", pg_url, "--format", "json", "--symbol", "BTC"]) == 0
    import orjson
    rows = orjson.loads(capsys.readouterr().out)
    assert [r["time_ms"] - NOW for r in rows] == [6, 4, 2, 0]
    assert {r["bot"] for r in rows} == {"box/0x12ab..cdef"} and rows[0]["payload"] == {"i": 6}
    assert main(["traces", "--db", pg_url, "--bot", "nobody"]) == 0
    assert "(no traces match)" in capsys.readouterr().out


def test_an_empty_database_is_reported_by_the_traces_command(pg_url, capsys):
    assert main(["traces", "--db", pg_url]) == 1
    assert "is empty" in capsys.readouterr().err


async def test_alerts_name_the_database_without_its_password(pg_server, tmp_path):
    url = pg_server.url().replace("postgres@", "postgres:s3cret@")
    cfg = _config(url, tmp_path)
    assert "s3cret" not in cfg.where and ":***@" in cfg.where
    async with TraceStore(cfg) as store:       # trust auth: the password is not checked
        assert "s3cret" not in store.stats().path
    in_query = _config(pg_server.url() + "?sslmode=disable&password=s3cret", tmp_path)
    assert "s3cret" not in in_query.where and "sslmode=disable" in in_query.where
