"""Row risk_signal_1000: 1000 signal evaluations by the RiskManager (report: 85 -> 8 ms).

One sample is `evaluate_signals` over 1000 signals (10 distinct ones, repeated, as a strategy
repeats itself within a second) against a 10-position portfolio. "before" is the same manager
with RISK_CACHE_TTL_MS=0: every signal is judged from scratch. "after" is as built: the decision
is cached for 1 s under (the signal's fields, the portfolio's version), so a hit costs one key
tuple and one TTLCache lookup. `extra` has the one-at-a-time loop (`evaluate_signal`) as well.

The floor is a plain loop over the same 1000 signals that looks each one's decision up in a dict
filled beforehand with the 10 distinct decisions, keyed by the same signal fields the cache keys
on: the least work that hands back the same 1000 decisions. It leaves out the TTL (reading the
clock), the portfolio version in the key, the decision counters and the first evaluation of each
distinct signal.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._risk_data import account, signals
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import RiskDecision, Signal
from perps_desktop.core.risk import RiskManager
from perps_desktop.core.risk_rules import RiskConfig

__all__ = ["CASE"]

N = 1000


def _key(sig: Signal) -> tuple[object, ...]:
    return (sig.symbol, sig.side, sig.size, sig.price, sig.leverage, sig.reduce_only)


def _floor(sigs: list[Signal], decided: dict[tuple[object, ...], RiskDecision]) -> Callable[[], list[RiskDecision]]:
    def lookup_all() -> list[RiskDecision]:
        return [decided[(s.symbol, s.side, s.size, s.price, s.leverage, s.reduce_only)] for s in sigs]
    return lookup_all


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
    decided = {_key(s): before.evaluate_signal(s) for s in sigs}
    floor = _floor(sigs, decided)
    m = await ctx.compare(lambda: after.evaluate_signals(sigs), lambda: before.evaluate_signals(sigs), floor=floor)
    if not after.evaluate_signals(sigs) == before.evaluate_signals(sigs) == floor():
        raise RuntimeError("the cached and uncached decisions (or the floor's) differ")
    stats = {s.name: {"hits": s.hits, "misses": s.misses} for s in caches.stats()}["risk_signal"]
    reps = 1 if ctx.smoke else 5
    return Measurement(after=m.after, before=m.before, floor=m.floor, extra={
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
    target_ratio=10.0,
    target_floor_ratio=1.6,
    target_text=">= 10x, within 1.6x of a plain dict lookup per signal",
    plain="How long the risk manager takes to approve or refuse 1000 trade signals.",
    floor_text="a plain dict of the 10 distinct decisions, looked up per signal: no TTL, no version, no counters",
)
