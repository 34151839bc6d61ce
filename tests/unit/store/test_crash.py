"""A process killed with SIGKILL mid-run leaves a sound database holding every committed batch."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time

import orjson

from perps_desktop.core.models import Trace, TraceQuery
from perps_desktop.store import TraceStore, TraceStoreConfig, decode_payload

WRITER = """
import asyncio, sys, time
from perps_desktop.core.models import Trace
from perps_desktop.store import TraceStore, TraceStoreConfig

async def main(path):
    cfg = TraceStoreConfig(path=path, batch_size=25, batch_flush_ms=20, retention_delay_s=3600.0)
    async with TraceStore(cfg) as store:
        seq = 0
        last = -1
        while True:
            for _ in range(10):
                store.record(Trace(kind="signal", time_ms=1_750_000_000_000 + seq, symbol="BTC", reason=f"seq {seq}",
                                   payload={"seq": seq, "pad": "z" * (1500 if seq % 3 == 0 else 10)}))
                seq += 1
            await asyncio.sleep(0.002)
            flushed = store.stats().flushed
            if flushed != last:
                print(flushed, flush=True)
                last = flushed

asyncio.run(main(sys.argv[1]))
"""


def _read_counts(proc: subprocess.Popen[str], until: int, timeout: float = 60.0) -> int:
    """Follow the child's 'flushed' lines until it has committed at least `until` traces."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    last = 0
    while last < until:
        left = deadline - time.monotonic()
        assert left > 0, f"the writer process committed only {last} traces in {timeout:.0f} s"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            line = proc.stdout.readline()
            assert line, f"the writer process ended early: {proc.stderr.read() if proc.stderr else ''}"
            last = int(line)
    return last


def test_sigkill_mid_run_keeps_every_committed_batch_and_a_sound_file(tmp_path):
    path = tmp_path / "crash.sqlite3"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        committed = _read_counts(proc, until=1500)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO traces_fts (traces_fts) VALUES ('integrity-check')")
    rows = conn.execute("SELECT id, reason, payload FROM traces ORDER BY id").fetchall()
    conn.close()
    assert len(rows) >= committed                      # nothing the writer reported committed is missing
    for expected_seq, (row_id, reason, _) in enumerate(rows):   # no gaps, no reordering, no half batches
        assert (row_id, reason) == (expected_seq + 1, f"seq {expected_seq}")
    last = rows[-1]
    assert decode_payload(Trace(kind="x", time_ms=0, payload_blob=last[2]))["seq"] == len(rows) - 1
    assert orjson.loads(rows[1][2])["seq"] == 1

    async def reopen() -> None:                        # and the app starts again on it
        async with TraceStore(TraceStoreConfig(path=path, retention_delay_s=3600.0)) as store:
            store.record(Trace(kind="system", time_ms=1, reason="restarted"))
            await store.flush()
            assert (await store.query(TraceQuery(text="restarted"))).traces[0].id == len(rows) + 1
    asyncio.run(reopen())
    conn = sqlite3.connect(path)            # the text index caught up with what the kill left unindexed
    conn.execute("INSERT INTO traces_fts (traces_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()
