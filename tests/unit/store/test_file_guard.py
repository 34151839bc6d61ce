"""The trace database's file: refused at open when it cannot be written, a write it can never take
is not retried, and a file removed or replaced under the writer is noticed and opened anew.

Root writes any file whatever its mode, so the read-only cases run in a child process without
the capability that lets it (setpriv drops CAP_DAC_OVERRIDE), as an ordinary user would be.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from perps_desktop.core.models import Severity, Trace, TraceQuery
from perps_desktop.errors import StoreError
from perps_desktop.store import TraceStore, TraceStoreConfig
from tests.helpers import wait_until

AS_A_USER: list[str] = []
if os.geteuid() == 0:
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file modes cannot be made to bind", allow_module_level=True)
    AS_A_USER = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]

CHILD = """
import asyncio, json, sys
from pathlib import Path
from perps_desktop.errors import StoreError
from perps_desktop.store import TraceStore, TraceStoreConfig

async def main(path):
    try:
        async with TraceStore(TraceStoreConfig(path=Path(path))):
            print(json.dumps({"opened": True}))
    except StoreError as exc:
        print(json.dumps({"error": str(exc)}))

asyncio.run(main(sys.argv[1]))
"""


def _child(tmp_path: Path, db: Path) -> dict:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    done = subprocess.run([*AS_A_USER, sys.executable, str(script), str(db)], capture_output=True, text=True,
                          timeout=90, cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


async def _make_db(path: Path, time_ms: int = 1) -> None:
    async with TraceStore(TraceStoreConfig(path=path)) as store:
        store.record(Trace(kind="system", time_ms=time_ms))


@pytest.mark.parametrize("what", ["file", "directory"])
async def test_a_database_that_cannot_be_written_is_refused_at_open_naming_it_and_why(tmp_path, what):
    db = tmp_path / "dir" / "traces.sqlite3"
    await _make_db(db)
    target = db if what == "file" else db.parent
    os.chmod(target, 0o444 if what == "file" else 0o555)
    try:
        out = await asyncio.to_thread(_child, tmp_path, db)
    finally:
        os.chmod(target, 0o644 if what == "file" else 0o755)
    assert "error" in out, out
    assert str(db) in out["error"] and "cannot be written" in out["error"]
    assert ("the file is read-only" if what == "file" else "read-only") in out["error"]


async def test_a_write_the_database_can_never_take_is_not_retried(tmp_path):
    """The writer's connection turned read-only under it (a real SQLite read-only connection): the
    batch is counted as not saved at once, with a critical alert, instead of retried for ever."""
    db = tmp_path / "traces.sqlite3"
    alerts = []
    cfg = TraceStoreConfig(path=db, batch_flush_ms=60_000, retry_base_s=0.01, retention_delay_s=3600.0)
    async with TraceStore(cfg, on_alert=alerts.append) as store:
        store.record(Trace(kind="system", time_ms=1))
        await store.flush()
        writer = store._writer
        writable = writer._conn
        writer._conn = await asyncio.to_thread(sqlite3.connect, f"file:{db}?mode=ro", uri=True,
                                               isolation_level=None, check_same_thread=False)
        try:
            for i in range(5):
                store.record(Trace(kind="signal", time_ms=2 + i))
            await asyncio.wait_for(store.flush(), 20)
            during = store.stats()
        finally:
            read_only, writer._conn = writer._conn, writable
            read_only.close()
        store.record(Trace(kind="system", time_ms=9))
        await store.flush()
        after = store.stats()
    assert during.lost == 5 and during.write_retries == 0, during         # counted, not retried
    assert during.write_failing and "read-only" in during.last_error
    refused = [a for a in alerts if a.key == "trace_store.write_refused"]
    assert refused and refused[0].severity is Severity.CRITICAL and str(db) in refused[0].message
    assert after.flushed == 2 and not after.write_failing                 # writable again: saved
    assert await asyncio.to_thread(_count, db) == 2


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])


@pytest.mark.parametrize("how", ["moved", "directory_removed", "replaced"])
async def test_a_file_taken_away_is_noticed_within_a_flush_and_a_new_one_takes_the_queue(tmp_path, how):
    db = tmp_path / "dir" / "traces.sqlite3"
    alerts = []
    cfg = TraceStoreConfig(path=db, batch_flush_ms=100, retention_delay_s=3600.0)
    async with TraceStore(cfg, on_alert=alerts.append) as store:
        for i in range(3):
            store.record(Trace(kind="system", time_ms=i + 1))
        await store.flush()
        assert len((await store.query(TraceQuery(limit=100))).traces) == 3       # readers open, id 1 cached
        assert (await store.get(1)).time_ms == 1
        if how == "moved":
            await asyncio.to_thread(os.rename, db, tmp_path / "elsewhere.sqlite3")
        elif how == "directory_removed":
            await asyncio.to_thread(shutil.rmtree, db.parent)
        else:
            other = tmp_path / "other.sqlite3"
            await _make_db(other, time_ms=100)
            await asyncio.to_thread(os.replace, other, db)
        await wait_until(lambda: any(a.key == "trace_store.file_gone" for a in alerts), timeout=20)
        for i in range(4):
            store.record(Trace(kind="signal", time_ms=10 + i))
        await store.flush()
        stats = store.stats()
        page = await store.query(TraceQuery(limit=100))        # reads follow the writer to the new file
        first = await store.get(1)
    shown = sorted(t.time_ms for t in page.traces)
    assert shown == [10, 11, 12, 13] + ([100] if how == "replaced" else []), shown
    assert first is not None and first.time_ms == (100 if how == "replaced" else 10)
    gone = next(a for a in alerts if a.key == "trace_store.file_gone")
    assert gone.severity is Severity.CRITICAL and str(db) in gone.message and "3 traces" in gone.message
    assert stats.lost == 3 and stats.flushed == stats.recorded - 3           # what went with the old file
    assert await asyncio.to_thread(_count, db) == (5 if how == "replaced" else 4)
    assert not stats.write_failing


async def test_a_file_that_cannot_be_made_again_keeps_the_queue_and_counts_it_at_close(tmp_path):
    db = tmp_path / "dir" / "traces.sqlite3"
    alerts = []
    cfg = TraceStoreConfig(path=db, batch_flush_ms=100, retention_delay_s=3600.0, close_timeout_s=0.5,
                           retry_base_s=0.01)
    store = TraceStore(cfg, on_alert=alerts.append)
    await store.__aenter__()
    try:
        store.record(Trace(kind="system", time_ms=1))
        await store.flush()
        await asyncio.to_thread(shutil.rmtree, db.parent)
        await asyncio.to_thread(db.parent.write_text, "a file where the directory was")
        await wait_until(lambda: any(a.key == "trace_store.file_gone" for a in alerts), timeout=20)
        store.record(Trace(kind="signal", time_ms=2))
        await wait_until(lambda: store.stats().write_failing, timeout=20)
    finally:
        await store.aclose()
    stats = store.stats()
    assert stats.recorded == 2 and stats.flushed == 0 and stats.lost == 2
    with pytest.raises(StoreError):
        await TraceStore(cfg).__aenter__()
