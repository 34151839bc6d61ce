"""Row recovery_analysis_10x100: 100 position-recovery analyses of 10 positions (report: 1200 -> 200 ms).

An account with 10 open positions lives on the simulator (a child process: its own core and
loop, IP limit off). One sample is 100 back-to-back `PositionRecovery.run_once(act=False)`:
read the account, open orders, fills and strategy ownership, read each position's mid, judge
all 10, raise (deduplicated) alerts. Nothing is sent.

"before" is the same `PositionRecovery` with RECOVERY_PARALLELISM=1 and RECOVERY_CACHE_TTL_MS=0
over the same client with its optimisations off (`ClientConfig.naive()`): every analysis reads
everything from the venue, one call after another (14 round trips). "after" is both as built,
all caches emptied before each sample: the first analysis reads once, in parallel, and the other
99 are served by the 5 s recovery cache. `extra` splits the win: fan-out alone (parallelism 0,
no caches anywhere, requests in flight together) and the recovery cache alone (parallelism 1 over
the naive client), plus the round trips per sample.
"""

from __future__ import annotations

import secrets
import statistics
import time
from decimal import Decimal
from typing import Any

import aiohttp

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._sim_child import sim_child, sim_control
from perps_desktop.core.alerts import AlertManager
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import OrderRequest
from perps_desktop.core.recovery import PositionRecovery
from perps_desktop.core.recovery_rules import RecoveryConfig
from perps_desktop.exchange import ClientConfig, HyperliquidClient

__all__ = ["CASE"]

COINS = ("BTC", "ETH", "SOL", "AVAX", "ARB", "OP", "DOGE", "LINK", "SUI", "APT")
ANALYSES = 100
POSITION_USD = 1_000.0


async def _open_positions(client: HyperliquidClient, coins: tuple[str, ...]) -> None:
    mids = await client.all_mids()
    reqs = [OrderRequest(symbol=c, is_buy=i % 2 == 0, size=Decimal(repr(POSITION_USD / float(mids[c]))),
                         limit_px=mids[c] * (Decimal("1.05") if i % 2 == 0 else Decimal("0.95")), tif="Ioc")
            for i, c in enumerate(coins)]
    results = await client.place_orders(reqs)
    failed = [(r.symbol, res.error) for r, res in zip(reqs, results, strict=True) if not res.ok]
    if failed:
        raise RuntimeError(f"could not open the bench positions: {failed}")


def _recovery(client: HyperliquidClient, base: RecoveryConfig, coins: tuple[str, ...], *, parallelism: int,
              ttl_s: float) -> PositionRecovery:
    from dataclasses import replace

    cfg = replace(base, parallelism=parallelism, cache_ttl_s=ttl_s)
    return PositionRecovery(client, cfg, alerts=AlertManager(), owners=lambda: dict.fromkeys(coins, "momentum"),
                            auto_actions=False)


async def _run(ctx: BenchContext) -> Measurement:
    settings = ctx.settings
    base_client = ClientConfig.from_settings(settings) if settings is not None else ClientConfig()
    base_rec = RecoveryConfig.from_settings(settings) if settings is not None else RecoveryConfig()
    n = 5 if ctx.smoke else ANALYSES
    async with sim_child() as sim:
        url = sim.url
        cfg = base_client.replace(base_url=url, is_mainnet=False, rate_limit_weight_per_min=10_000_000,
                                  stream_mids=False, cache_prefix="bench.after")
        key = "0x" + secrets.token_hex(32)
        uncached = cfg.naive().replace(max_concurrency=0, cache_prefix="bench.fanout")   # caches off, fan-out on
        async with HyperliquidClient(cfg, private_key=key, registry=CacheRegistry()) as built, \
                HyperliquidClient(cfg.naive().replace(cache_prefix="bench.before"), address=built.address,
                                  registry=CacheRegistry()) as naive, \
                HyperliquidClient(uncached, address=built.address, registry=CacheRegistry()) as fanout:
            async with aiohttp.ClientSession() as http:
                await sim_control(http, url, {"type": "fund", "user": built.address, "usdc": "1000000"})
            await _open_positions(built, COINS)
            if len((await naive.user_state()).positions) != len(COINS):
                raise RuntimeError("the bench account does not hold 10 positions")

            after_rec = _recovery(built, base_rec, COINS, parallelism=base_rec.parallelism,
                                  ttl_s=base_rec.cache_ttl_s or 5.0)
            before_rec = _recovery(naive, base_rec, COINS, parallelism=1, ttl_s=0.0)
            fanout_rec = _recovery(fanout, base_rec, COINS, parallelism=0, ttl_s=0.0)
            cache_rec = _recovery(naive, base_rec, COINS, parallelism=1, ttl_s=5.0)

            def side(rec: PositionRecovery, client: HyperliquidClient | None = None) -> Any:
                async def run() -> None:
                    if client is not None:
                        client.clear_caches()
                    rec.invalidate()
                    for _ in range(n):
                        await rec.run_once(act=False)
                return run

            reqs0 = (built.stats().total_requests, naive.stats().total_requests)
            reps = 1 if ctx.smoke else ctx.size(9, 5)
            m = await ctx.compare(after=side(after_rec, built), before=side(before_rec), repetitions=reps,
                                  warmup=0 if ctx.smoke else 1)
            samples = len(m.after) + (0 if ctx.smoke else 1)
            extra: dict[str, Any] = {
                "analyses_per_sample": n,
                "positions": len(COINS),
                "round_trips_per_sample_before": round((naive.stats().total_requests - reqs0[1]) / samples, 1),
                "round_trips_per_sample_after": round((built.stats().total_requests - reqs0[0]) / samples, 1),
                "findings_per_analysis": len(after_rec.findings),
            }
            small = 1 if ctx.smoke else 3
            for name, rec in (("fanout_only_ms", fanout_rec), ("cache_only_ms", cache_rec)):
                times = []
                for _ in range(small):
                    t0 = time.perf_counter()
                    await side(rec)()
                    times.append((time.perf_counter() - t0) * 1000.0)
                extra[name] = round(statistics.median(times), 2)
            t0 = time.perf_counter()
            await after_rec.run_once(act=False)                 # warm: one analysis from the cache
            extra["one_cached_analysis_us"] = round((time.perf_counter() - t0) * 1e6, 1)
    return Measurement(after=m.after, before=m.before, extra=extra)


CASE = BenchCase(
    name="recovery_analysis_10x100",
    title="PositionRecovery: analyse 10 positions (100x)",
    run=_run,
    report_before_ms=1200.0,
    report_after_ms=200.0,
    target_after=40.0,
    target_ratio=6.0,
    plain="How long position recovery takes to check 10 positions 100 times against the exchange.",
    target_text="100 analyses of 10 positions on the simulator: after <= 40 ms, >= 6x "
                "(before: parallelism 1, cache TTL 0)",
)
