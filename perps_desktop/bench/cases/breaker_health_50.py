"""Row breaker_health_50: 50 health probes of a venue 30 ms away (report: 1500 -> 500 ms).

The simulator (`perps_desktop.sim`, started by the row in a child process so that its CPU is
not timed as the checker's) holds every /info request 30 ms, a latency fault set through
`POST /sim`, so each probe (an allMids POST over loopback, as the "exchange reachable" check
does) takes ~30 ms at the far end. One sample is one `HealthChecker.run_once()` over 50 such checks, each tied to
the exchange breaker and with its own timeout. "before" is the same checker with
HEALTH_CHECK_PARALLEL=false (parallelism 1: one check after another, ~50 x 30 ms); "after" is
as built (all at once, so the round costs about one probe).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._sim_child import sim_child, sim_control
from perps_desktop.core.breaker import BreakerRegistry
from perps_desktop.core.health import HealthChecker, HealthConfig

__all__ = ["CASE"]

PROBES = 50
LATENCY_MS = 30


def _checker(cfg: HealthConfig, http: aiohttp.ClientSession, url: str, probes: int) -> HealthChecker:
    checker = HealthChecker(cfg, breakers=BreakerRegistry())

    async def probe() -> str:
        async with http.post(url + "/info", json={"type": "allMids"}) as resp:
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            await resp.read()
            return "ok"

    for i in range(probes):
        checker.add_check(f"probe{i}", probe, breaker="exchange_info")
    return checker


async def _run(ctx: BenchContext) -> Measurement:
    base = HealthConfig.from_settings(ctx.settings) if ctx.settings is not None else HealthConfig()
    probes = 5 if ctx.smoke else PROBES
    after_cfg = HealthConfig(timeout_ms=base.timeout_ms, history_size=base.history_size, parallelism=0)
    before_cfg = HealthConfig(timeout_ms=base.timeout_ms, history_size=base.history_size, parallelism=1)
    async with sim_child() as sim:
        url = sim.url
        connector = aiohttp.TCPConnector(limit=probes + 10)
        async with aiohttp.ClientSession(connector=connector) as http:
            fault = {"type": "fault", "kind": "latency", "rate": 1.0, "latencyMs": LATENCY_MS, "target": "info"}
            await sim_control(http, url, fault)
            after = _checker(after_cfg, http, url, probes)
            before = _checker(before_cfg, http, url, probes)
            failed: list[Any] = []

            async def round_of(checker: HealthChecker) -> None:
                results = await checker.run_once()
                failed.extend(r for r in results if not r.ok)

            reps = None if not ctx.quick or ctx.smoke else 3
            m = await ctx.compare(lambda: round_of(after), lambda: round_of(before), repetitions=reps,
                                  warmup=None if reps is None else 1)
            if failed:
                raise RuntimeError(f"{len(failed)} probes failed, e.g. {failed[0].check}: {failed[0].detail}")
            latencies = sorted(r.latency_ms for r in after.history()[:probes])
            served = (await sim_control(http, url, {"type": "stats"}))["requests"].get("info:allMids", 0)
    return Measurement(after=m.after, before=m.before, extra={
        "probes": probes, "latency_ms_injected": LATENCY_MS,
        "after_probe_latency_ms_median": round(latencies[len(latencies) // 2], 2),
        "requests_served": served,
    })


CASE = BenchCase(
    name="breaker_health_50",
    title="CircuitBreaker Health Check (50x)",
    run=_run,
    report_before_ms=1500.0,
    report_after_ms=500.0,
    target_after=60.0,
    target_ratio=20.0,
    plain="How long 50 health checks of the circuit breakers take (they run in parallel).",
    target_text="after <= 60 ms, >= 20x",
    timeout_s=240.0,
)
