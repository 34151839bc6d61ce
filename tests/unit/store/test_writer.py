"""The writer under a full disk: retries with backoff, alerts, keeps every trace queued, recovers.

A real write failure needs a real limit: a child process lowers its own RLIMIT_FSIZE below the
size the WAL must grow to (writes then fail with EFBIG, as on a full disk), then raises it again.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import asyncio, json, resource, signal, sys, time
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # get EFBIG instead of being killed
from perps_desktop.core.models import Trace
from perps_desktop.store import TraceStore, TraceStoreConfig

async def main(path):
    alerts = []
    cfg = TraceStoreConfig(path=Path(path), retry_base_s=0.01, retry_cap_s=0.05, batch_flush_ms=60_000,
                           retention_delay_s=3600.0)
    async with TraceStore(cfg, on_alert=alerts.append) as store:
        store.record(Trace(kind="system", time_ms=0))
        await store.flush()
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, hard))      # "the disk is full"
        for i in range(2000):
            store.record(Trace(kind="signal", time_ms=i + 1, payload={"pad": f"{i:08d}" * 50}))
        flushed = asyncio.ensure_future(store.flush())
        deadline = time.monotonic() + 30
        while store.stats().write_retries < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        during = store.stats()
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))         # space again
        await asyncio.wait_for(flushed, 30)
        after = store.stats()
    print(json.dumps({"retries": during.write_retries, "failing": during.write_failing,
                      "queued_during": during.queued, "error": during.last_error,
                      "flushed": after.flushed, "dropped": after.dropped, "failing_after": after.write_failing,
                      "alerts": [[a.key, int(a.severity)] for a in alerts]}))

asyncio.run(main(sys.argv[1]))
"""


def test_a_full_disk_is_retried_with_alerts_and_nothing_is_lost(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "t.sqlite3")], capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["retries"] >= 3 and out["failing"] and out["error"]
    assert out["queued_during"] >= 100                     # the traces waited in the queue
    assert out["flushed"] == 2001 and out["dropped"] == 0 and not out["failing_after"]
    keys = [k for k, _ in out["alerts"]]
    assert keys[0] == "trace_store.write_failing" and keys[-1] == "trace_store.write_recovered"
    assert out["alerts"][0][1] == 2                        # Severity.ERROR
