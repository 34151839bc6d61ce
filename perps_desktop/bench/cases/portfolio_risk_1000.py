"""Row portfolio_risk_1000: 1000 portfolio-risk reads (report: 45 -> 9 ms).

One sample is 1000 `RiskManager.portfolio_risk()` calls over a 10-position portfolio (exposure,
leverage, margin use, drawdown, concentration). "before" is the same manager with
PORTFOLIO_RISK_CACHE_TTL_MS=0: every call recomputes from the positions. "after" is as built:
the answer is cached for 5 s under the portfolio's version, an int bumped whenever
`update_portfolio` sees new content, so a hit never rehashes the positions. `extra` shows what
a content hash would cost per call instead.

The floor is a plain loop of 1000 calls to a function that returns the portfolio risk computed
beforehand: the least work that hands 1000 callers the same answer. It leaves out the version
check, the TTL (reading the clock) and the cache's hit counter.
"""

from __future__ import annotations

import time
from dataclasses import replace

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._risk_data import account
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.risk import RiskManager
from perps_desktop.core.risk_rules import PortfolioRisk, RiskConfig

__all__ = ["CASE"]

N = 1000


def _content_hash_us(rm: RiskManager, n: int = 2000) -> float:
    """What keying by a hash of the positions would add to every call, in microseconds."""
    positions = rm.portfolio.positions
    t0 = time.perf_counter()
    for _ in range(n):
        hash(tuple((p.symbol, p.size, p.mark_px, p.entry_px, p.liquidation_px) for p in positions))
    return round((time.perf_counter() - t0) / n * 1e6, 3)


async def _run(ctx: BenchContext) -> Measurement:
    base = RiskConfig.from_settings(ctx.settings) if ctx.settings is not None else RiskConfig()
    n = 50 if ctx.smoke else N
    caches = CacheRegistry()
    after = RiskManager(base, caches=caches)
    before = RiskManager(replace(base, portfolio_ttl_ms=0))
    for rm in (after, before):
        rm.update_portfolio(account())

    def side(rm: RiskManager):
        def run() -> None:
            risk = rm.portfolio_risk
            for _ in range(n):
                risk()
        return run

    answer = before.portfolio_risk()

    def precomputed() -> PortfolioRisk:
        return answer

    def floor() -> None:
        read = precomputed
        for _ in range(n):
            read()

    m = await ctx.compare(side(after), side(before), floor=floor)
    if not after.portfolio_risk() == before.portfolio_risk() == precomputed():
        raise RuntimeError("the cached and uncached portfolio risk differ")
    stats = next(s for s in caches.stats() if s.name == "risk_portfolio")
    return Measurement(after=m.after, before=m.before, floor=m.floor, extra={
        "calls": n, "positions": len(after.portfolio.positions), "version": after.version,
        "cache": {"hits": stats.hits, "misses": stats.misses},
        "content_hash_us_per_call": _content_hash_us(after),
    })


CASE = BenchCase(
    name="portfolio_risk_1000",
    title="RiskManager Portfolio Risk (1000x)",
    run=_run,
    report_before_ms=45.0,
    report_after_ms=9.0,
    target_ratio=5.0,
    target_floor_ratio=1.6,
    target_text=">= 5x, within 1.6x of returning a precomputed answer",
    plain="How long 1000 reads of the whole portfolio's risk (exposure, leverage, drawdown) take.",
    floor_text="1000 calls of a function returning the answer computed beforehand: no version check, no TTL, "
               "no counter",
)
