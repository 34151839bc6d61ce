"""The window under load, for the `ui_loop_lag` benchmark row: the real App and MainWindow on one loop.

    python -m perps_desktop.ui.loadtest --base-url URL --symbols BTC,ETH,... --seconds 60

Starts the core in paper mode against the simulator at URL, opens a position in each of the first
`--min-positions` symbols through the core's client (the paper strategy keeps trading them, its
limits opened up so it never closes them), shows the window offscreen with every panel and chart
live, tops the trace rate up to `--traces-per-s` through the core's own trace store, then probes
the loop: a timer every 10 ms
whose lateness is the lag. Prints one JSON object: lag p50/p99/max (overall and per window), the
process's CPU share and RSS over the run (and its growth once the chart histories are full).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil

from perps_desktop.config import display_available, load_settings
from perps_desktop.core.clock import wall_ms
from perps_desktop.core.percentile import percentile

__all__ = ["main"]

PROBE_S = 0.010


def _mb(n: int) -> float:
    return round(n / 1e6, 1)


class _LagProbe:
    """A call_later chain every 10 ms; each sample is how late the callback ran (ms)."""

    def __init__(self) -> None:
        self.times = array("d")                              # monotonic time of each sample
        self.lags = array("d")                               # how late it ran, ms
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = time.perf_counter() + PROBE_S
        self._handle = loop.call_later(PROBE_S, self._fire)

    def _fire(self) -> None:
        now = time.perf_counter()
        self.times.append(time.monotonic())
        self.lags.append(max(0.0, (now - self._due) * 1000.0))
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def summary(self, t0: float, wall: float, seconds: float, *, n_windows: int | None = None) -> dict[str, Any]:
        """The window rows' lag figures: overall p50/p99/max, and the p99 of each of `n_windows`
        windows of the run (default: up to five of at least 2.5 s each; a row's samples), with the
        number of probes."""
        lags = list(self.lags)
        n_win = n_windows or max(1, int(wall // max(2.5, seconds / 5)))
        win_len = wall / n_win
        windows: list[list[float]] = [[] for _ in range(n_win)]
        for t, lag in zip(self.times, self.lags, strict=True):
            k = int((t - t0) // win_len)
            if 0 <= k < n_win:
                windows[k].append(lag)
        return {"probes": len(lags),
                "lag_ms": {"p50": round(percentile(sorted(lags), 50), 3), "p99": round(percentile(sorted(lags), 99), 3),
                           "max": round(max(lags, default=0.0), 3)},
                "window_p99_ms": [round(percentile(sorted(w), 99), 3) for w in windows if w]}


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    from perps_desktop.app import App, Trace
    from perps_desktop.ui.main_window import MainWindow, WindowOptions

    work = Path(tempfile.mkdtemp(prefix="perps-ui-load-"))
    settings = load_settings(mode="paper", base_url=args.base_url, symbols=args.symbols,
                             db_path=str(work / "traces.sqlite3"), log_level="WARNING")
    # The paper strategy keeps trading every coin (default interval); limits are opened up so
    # its +-$500 orders only nudge the positions this harness opens, never close them.
    settings = settings.replace(**{
        "paper_funding_usd": 10_000_000.0, "strategy_max_position_usd": 1_000_000.0,
        "max_position_notional_usd": 1_000_000.0, "max_total_exposure_usd": 10_000_000.0,
        "max_orders_per_minute": 10_000, "daily_loss_limit_usd": 1_000_000.0, "max_concentration_pct": 100.0})
    app = App(settings)
    await app.start()
    window = None
    proc = psutil.Process()
    try:
        if not args.no_window:
            window = MainWindow(app, WindowOptions(restore_layout=False, layout_path=work / "window.ini",
                                                   chart_history_s=args.history_s))
            window.show()
        await _open_positions(app, settings.engine.symbol_list[:args.min_positions], args.position_usd)
        await asyncio.sleep(args.warmup)

        assert app.services is not None
        store = app.services.store                      # top the core's own trace rate up to the target
        recorded0 = app.trace_counters().recorded
        probe = _LagProbe()
        cpu0 = proc.cpu_times()
        t0 = time.monotonic()
        renders0 = window.renders if window is not None else 0
        rss: list[tuple[float, int]] = []        # (seconds into the run, RSS)
        anon: list[int] = []                      # RSS minus file-backed pages (the trace DB's mmap)
        blocks: list[int] = []                    # Python objects alive (pymalloc blocks)
        positions: list[int] = []
        fed = 0
        probe.start()
        next_sample = t0
        while (now := time.monotonic()) - t0 < args.seconds:
            deficit = int(args.traces_per_s * (now - t0)) - (app.trace_counters().recorded - recorded0)
            for i in range(max(0, min(deficit, 200))):
                store.record(Trace(kind="signal", time_ms=wall_ms(), symbol="LOAD",
                                   strategy="loadtest", decision="approve", reason=f"load trace {fed + i}"))
            fed += max(0, min(deficit, 200))
            if now >= next_sample:
                next_sample += 1.0
                mem = proc.memory_info()
                rss.append((now - t0, mem.rss))
                anon.append(mem.rss - getattr(mem, "shared", 0))
                blocks.append(sys.getallocatedblocks())
                positions.append(sum(1 for p in app.snapshot().positions if p.size))
            await asyncio.sleep(0.05)
        probe.stop()
        wall = time.monotonic() - t0
        cpu1 = proc.cpu_times()
        recorded = app.trace_counters().recorded - recorded0
        renders = window.renders - renders0 if window is not None else 0
        points = window.panels["performance"].points() if window is not None else {}
    finally:
        if window is not None:
            window.close()
        await app.aclose()
        shutil.rmtree(work, ignore_errors=True)     # its trace database and window layout

    full_at = args.history_s
    after_full = [r for t, r in rss if t >= full_at]
    full_i = next((i for i, (t, _) in enumerate(rss) if t >= full_at), None)
    return {
        "seconds": round(wall, 2),
        **probe.summary(t0, wall, args.seconds),
        "cpu_pct": round(((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall * 100.0, 1),
        "rss_mb": {"start": _mb(rss[0][1]) if rss else None, "end": _mb(rss[-1][1]) if rss else None,
                   "max": _mb(max(r for _, r in rss)) if rss else None},
        "rss_mb_by_minute": [_mb(r) for t, r in rss if int(t) % 60 == 0],
        "rss_growth_after_full_mb": round((after_full[-1] - after_full[0]) / 1e6, 2) if len(after_full) > 1 else None,
        "anon_mb": {"start": _mb(anon[0]) if anon else None, "end": _mb(anon[-1]) if anon else None,
                    "at_full": _mb(anon[full_i]) if full_i is not None else None},
        "py_blocks": {"start": blocks[0] if blocks else None, "end": blocks[-1] if blocks else None,
                      "at_full": blocks[full_i] if full_i is not None else None},
        "chart_history_s": args.history_s,
        "positions": {"min": min(positions, default=0), "avg": round(sum(positions) / max(1, len(positions)), 1)},
        "traces_per_s": round(recorded / wall, 1),
        "renders_per_s": round(renders / wall, 1),
        "chart_points": points,
    }


async def _open_positions(app: Any, symbols: tuple[str, ...], usd: float) -> None:
    """One IOC order per coin (alternating long/short), through the core's own client."""
    from perps_desktop.app import OrderRequest

    if not symbols:
        return
    client = app.services.client
    mids = await client.all_mids()
    requests = []
    for i, sym in enumerate(symbols):
        mid = mids[sym]
        buy = i % 2 == 0
        px = mid * (Decimal("1.02") if buy else Decimal("0.98"))
        requests.append(OrderRequest(symbol=sym, is_buy=buy, size=Decimal(str(usd)) / mid, limit_px=px, tif="Ioc"))
    results = await client.place_orders(requests)
    failed = [f"{r.symbol}: {res.error}" for r, res in zip(requests, results, strict=True) if not res.ok]
    if failed:
        raise RuntimeError(f"could not open the load test's positions: {'; '.join(failed)}")
    await app.services.engine.refresh()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m perps_desktop.ui.loadtest", description=__doc__.splitlines()[0])
    p.add_argument("--base-url", required=True, help="a running simulator (paper mode funds its account there)")
    p.add_argument("--symbols", default="BTC,ETH,SOL", help="coins the paper strategy trades")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to measure")
    p.add_argument("--traces-per-s", type=float, default=200.0)
    p.add_argument("--min-positions", type=int, default=20, help="open a position in this many of the symbols first")
    p.add_argument("--position-usd", type=float, default=20_000.0, help="notional of each opened position")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds to run before measuring")
    p.add_argument("--history-s", type=float, default=300.0, help="what the charts keep")
    p.add_argument("--no-window", action="store_true", help="the core alone, for a baseline")
    return run_json(_measure, p.parse_args(argv))


def run_json(measure: Any, args: argparse.Namespace) -> int:
    """Run `measure(args)` on a qasync loop (offscreen without a display) and print its JSON line:
    what a window row's child (`bench/cases/_ui_child.py`) reads."""
    from perps_desktop.ui.main import _make_qapp

    _make_qapp(offscreen=not display_available())
    import qasync

    result = qasync.run(measure(args))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
