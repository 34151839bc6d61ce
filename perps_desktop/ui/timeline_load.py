"""The Timeline dock under load, for the `timeline_10k` benchmark row: 10,000 markers on one loop.

    python -m perps_desktop.ui.timeline_load --markers 10000 --seconds 10

Shows the Timeline panel offscreen (1280x600) with a day of one symbol's mid price (a sample a
second) and `--markers` events on it, then for `--seconds` does what a trader does with it: drags
a 6-hour view along the day, a step every frame (16 ms; Qt paints as a real drag makes it),
selects another story every second, and reads the whole timeline again every `--reload-s`
(every marker rebuilt), while a timer every 10 ms measures how late the loop runs it
(`loadtest._LagProbe`). Prints one JSON object: lag
p50/p99/max overall and the p99 of each window of the run, with how many frames were drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from typing import Any

from perps_desktop.core.clock import wall_ms
from perps_desktop.ui.loadtest import _LagProbe, run_json

__all__ = ["main", "synthetic_timeline"]

_KINDS = (("signal", None), ("risk", "approve"), ("order", "sent"), ("fill", None), ("order", "stop_placed"),
          ("risk", "reject"), ("recovery", "REDUCE"), ("breaker", "open"))


def synthetic_timeline(markers: int, *, span_s: int = 86_400, now_ms: int | None = None) -> Any:
    """A day of one symbol: a mid a second on a slow walk, `markers` events in stories of four."""
    from perps_desktop.app import TimelineData, Trace

    now = now_ms if now_ms is not None else wall_ms()
    start = now - span_s * 1000
    mids = tuple((start + s * 1000, 65_000.0 + 400.0 * math.sin(s / 900.0) + 40.0 * math.sin(s / 37.0))
                 for s in range(span_s))
    step = span_s * 1000 // max(1, markers)
    traces = []
    for i in range(markers):
        kind, decision = _KINDS[i % len(_KINDS)]
        t = start + i * step
        traces.append(Trace(kind=kind, time_ms=t, id=i + 1, chain=(i // 4) * 4 + 1, symbol="BTC",
                            side="B" if i % 2 else "A", price=mids[min(len(mids) - 1, (t - start) // 1000)][1],
                            decision=decision, reason=f"{kind} {i}"))
    return TimelineData(symbol="BTC", since_ms=start, until_ms=now, mids=mids, traces=tuple(traces))


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    from perps_desktop.ui.panels import TimelinePanel

    data = synthetic_timeline(args.markers)
    panel = TimelinePanel()
    panel.resize(1280, 600)
    panel.symbol_combo.addItem("BTC")
    panel.follow_check.setChecked(False)
    panel.show()
    panel.set_timeline(data)
    plot = panel.plot.getPlotItem()
    width_s = 6 * 3600.0
    await asyncio.sleep(args.warmup)
    probe = _LagProbe()
    probe.start()
    t0 = time.monotonic()
    frames = selections = reloads = 0
    next_select = next_reload = t0
    x0 = data.since_ms / 1000.0
    span = (data.until_ms - data.since_ms) / 1000.0 - width_s
    while (now := time.monotonic()) - t0 < args.seconds:
        left = x0 + span * (((now - t0) / args.seconds) % 1.0)
        plot.setXRange(left, left + width_s, padding=0)          # a drag along the day: Qt paints it
        frames += 1
        if now >= next_select:
            if data.traces:
                first = data.traces[(selections * 397) % len(data.traces)]
                panel.set_chain(tuple(t for t in data.traces if t.chain == first.chain))
            selections += 1
            next_select = now + 1.0
        if now >= next_reload:
            panel.set_timeline(data)
            reloads += 1
            next_reload = now + args.reload_s
        await asyncio.sleep(0.016)
    wall = time.monotonic() - t0
    probe.stop()
    panel.close()
    panel.deleteLater()
    return {
        "seconds": round(wall, 2), "markers": len(data.traces), "mids": len(data.mids),
        "frames": frames, "selections": selections, "reloads": reloads,
        **probe.summary(t0, wall, args.seconds, n_windows=5),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m perps_desktop.ui.timeline_load", description=__doc__.splitlines()[0])
    p.add_argument("--markers", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=10.0, help="how long to measure")
    p.add_argument("--reload-s", type=float, default=5.0,
                   help="read the whole timeline again this often (the dock re-reads every 5 s while following)")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds after the first draw before measuring")
    return run_json(_measure, p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
