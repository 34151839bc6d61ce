"""Row portfolio_risk_1000: 1000 portfolio-risk reads (report: 45 -> 9 ms).

One sample is 1000 `RiskManager.portfolio_risk()` calls over a 10-position portfolio (exposure,
leverage, margin use, drawdown, concentration). "before" is the same manager with
PORTFOLIO_RISK_CACHE_TTL_MS=0: every call recomputes from the positions. "after" is as built:
the answer is cached for 5 s under the portfolio's version, an int bumped whenever
`update_portfolio` sees new content, so a hit never rehashes the positions. `extra` shows what
a content hash would cost per call instead.

The floor is a plain loop over precomputed inputs (#20): each of the 1000 reads computes the same
`PortfolioRisk` in plain Python from per-position (symbol, |size|, mark) floats and the account's
floats prepared before the clock starts. It leaves out the Decimal-to-float conversions, the
`Portfolio` and its properties, and any cache; the cached "after" side answers a read for less
than that, which is the cache's point. `extra["precomputed_answer_ms"]` keeps the old yardstick
(1000 calls of a function returning the answer computed beforehand) for comparison.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._risk_data import account
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import Severity
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


def _precomputed_ms(answer: PortfolioRisk, n: int, reps: int = 50) -> float:
    """The old floor: n calls of a function returning the answer made beforehand (ms, best of reps)."""
    def read() -> PortfolioRisk:
        return answer
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            read()
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000.0, 4)


def _plain_risk(rm: RiskManager, cfg: RiskConfig) -> Callable[[], PortfolioRisk]:
    """The floor's read: the portfolio risk from floats prepared here, in one plain loop a read."""
    pf = rm.portfolio
    rows = [(p.symbol, abs(float(p.size)), float(p.mark_px)) for p in pf.positions]
    equity, peak, version, count = pf.equity, pf.peak_equity, pf.version, len(rows)
    margin_pct = pf.margin_used / equity * 100.0
    drawdown, daily = pf.drawdown_pct, pf.daily_pnl
    max_exposure, max_lev, max_dd = cfg.max_total_exposure_usd, cfg.max_leverage, cfg.max_drawdown_pct
    max_conc, max_loss = cfg.max_concentration_pct, cfg.daily_loss_limit_usd

    def read() -> PortfolioRisk:
        per: dict[str, float] = {}
        for sym, size, mark in rows:
            per[sym] = per.get(sym, 0.0) + size * mark
        exposure = sum(per.values())
        largest = max(per, key=per.__getitem__)
        conc = per[largest] / exposure * 100.0
        lev = exposure / equity
        if (exposure > max_exposure or lev > max_lev or drawdown >= max_dd or conc > max_conc
                or (max_loss > 0 and -daily >= max_loss)):
            raise RuntimeError("the floor covers a portfolio within its limits only")
        return PortfolioRisk(version=version, equity=equity, peak_equity=peak, exposure=exposure, leverage=lev,
                             margin_use_pct=margin_pct, drawdown_pct=drawdown, daily_pnl=daily,
                             concentration_pct=conc, largest_symbol=largest, positions=count,
                             severity=Severity.INFO)
    return read


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

    plain = _plain_risk(before, base)
    answer = before.portfolio_risk()

    def floor() -> None:
        read = plain
        for _ in range(n):
            read()

    m = await ctx.compare(side(after), side(before), floor=floor)
    if not after.portfolio_risk() == before.portfolio_risk() == plain():
        raise RuntimeError("the cached and uncached portfolio risk (or the floor's) differ")
    stats = next(s for s in caches.stats() if s.name == "risk_portfolio")
    return Measurement(after=m.after, before=m.before, floor=m.floor, extra={
        "calls": n, "positions": len(after.portfolio.positions), "version": after.version,
        "cache": {"hits": stats.hits, "misses": stats.misses},
        "content_hash_us_per_call": _content_hash_us(after),
        "precomputed_answer_ms": _precomputed_ms(answer, n),
    })


CASE = BenchCase(
    name="portfolio_risk_1000",
    title="RiskManager Portfolio Risk (1000x)",
    run=_run,
    report_before_ms=45.0,
    report_after_ms=9.0,
    target_ratio=5.0,
    target_floor_ratio=1.6,
    target_text=">= 5x, within 1.6x of a plain loop over precomputed inputs",
    plain="How long 1000 reads of the whole portfolio's risk (exposure, leverage, drawdown) take.",
    floor_text="each read computed in a plain loop over floats prepared beforehand: no Decimals, no Portfolio, "
               "no cache",
)
