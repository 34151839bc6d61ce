"""`perps-desktop headless`: the core without a window, a status line every few seconds.

Runs the same `App` as the window on a plain asyncio loop. SIGINT/SIGTERM (or `--duration`)
stop it cleanly: every service closes in reverse order, the trace store commits every queued
trace, and the last line on stdout is `stopped traces_recorded=N traces_flushed=N`. A signal
during that stop ends the process at once (exit 128+signal), saying how many traces were lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from typing import Any

from perps_desktop.app.api_server import ApiServer, parse_serve
from perps_desktop.app.app import App
from perps_desktop.app.metrics import MetricsServer
from perps_desktop.app.snapshot import CoreSnapshot
from perps_desktop.app.stop_signals import StopSignals
from perps_desktop.app.tokens import TokenStore
from perps_desktop.config import Settings
from perps_desktop.core.models import BreakerState
from perps_desktop.errors import PerpsError, StartRefused

__all__ = ["format_status", "run"]

log = logging.getLogger(__name__)


def format_status(snap: CoreSnapshot) -> str:
    """One line: state, equity, positions, orders, breakers, traces, loop lag, the venue's request budget."""
    equity = f"{float(snap.account.equity):,.2f}" if snap.account is not None else "-"
    pos = ", ".join(f"{p.symbol} {p.size.normalize():+f}" for p in snap.positions[:6])
    if len(snap.positions) > 6:
        pos += f", +{len(snap.positions) - 6} more"
    not_closed = [f"{b.name}:{b.state.name.lower().replace('_', '-')}" for b in snap.breakers
                  if b.state is not BreakerState.CLOSED]
    breakers = ", ".join(not_closed) if not_closed else f"all {len(snap.breakers)} closed"
    t = snap.traces
    lag = f"{snap.monitor.loop_lag_ms_p99:.1f}" if snap.monitor is not None else "-"
    stamp = time.strftime("%H:%M:%S")
    return (f"[{stamp}] {snap.status_text} | equity {equity} | positions {len(snap.positions)}"
            f"{': ' + pos if pos else ''} | orders {len(snap.orders)} | breakers {breakers} | "
            f"traces {t.recorded} recorded, {t.flushed} flushed, {t.per_second:.1f}/s | loop lag p99 {lag} ms"
            + (f" | {snap.budget.text}" if snap.budget is not None else ""))


async def _ask_on_terminal(text: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{text}\nNo terminal to confirm on: run with --yes to confirm live trading.", file=sys.stderr)
        return False
    answer = await asyncio.to_thread(input, f"{text} Type 'yes' to go on: ")
    return answer.strip().lower() == "yes"


async def _main(args: argparse.Namespace, settings: Settings, out: Any) -> int:
    loop = asyncio.get_running_loop()
    yes = bool(getattr(args, "yes", False))
    app = App(settings, confirm=(lambda text: True) if yes else _ask_on_terminal)
    signals = StopSignals(app, out=out)
    signals.install()
    servers: list[ApiServer | MetricsServer] = []
    duration = getattr(args, "duration", None)
    launched = getattr(args, "launched_at", None) or loop.time()      # the same clock (time.monotonic)
    deadline = None if duration is None else launched + float(duration)      # from launch, start-up included
    try:
        serve = parse_serve(args.serve) if getattr(args, "serve", None) else None     # a bad one: before starting
        if await _start_or_stop(app, signals.requested, deadline):
            await _run_started(app, args, settings, serve, signals.requested, deadline, servers, out)
        else:
            print("perps-desktop headless: stopped during start-up", file=sys.stderr, flush=True)
    except StartRefused:
        raise
    except PerpsError as exc:
        print(f"perps-desktop headless: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:             # --serve: a bad address or a port already taken
        print(f"perps-desktop headless: --serve: {exc}", file=sys.stderr)
        return 2
    finally:
        signals.stopping()
        for server in servers:
            await server.aclose()
        await app.aclose()
        signals.remove()
    c = app.trace_counters()
    if c.dropped:
        print(f"warning: {c.dropped} trace(s) could not be written", file=sys.stderr)
    print(f"stopped traces_recorded={c.recorded} traces_flushed={c.flushed}", file=out, flush=True)
    return 0 if c.recorded == c.flushed else 1


async def _run_started(app: App, args: argparse.Namespace, settings: Settings, serve: tuple[str, int] | None,
                       stop: asyncio.Event, deadline: float | None, servers: list[ApiServer | MetricsServer],
                       out: Any) -> None:
    """The started core's servers (added to `servers`, which the caller closes), then a status line every
    `--status-interval` until a stop or the deadline."""
    loop = asyncio.get_running_loop()
    assert app.identity is not None
    bot = settings.bot or app.identity.bot            # a fleet: one label each
    if serve is not None:
        api = ApiServer(app, tokens=TokenStore(), bot=bot, host=serve[0], port=serve[1])
        servers.append(api)
        await api.start()
        print(f"api: {api.url}", file=out, flush=True)
    metrics_port = getattr(args, "metrics_port", None)
    if metrics_port is not None:
        metrics = MetricsServer(app, metrics_port, bot=bot)
        servers.append(metrics)
        await metrics.start()
        print(f"metrics: {metrics.url}", file=out, flush=True)
    interval = max(0.2, float(getattr(args, "status_interval", None) or 5.0))
    print(format_status(app.snapshot()), file=out, flush=True)
    while not stop.is_set():
        wait = interval if deadline is None else min(interval, deadline - loop.time())
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            break
        print(format_status(app.snapshot()), file=out, flush=True)
        if deadline is not None and loop.time() >= deadline:
            break


async def _start_or_stop(app: App, stop: asyncio.Event, deadline: float | None) -> bool:
    """Start the app unless a stop (a signal, or `--duration` running out) comes first: then the start
    is cancelled, which closes whatever it had started; False. A start's refusal is raised."""
    loop = asyncio.get_running_loop()
    starting = loop.create_task(app.start(), name="app-start")
    stopped = loop.create_task(stop.wait(), name="stop-wait")
    timeout = None if deadline is None else max(0.0, deadline - loop.time())
    try:
        await asyncio.wait((starting, stopped), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not starting.done():
            starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    if starting.cancelled():
        return False
    starting.result()                       # a refusal raises here
    return True


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of `perps-desktop headless` (cli.py dispatches here)."""
    return asyncio.run(_main(args, settings, sys.stdout))
