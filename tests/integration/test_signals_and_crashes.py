"""`perps-desktop headless` as a real process: a second signal ends a hung stop; a native crash leaves a stack."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

STOPPED = re.compile(r"^stopped traces_recorded=(\d+) traces_flushed=(\d+)$")


COMMANDS = {"headless": ["headless", "--status-interval", "0.3"], "gui": ["gui"]}


async def _start(tmp_path: Path, command: str = "headless") -> asyncio.subprocess.Process:
    env = {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"),
           "PERPS_DB_PATH": str(tmp_path / "traces.sqlite3"), "TRACE_BATCH_FLUSH_MS": "100",
           "QT_QPA_PLATFORM": "offscreen"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", *COMMANDS[command], cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _line(stream: asyncio.StreamReader, want: str, timeout: float = 60.0) -> str:
    """The first line on `stream` that contains `want` (lines before it are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            raw = await stream.readline()
            assert raw, f"the stream ended before a line with {want!r}"
            if want in (text := raw.decode()):
                return text.rstrip("\n")


async def _finish(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, out.decode(), err.decode()


def _lock(db: Path) -> sqlite3.Connection:
    """Hold the database's write lock, as a second program might: the core's commits wait, then fail."""
    conn = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_a_second_signal_during_a_hung_stop_ends_it_at_once_saying_what_was_lost(tmp_path, command):
    proc = await _start(tmp_path, command)
    lock = None
    try:
        await _line(proc.stderr, "perps_desktop.app.app: started in paper mode")
        lock = await asyncio.to_thread(_lock, tmp_path / "traces.sqlite3")     # the stop cannot flush now
        proc.send_signal(signal.SIGTERM)
        await _line(proc.stderr, "perps_desktop.app.app: stopping")             # the stop has begun
        proc.send_signal(signal.SIGTERM)
        rc, out, err = await _finish(proc)
    finally:
        if lock is not None:
            lock.close()
    assert rc == 128 + signal.SIGTERM, err[-2000:]
    m = re.search(r"SIGTERM during the stop: ending now, (\d+) trace\(s\) not flushed", err)
    assert m, err[-2000:]
    last = STOPPED.match(out.strip().splitlines()[-1])
    assert last, out[-500:]
    assert int(m[1]) == int(last[1]) - int(last[2]) >= 1                       # the stop's own trace at least
    assert "Traceback" not in err


async def test_a_native_crash_leaves_every_threads_stack_on_stderr_and_in_the_log(tmp_path):
    proc = await _start(tmp_path)
    await _line(proc.stdout, "trading ACTIVE")
    proc.send_signal(signal.SIGBUS)                  # as when the WAL's shared memory became unusable
    rc, _out, err = await _finish(proc)
    assert rc == -signal.SIGBUS
    assert "Fatal Python error: Bus error" in err and 'File "' in err, err[-3000:]
    assert "trace-writer" in err or "Thread 0x" in err                  # all threads, not only the main one
    log = (tmp_path / "logs" / "perps-desktop.log").read_text()
    assert "Fatal Python error: Bus error" in log and 'File "' in log
