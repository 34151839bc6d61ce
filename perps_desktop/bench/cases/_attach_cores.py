"""N served cores in one child process, for the `attach_5_cores` row: the fleet a window attaches to.

    python -m perps_desktop.bench.cases._attach_cores --cores 5 --traces-per-s 200

Starts a simulator (IP limit off) and N real Apps in paper mode on it, each trading with the
paper strategy and served by its own ApiServer on 127.0.0.1 (a trade token each, in a temporary
data directory). Each core's trace rate is topped up to `--traces-per-s` through its own trace
store. Prints one JSON line `{"targets": [[url, token], ...]}` once every core is served, then runs
until stdin closes (the row's process ends it that way) or SIGTERM.

The cores stand in for servers elsewhere: on the bench machine they share the window's CPUs, so
they run at a lower priority (nice 10) and take what the window leaves, as remote ones would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from perps_desktop.app import App, Trace
from perps_desktop.app.api_server import ApiServer
from perps_desktop.app.tokens import TokenStore
from perps_desktop.config import load_settings
from perps_desktop.core.clock import wall_ms
from perps_desktop.sim import Simulator

__all__ = ["main"]


async def _top_up(apps: list[App], per_s: float, stop: asyncio.Event) -> None:
    """Each core records `per_s` traces a second in all (its own plus these), in 50 ms steps."""
    t0 = time.monotonic()
    base = [a.trace_counters().recorded for a in apps]
    stores = [a.services.store for a in apps if a.services is not None]
    assert len(stores) == len(apps)                     # every App entered has its services
    while not stop.is_set():
        elapsed = time.monotonic() - t0
        for i, app in enumerate(apps):
            deficit = int(per_s * elapsed) - (app.trace_counters().recorded - base[i])
            for k in range(max(0, min(deficit, 200))):
                stores[i].record(Trace(kind="signal", time_ms=wall_ms(), symbol="LOAD",
                                                strategy="loadtest", decision="approve", reason=f"load trace {k}"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def _run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="perps-attach-cores-"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with Simulator(host="127.0.0.1", port=0, seed=5, rate_limit_per_min=0) as sim, \
                contextlib.AsyncExitStack() as stack:
            apps: list[App] = []
            targets = []
            for i in range(args.cores):
                settings = load_settings(mode="paper", base_url=sim.url, db_path=str(work / f"core{i}.sqlite3"),
                                         log_level="WARNING", bot=f"bench-core-{i + 1}")
                app = await stack.enter_async_context(App(settings))
                tokens = TokenStore(work / f"tokens{i}.json")
                token = await asyncio.to_thread(tokens.new, "bench", "trade")
                server = await stack.enter_async_context(ApiServer(app, tokens=tokens, bot=f"bench-core-{i + 1}"))
                apps.append(app)
                targets.append([server.url, token])
            feeding = asyncio.ensure_future(_top_up(apps, args.traces_per_s, stop))
            print(json.dumps({"targets": targets}), flush=True)
            eof = loop.run_in_executor(None, sys.stdin.read)           # the parent closes stdin to stop us
            await asyncio.wait({asyncio.ensure_future(stop.wait()), eof}, return_when=asyncio.FIRST_COMPLETED)
            stop.set()
            await feeding
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m perps_desktop.bench.cases._attach_cores")
    p.add_argument("--cores", type=int, default=5)
    p.add_argument("--traces-per-s", type=float, default=200.0)
    with contextlib.suppress(OSError, AttributeError):      # not on Windows
        os.nice(10)
    asyncio.run(_run(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
