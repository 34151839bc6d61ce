"""The trace database's faults under a real `perps-desktop headless`: its directory removed while
it runs (noticed, said, a new file, the loss counted in the stop line), and a read-only file
refused at start (one line, exit 2)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from perps_desktop.core.models import Trace
from perps_desktop.store import TraceStore, TraceStoreConfig
from tests.helpers import wait_until

STOPPED = re.compile(r"^stopped traces_recorded=(\d+) traces_flushed=(\d+)$")
STATUS_FLUSHED = re.compile(r"traces (\d+) recorded, (\d+) flushed")


class _Lines:
    """Every line of a stream, read as it comes (so neither pipe fills), searchable while it runs."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._task = asyncio.ensure_future(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            self.lines.append(raw.decode().rstrip("\n"))

    async def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 60.0) -> re.Match[str]:
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        found: list[re.Match[str]] = []

        def seen() -> bool:
            found.extend(m for ln in self.lines if (m := rx.search(ln)))
            return bool(found)
        await wait_until(seen, timeout=timeout)
        return found[0]

    async def done(self) -> list[str]:
        await asyncio.wait_for(self._task, 60)
        return self.lines


def _env(tmp_path: Path, db: Path) -> dict[str, str]:
    return {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"),
            "PERPS_DB_PATH": str(db), "TRACE_BATCH_FLUSH_MS": "200", "STRATEGY_INTERVAL_MS": "200",
            "STRATEGY_LOOKBACK": "2", "STRATEGY_THRESHOLD_PCT": "0.0001"}


def _count(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])


async def test_the_database_directory_removed_under_a_running_core_is_noticed_and_counted(tmp_path):
    db = tmp_path / "dbdir" / "traces.sqlite3"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "headless", "--status-interval", "0.3", cwd=tmp_path,
        env=_env(tmp_path, db), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = _Lines(proc.stdout), _Lines(proc.stderr)
    try:
        await out.wait_for(re.compile(r"traces \d+ recorded, [1-9]\d* flushed"))
        await asyncio.to_thread(shutil.rmtree, db.parent)
        await err.wait_for(f"trace database {re.escape(str(db))}: it was removed")
        await wait_until(lambda: db.exists(), timeout=30)                          # a new file at the path
        await out.wait_for(re.compile(r"traces \d+ recorded"))
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 120)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines, errors = await out.done(), await err.done()
    assert rc == 1, "\n".join(errors[-30:])                      # not every trace was saved: not exit 0
    m = STOPPED.match(lines[-1])
    assert m, lines[-3:]
    recorded, flushed = int(m[1]), int(m[2])
    gone = int(re.search(r"the (\d+) traces written to it are not there", "\n".join(errors))[1])
    assert gone >= 1 and recorded - flushed == gone               # the stop line counts what was lost
    assert f"warning: {gone} trace(s) could not be written" in errors
    assert await asyncio.to_thread(_count, db) == flushed         # and the new file has every other one


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root without setpriv")
async def test_a_read_only_database_is_refused_at_start_with_one_line(tmp_path):
    db = tmp_path / "traces.sqlite3"
    async with TraceStore(TraceStoreConfig(path=db)) as store:
        store.record(Trace(kind="system", time_ms=1))
    os.chmod(db, 0o444)
    as_a_user = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
    proc = await asyncio.create_subprocess_exec(
        *as_a_user, sys.executable, "-m", "perps_desktop", "headless", "--duration", "30", cwd=tmp_path,
        env=_env(tmp_path, db), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    text = err.decode()
    assert proc.returncode == 2, text[-2000:]
    assert "Traceback" not in text
    lines = [ln for ln in text.splitlines() if ln.startswith("perps-desktop")]
    assert len(lines) == 1, text
    assert f"trace database {db} cannot be written: the file is read-only" in lines[0]
