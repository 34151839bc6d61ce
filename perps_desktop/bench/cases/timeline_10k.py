"""Row timeline_10k: the Timeline dock with 10,000 markers keeps the loop under a 60 Hz frame of lag.

The dock runs in a child process (`python -m perps_desktop.ui.timeline_load`, offscreen; the bench
sits below the window's layer): a day of one symbol's mid price (86,400 samples) and 10,000
decisions on it, a 6-hour view dragged along the day a step every frame, another story selected
every second and the whole timeline read again every 5 s (as the dock does while it follows),
while a timer every 10 ms measures how late the loop runs it. A sample is the p99 lag of one
fifth of the run. One side only: there is no "before". `extra` has the overall p50/p99/max and
how many frames, selections and reloads the run drew.
"""

from __future__ import annotations

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._ui_child import lag_measurement, run_ui_child

__all__ = ["CASE"]

MARKERS = 10_000


async def run(ctx: BenchContext) -> Measurement:
    seconds = 1.5 if ctx.smoke else float(ctx.size(30, 8))
    r = await run_ui_child("perps_desktop.ui.timeline_load", "--markers", str(MARKERS), "--seconds", str(seconds),
                           "--warmup", "0.3" if ctx.smoke else "1", what="the timeline load test")
    return lag_measurement(r, "markers", "mids", "frames", "selections", "reloads", "seconds", "probes")


CASE = BenchCase(
    name="timeline_10k",
    title="Timeline dock loop lag (10,000 markers, a day of mids, dragged)",
    run=run,
    unit="ms",
    target_after=16.0,
    plain="How late the window's event loop runs while the Timeline draws 10,000 markers and is dragged (p99).",
    target_text="p99 loop lag < 16 ms (one 60 Hz frame)",
    timeout_s=180.0,
)
