"""Row portfolio_risk_1000: 1000 portfolio-risk reads (report: 45 -> 9 ms).

One sample is 1000 `RiskManager.portfolio_risk()` calls over a 10-position portfolio (exposure,
leverage, margin use, drawdown, concentration). "before" is the same manager with
PORTFOLIO_RISK_CACHE_TTL_MS=0: every call recomputes from the positions. "after" is as built:
the answer is cached for 5 s under the portfolio's version, an int bumped whenever
`update_portfolio` sees new content, so a hit never rehashes the positions. `extra` shows what
a content hash would cost per call instead.
"""

from __future__ import annotations

import time
from dataclasses import replace

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._risk_data import account
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.risk import RiskManager
from perps_desktop.core.risk_rules import RiskConfig

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

    m = await ctx.compare(side(after), side(before))
    if after.portfolio_risk() != before.portfolio_risk():
        raise RuntimeError("the cached and uncached portfolio risk differ")
    stats = next(s for s in caches.stats() if s.name == "risk_portfolio")
    return Measurement(after=m.after, before=m.before, extra={
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
    target_after=0.5,
    target_ratio=5.0,
    target_text="after <= 0.5 ms, >= 5x",
)
