"""The PostgreSQL trace store when its server is down at start, goes away mid-run, and comes back."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import psycopg
import pytest

from perps_desktop.bench.pg_server import LocalPostgres
from perps_desktop.core.models import Alert, Severity, Trace, TraceQuery
from perps_desktop.errors import ConfigError, StoreError
from perps_desktop.store import TraceStore, TraceStoreConfig
from tests.helpers import wait_until


@pytest.fixture
def own_server():
    """A server of this test's own, which it may stop and start again (same port)."""
    server = LocalPostgres()
    try:
        yield server.start()
    finally:
        server.close()


def _nothing_listens() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/traces"


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM traces").fetchone()
    return int(row[0]) if row else 0


def test_a_server_down_at_start_is_one_line_and_exit_2(tmp_path):
    url = _nothing_listens()
    run = subprocess.run([sys.executable, "-m", "perps_desktop", "headless", "--db", url, "--duration", "30"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("perps-desktop")]
    assert len(errors) == 1 and errors[0].startswith("perps-desktop: PERPS_DB_PATH=")
    assert url in errors[0] and "PostgreSQL server" in errors[0] and "refused" in errors[0]


async def test_opening_a_store_on_a_server_that_is_down_names_the_database(tmp_path):
    url = _nothing_listens().replace("postgres@", "postgres:hunter2@")
    with pytest.raises(ConfigError) as err:
        async with TraceStore(TraceStoreConfig(path=tmp_path / "x", url=url)):
            pass
    assert "127.0.0.1" in str(err.value) and "hunter2" not in str(err.value)


async def test_a_lost_server_queues_retries_alerts_and_a_restart_loses_nothing(own_server, tmp_path):
    url = own_server.url()
    alerts: list[Alert] = []
    cfg = TraceStoreConfig(path=tmp_path / "x", url=url, batch_size=10, batch_flush_ms=50, queue_max=100,
                           retry_base_s=0.02, retry_cap_s=0.2, retention_delay_s=3600.0)
    async with TraceStore(cfg, on_alert=alerts.append) as store:
        for i in range(30):
            store.record(Trace(kind="risk", time_ms=1000 + i, reason=f"before {i}"))
        await store.flush()
        assert store.stats().flushed == 30
        assert len((await store.query(TraceQuery(text="before"))).traces) == 30

        await asyncio.to_thread(own_server.stop, mode="immediate")     # a crash: connections cut
        for i in range(130):         # up to 100 wait in the queue (and a batch in the writer's hands)
            store.record(Trace(kind="risk", time_ms=2000 + i, reason=f"during {i}"))
        await wait_until(lambda: store.stats().write_retries >= 3)
        stats = store.stats()
        assert stats.write_failing and stats.flushed == 30 and stats.recorded + stats.dropped == 160
        assert 100 <= stats.queued <= 100 + cfg.batch_size and stats.dropped >= 30 - cfg.batch_size
        keys = [a.key for a in alerts]
        assert "trace_store.write_failing" in keys and "trace_store.dropped" in keys
        assert next(a for a in alerts if a.key == "trace_store.write_failing").severity is Severity.ERROR
        with pytest.raises(StoreError):                                 # reads say so too
            await store.query(TraceQuery(text="during", limit=1))

        await asyncio.to_thread(own_server.start)                      # the same port again
        await asyncio.wait_for(store.flush(), 30)
        stats = store.stats()
        assert not stats.write_failing and stats.flushed == stats.recorded and (stats.queued, stats.lost) == (0, 0)
        assert alerts[-1].key == "trace_store.write_recovered"
        page = await store.query(TraceQuery(text="during", count_total=True, limit=1))
        assert page.total == stats.recorded - 30                        # the reader reconnected too
    assert await asyncio.to_thread(_count, url) == stats.recorded      # every queued trace, once


async def test_a_server_stopped_at_close_gives_up_after_the_close_timeout_and_counts_the_lost(own_server, tmp_path):
    cfg = TraceStoreConfig(path=tmp_path / "x", url=own_server.url(), batch_size=1000, close_timeout_s=0.5,
                           retry_base_s=0.02, retry_cap_s=0.1, retention_delay_s=3600.0)
    store = TraceStore(cfg)
    await store.open()
    for i in range(25):
        store.record(Trace(kind="risk", time_ms=1000 + i))
    await asyncio.to_thread(own_server.stop, mode="fast")
    await asyncio.wait_for(store.aclose(), 30)
    stats = store.stats()
    assert (stats.recorded, stats.flushed, stats.lost) == (25, 0, 25)            # counted, never silent
