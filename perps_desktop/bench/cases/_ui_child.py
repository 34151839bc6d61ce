"""The window rows' child process: a `perps_desktop.ui` module run offscreen, its last JSON line read.

The bench sits below the window's layer, so rows that measure the window (`ui_loop_lag`,
`timeline_10k`) run a `python -m perps_desktop.ui.<module>` child that prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from perps_desktop.bench.case import Measurement

__all__ = ["lag_measurement", "run_ui_child"]


async def run_ui_child(module: str, *args: str, what: str) -> dict[str, Any]:
    """Run `python -m <module> <args>`; its last JSON line, or RuntimeError naming `what` and why."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def lag_measurement(r: dict[str, Any], *keys: str) -> Measurement:
    """A loop-lag row's result: the p99 of each window of the run as the samples; the overall
    p50/p99/max and the child's `keys` in `extra`."""
    lag = r["lag_ms"]
    return Measurement(after=r["window_p99_ms"] or [lag["p99"]], before=None, extra={
        "lag_p50_ms": lag["p50"], "lag_p99_ms": lag["p99"], "lag_max_ms": lag["max"], **{k: r.get(k) for k in keys}})
