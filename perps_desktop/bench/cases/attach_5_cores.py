"""Row attach_5_cores: one window attached to five served cores stays under a 60 Hz frame of lag.

Five real cores (paper mode, trading, each topped up to 200 traces/s, each served by its own
ApiServer) run in one child process (`_attach_cores`); the window runs in another
(`python -m perps_desktop.ui.attach_loadtest`, offscreen): a Fleet of five RemoteCores, the Fleet
dock and every panel live. A 10 ms timer measures how
late the window's loop runs it; a sample is the p99 lag of one window of the run (five windows,
at least 2.5 s each), as in `ui_loop_lag`. One side only: there is no "before".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._ui_child import lag_measurement

__all__ = ["CASE"]

CORES = 5
TRACES_PER_S = 200


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def run(ctx: BenchContext) -> Measurement:
    seconds = 2.0 if ctx.smoke else float(ctx.size(30, 5))
    cores = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop.bench.cases._attach_cores", "--cores", str(CORES),
        "--traces-per-s", str(TRACES_PER_S), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert cores.stdout is not None
        line = await asyncio.wait_for(cores.stdout.readline(), 120)
        if not line.startswith(b"{"):
            why = (await cores.stderr.read()).decode(errors="replace") if cores.stderr else ""
            raise RuntimeError(f"the five cores did not start: {why.strip().splitlines()[-3:]}")
        window = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "perps_desktop.ui.attach_loadtest", "--seconds", str(seconds),
            "--warmup", "0.5" if ctx.smoke else "2", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await window.communicate(line)
    finally:
        await _stop(cores)
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    if window.returncode != 0 or not lines:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"the attached window failed (exit {window.returncode}): {' | '.join(tail)}")
    m = lag_measurement(json.loads(lines[-1]), "cores", "messages_per_s", "renders_per_s", "links_lost", "seconds",
                        "probes")
    m.extra["traces_per_s_per_core"] = TRACES_PER_S
    return m


CASE = BenchCase(
    name="attach_5_cores",
    title="Window attached to 5 cores (200 traces/s each, streamed)",
    run=run,
    unit="ms",
    target_after=16.0,
    plain="How late the window's event loop runs while five remote cores stream to it (p99): below 16 ms it "
          "never stutters.",
    target_text="p99 loop lag < 16 ms (one 60 Hz frame) with 5 attached cores at 200 traces/s each",
    timeout_s=300.0,
)
