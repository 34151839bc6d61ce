"""Row risk_signal_1000: 1000 signal evaluations by the RiskManager (report: 85 -> 8 ms).

One sample is `evaluate_signals` over 1000 signals (10 distinct ones, repeated, as a strategy
repeats itself within a second) against a 10-position portfolio. "before" is the same manager
with RISK_CACHE_TTL_MS=0: every signal is judged from scratch. "after" is as built: the decision
is cached for 1 s under (the signal's fields, the portfolio's version), so a hit costs one key
tuple and one TTLCache lookup. `extra` has the one-at-a-time loop (`evaluate_signal`) as well.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._risk_data import account, signals
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.risk import RiskManager
from perps_desktop.core.risk_rules import RiskConfig

__all__ = ["CASE"]

N = 1000


def _loop_ms(rm: RiskManager, sigs: list, reps: int) -> float:
    samples = []
    evaluate = rm.evaluate_signal
    for _ in range(reps):
        t0 = time.perf_counter()
        for s in sigs:
            evaluate(s)
        samples.append((time.perf_counter() - t0) * 1000.0)
    return round(statistics.median(samples), 4)


async def _run(ctx: BenchContext) -> Measurement:
    base = RiskConfig.from_settings(ctx.settings) if ctx.settings is not None else RiskConfig()
    n = 50 if ctx.smoke else N
    acct, sigs = account(), signals(n)
    caches = CacheRegistry()
    after = RiskManager(base, caches=caches)
    before = RiskManager(replace(base, signal_ttl_ms=0))
    for rm in (after, before):
        rm.update_portfolio(acct)
    m = await ctx.compare(lambda: after.evaluate_signals(sigs), lambda: before.evaluate_signals(sigs))
    if after.evaluate_signals(sigs) != before.evaluate_signals(sigs):
        raise RuntimeError("the cached and uncached decisions differ")
    stats = {s.name: {"hits": s.hits, "misses": s.misses} for s in caches.stats()}["risk_signal"]
    reps = 1 if ctx.smoke else 5
    return Measurement(after=m.after, before=m.before, extra={
        "signals": n, "distinct": 10, "positions": len(acct.positions),
        "signal_cache": stats,
        "loop_before_ms": _loop_ms(before, sigs, reps), "loop_after_ms": _loop_ms(after, sigs, reps),
        "decisions": after.decision_counts(),
    })


CASE = BenchCase(
    name="risk_signal_1000",
    title="RiskManager Signal Eval (1000x)",
    run=_run,
    report_before_ms=85.0,
    report_after_ms=8.0,
    target_after=1.0,
    target_ratio=10.0,
    target_text="after <= 1 ms, >= 10x",
)
