"""Row manual_close_under_load: the trader's Close while the bot trades ten symbols (issue #14).

The real App in paper mode trades BTC, ETH, SOL, XRP, DOGE, AVAX, LINK, ARB, OP and SUI on a
simulator in a child process that enforces the venue's IP limit (1200 weight a minute), first for
a while (full run: 2 minutes; --quick: 10 s), then, still trading, the trader closes a position
by hand, again and again. A sample is one Close: from `App.close_position` to its fill in the
engine's fills (pushed by the venue; the report alone is not enough). Untimed between samples: a
BNB position of the trader's own is opened with an IOC (the strategy does not trade BNB, so it
cannot close it first; the stop-loss keeper protects it as it would any position). One side only.

`extra` has the run's budget figures, from the simulator's own count: request weight a minute
over the whole run (start-up included), the weight limit, the 429s met, and the client's budget
waits; plus how many account reads the venue's pushes served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any

import aiohttp

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._sim_child import sim_child, sim_control

__all__ = ["CASE"]

SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "AVAX", "LINK", "ARB", "OP", "SUI")
VENUE_LIMIT = 1200
OWN = "BNB"                                 # the trader's own position, in a coin the strategy leaves alone


async def _open(app: Any) -> None:
    """A position of the trader's own to close: an IOC on OWN, a coin the strategy does not trade."""
    from perps_desktop.core.models import OrderRequest

    client, engine = app.services.client, app.services.engine
    if not any(p.symbol == OWN and p.size != 0 for p in engine.positions):
        mid = await client.mid(OWN)
        res = await client.place_order(OrderRequest(symbol=OWN, is_buy=True, size=Decimal(repr(300 / float(mid))),
                                                    limit_px=mid * Decimal("1.05"), tif="Ioc"))
        if not res.ok:
            raise RuntimeError(f"could not open a position to close: {res.error}")
    async with asyncio.timeout(10):
        while not any(p.symbol == OWN and p.size != 0 for p in engine.positions):
            await asyncio.sleep(0.02)


async def _close_and_see_the_fill(app: Any, symbol: str) -> None:
    """Close `symbol` by hand and wait until the engine has seen the closing fill."""
    seen = asyncio.get_running_loop().create_future()

    def on_fills(_topic: str, fills: Any) -> None:
        if any(f.symbol == symbol and "close" in (f.direction or "").lower() for f in fills) and not seen.done():
            seen.set_result(None)
    unsubscribe = app.services.bus.subscribe("engine.fills", on_fills)
    try:
        report = await app.close_position(symbol)
        if not report.ok:
            raise RuntimeError(f"close {symbol} failed: {report.message}")
        async with asyncio.timeout(10):
            await seen
    finally:
        if callable(unsubscribe):
            unsubscribe()


async def run(ctx: BenchContext) -> Measurement:
    from perps_desktop.app import App

    load_s = 2.0 if ctx.smoke else float(ctx.size(120, 10))
    closes = 2 if ctx.smoke else ctx.size(12, 10)
    quiet = logging.getLogger("perps_desktop")
    level = quiet.level
    quiet.setLevel(logging.WARNING)         # the core's INFO lines are not the bench's output
    try:
        async with sim_child(seed=14, log=ctx.workdir / "manual_close_sim.log", rate_limit=VENUE_LIMIT) as sim, \
                aiohttp.ClientSession() as control:
            settings = ctx.settings.replace(**{
                "mode": "paper", "base_url": sim.url, "symbols": ",".join(SYMBOLS),
                "db_path": str(ctx.workdir / "manual_close.sqlite3"), "rate_limit_weight_per_min": VENUE_LIMIT})
            t0 = time.monotonic()
            async with App(settings) as app:
                await app.wait_until_reconciled()
                await asyncio.sleep(load_s)                     # the bot trades ten symbols meanwhile
                m = await ctx.compare(lambda: _close_and_see_the_fill(app, OWN), settle=lambda _side: _open(app),
                                      repetitions=closes, warmup=1)
                services = app.services
                assert services is not None                     # App's __aenter__ built them
                client = services.client
                stats = await sim_control(control, sim.url, {"type": "stats"})
                minutes = (time.monotonic() - t0) / 60.0
                pushed = client.pushed
                extra = {
                    "weight_per_min": round(stats["weight"] / minutes, 1), "weight_limit": VENUE_LIMIT,
                    "weight_share": round(stats["weight"] / minutes / VENUE_LIMIT, 3),
                    "rate_limited_429": stats["rateLimited"], "budget_waits": client.budget.waits,
                    "budget_wait_s": round(client.budget.waited_s, 3), "run_s": round(minutes * 60.0, 1),
                    "load_s": load_s, "symbols": len(SYMBOLS), "closes": len(m.after),
                    "orders_sent": services.engine.orders_sent,
                    "pushed_reads": pushed.hits if pushed is not None else 0,
                    "rest_reads": pushed.misses if pushed is not None else 0,
                }
    finally:
        quiet.setLevel(level)
    extra["requests"] = stats.get("requests", {})
    return Measurement(after=m.after, before=None, extra=extra)


CASE = BenchCase(
    name="manual_close_under_load",
    title="Manual Close while trading 10 symbols (fill seen)",
    run=run,
    unit="ms",
    target_after=1000.0,
    plain="How long the trader's Close takes, to its fill, while the bot trades ten symbols within the "
          "venue's request budget.",
    target_text="< 1 s to the fill; the run within 30% of the venue's 1200 weight a minute, no 429",
    timeout_s=420.0,
)
