"""The window attached to a fleet under load, for the `attach_5_cores` benchmark row.

    python -m perps_desktop.ui.attach_loadtest --seconds 30 < targets.json

Reads `{"targets": [[url, token], ...]}` on stdin (from `bench/cases/_attach_cores.py`), attaches
one offscreen window to all of them (a Fleet, the Fleet dock, every panel live), waits until each
core has streamed its snapshot (with `--switch-s S`, shows the next core every S seconds), and
probes the loop with the same 10 ms timer as `ui_loop_lag`. Prints one JSON
object: lag p50/p99/max overall and p99 per window, deltas received per second, renders per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from perps_desktop.ui.loadtest import _LagProbe, run_json

__all__ = ["main"]


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    from perps_desktop.ui.attach import FleetDock, make_fleet
    from perps_desktop.ui.main_window import MainWindow, WindowOptions

    targets: list[tuple[str, str]] = args.targets
    fleet = make_fleet(targets)
    await fleet.start()
    window = None
    work = Path(tempfile.mkdtemp(prefix="perps-attach-load-"))
    try:
        window = MainWindow(fleet, WindowOptions(restore_layout=False, layout_path=work / "window.ini"))
        dock = FleetDock(window, fleet)
        window.show()
        async with asyncio.timeout(60):
            while not all(c.connected for c in fleet.cores):
                await asyncio.sleep(0.05)
        await asyncio.sleep(args.warmup)
        received0 = sum(c.received for c in fleet.cores)
        renders0 = window.renders
        probe = _LagProbe()
        t0 = time.monotonic()
        probe.start()
        switch = 0
        while (now := time.monotonic()) - t0 < args.seconds:
            if args.switch_s and now - t0 >= (switch + 1) * args.switch_s:
                switch += 1
                dock.panel.select(switch % len(fleet.cores))
            await asyncio.sleep(0.05)
        probe.stop()
        wall = time.monotonic() - t0
        received = sum(c.received for c in fleet.cores) - received0
        renders = window.renders - renders0
        lost = [c.remote_name for c in fleet.cores if not c.connected]
        dock.timer.stop()
    finally:
        if window is not None:
            window.timer.stop()
            window.close()
        await fleet.aclose()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "seconds": round(wall, 2), "cores": len(targets), **probe.summary(t0, wall, args.seconds),
        "messages_per_s": round(received / wall, 1), "renders_per_s": round(renders / wall, 1),
        "links_lost": lost,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m perps_desktop.ui.attach_loadtest", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=30.0, help="how long to measure")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds attached before measuring")
    p.add_argument("--switch-s", type=float, default=0.0, help="show the next core every S seconds (0: never)")
    args = p.parse_args(argv)
    args.targets = [(str(u), str(t)) for u, t in json.loads(sys.stdin.readline())["targets"]]   # tokens: not argv
    return run_json(_measure, args)


if __name__ == "__main__":
    sys.exit(main())
