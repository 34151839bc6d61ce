"""Row ui_loop_lag: the window and the core on one qasync loop stay under a 60 Hz frame of lag.

The window runs in a child process (`python -m perps_desktop.ui.loadtest`, offscreen): the real
App in paper mode on a simulator served from this process (the 15 default markets plus five more,
IP limit off) opens a position in each of 20 coins and keeps trading them with the paper strategy;
traces are topped up to 200/s through the core's trace store; every panel and chart is live.
A timer every 10 ms measures how late the loop runs it. A sample is the p99 lag of one window of
the run (five windows, at least 2.5 s each). One side only: there is no "before". `extra` has the
overall p50/p99/max, the child's CPU share, its RSS over the run and its growth once the chart
histories are full (full run: 20 s histories, 60 s run; the window's default keeps 300 s).
"""

from __future__ import annotations

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._ui_child import lag_measurement, run_ui_child
from perps_desktop.sim import DEFAULT_MARKETS, MarketSpec, Simulator

__all__ = ["CASE"]

EXTRA_MARKETS = (
    MarketSpec(name="TIA", sz_decimals=1, max_leverage=10, start_px=5.2),
    MarketSpec(name="SEI", sz_decimals=0, max_leverage=10, start_px=0.42),
    MarketSpec(name="INJ", sz_decimals=1, max_leverage=10, start_px=21.5),
    MarketSpec(name="NEAR", sz_decimals=1, max_leverage=10, start_px=5.1),
    MarketSpec(name="ATOM", sz_decimals=2, max_leverage=10, start_px=6.4),
)
POSITIONS = 20
TRACES_PER_S = 200


async def run(ctx: BenchContext) -> Measurement:
    markets = DEFAULT_MARKETS + tuple(m for m in EXTRA_MARKETS if m.name not in {d.name for d in DEFAULT_MARKETS})
    symbols = [m.name for m in markets][:POSITIONS]
    seconds = 2.0 if ctx.smoke else float(ctx.size(60, 5))
    history_s = 20.0 if not (ctx.quick or ctx.smoke) else 300.0
    async with Simulator(host="127.0.0.1", port=0, seed=11, markets=markets, rate_limit_per_min=0) as sim:
        r = await run_ui_child(
            "perps_desktop.ui.loadtest", "--base-url", sim.url, "--symbols", ",".join(symbols),
            "--seconds", str(seconds), "--traces-per-s", str(TRACES_PER_S), "--history-s", str(history_s),
            "--min-positions", str(POSITIONS), "--warmup", "0.5" if ctx.smoke else "3",
            what="the window load test")
    return lag_measurement(r, "cpu_pct", "rss_mb", "rss_growth_after_full_mb", "rss_mb_by_minute", "anon_mb",
                           "py_blocks", "chart_history_s", "positions", "traces_per_s", "renders_per_s", "seconds",
                           "probes")


CASE = BenchCase(
    name="ui_loop_lag",
    title="Window + core loop lag (20 positions, 200 traces/s, charts live)",
    run=run,
    unit="ms",
    target_after=16.0,
    plain="How late the window's event loop runs while the core trades (p99): below 16 ms it never stutters.",
    target_text="p99 loop lag < 16 ms (one 60 Hz frame); CPU and RSS reported",
    timeout_s=300.0,
)
