"""Row api_calls_10: the ten API calls of one bot tick, with 50 ms of venue latency (report: 500 -> 50 ms).

The tick asks what the engine, the risk manager and the position recovery ask every cycle:
all mids (engine) and the mids of three coins (strategy, recovery), the account state three
times (engine, risk, recovery), the open orders twice (engine, recovery) and the fills. The
simulator runs in a child process (its own core and loop, IP limit off) and holds every /info
request 50 ms, as a distant venue would.

"before" is the same `HyperliquidClient` built from `ClientConfig.naive()`: no caches, no
single-flight, one request at a time, so the tick costs ten round trips. "after" is the client
as built, caches emptied before every sample (cold): the ten calls collapse into four distinct
requests sent together, about one round trip. `extra` has the loopback figures with no latency:
ten identical concurrent calls (one request), a cached call, and both ticks.

The peers (`_api_peers.py`: the official SDK's `Info` in threads, and ccxt's async client) do the
same ten reads against the same simulator with the same 50 ms, interleaved with our two sides.
The row also reports the request weight (the venue's IP-limit units, hyperliquid-api.md §7) one
tick spends on each side, counted by the simulator. There is no floor: one round trip is the
floor of a tick, and `after_over_one_call` says how close the after side comes to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._api_peers import CCXT, SDK, ccxt_tick, sdk_tick
from perps_desktop.bench.cases._sim_child import sim_child, sim_control
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.exchange import ClientConfig, HyperliquidClient, info_weight

__all__ = ["CASE"]

LATENCY_MS = 50


async def tick(client: HyperliquidClient) -> list[Any]:
    """The ten calls of a bot tick, issued the way the core issues them: concurrently."""
    return await asyncio.gather(
        client.all_mids(), client.mid("BTC"), client.mid("ETH"), client.mid("SOL"),
        client.user_state(), client.user_state(), client.user_state(),
        client.open_orders(), client.open_orders(), client.user_fills())


async def _weight(control: aiohttp.ClientSession, url: str, tick_once: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """What one tick sends: requests and request weight, from the simulator's counters."""
    before = (await sim_control(control, url, {"type": "stats"}))["requests"]
    await tick_once()
    after = (await sim_control(control, url, {"type": "stats"}))["requests"]
    sent = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    weight = sum(n * info_weight(k.removeprefix("info:")) for k, n in sent.items() if k.startswith("info:"))
    return {"requests_per_tick": sum(sent.values()), "weight_per_tick": weight, "sent": sent}


async def _median_ms(fn: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


async def _loopback_figures(built: HyperliquidClient, naive: HyperliquidClient, n: int) -> dict[str, float]:
    """No latency: what the client itself costs on loopback."""

    async def cold_tick() -> None:
        built.clear_caches()
        await tick(built)

    async def coalesced_10() -> None:
        built.clear_caches()
        await asyncio.gather(*(built.user_state() for _ in range(10)))

    await built.all_mids()
    cached_n = 2000
    t0 = time.perf_counter()
    for _ in range(cached_n):
        await built.mid("BTC")  # a warm cache: the 500 ms TTL outlives this loop
    cached_us = (time.perf_counter() - t0) / cached_n * 1e6
    return {
        "zero_latency_before_ms": round(await _median_ms(lambda: tick(naive), n), 3),
        "zero_latency_after_cold_ms": round(await _median_ms(cold_tick, n), 3),
        "zero_latency_coalesced_10_ms": round(await _median_ms(coalesced_10, n * 3), 3),
        "zero_latency_one_call_ms": round(await _median_ms(naive.ping, n * 3), 3),
        "cached_call_us": round(cached_us, 2),
    }


async def _run(ctx: BenchContext) -> Measurement:
    base = ClientConfig.from_settings(ctx.settings) if ctx.settings is not None else ClientConfig()
    async with sim_child(log=ctx.workdir / "api_calls_10_sim.log") as sim:
        url = sim.url
        # the sim's IP limit is off and so is the client's budget: this row measures round trips
        cfg = base.replace(base_url=url, is_mainnet=False, rate_limit_weight_per_min=10_000_000, stream_mids=False,
                           cache_prefix="bench.after")
        key = "0x" + secrets.token_hex(32)
        async with aiohttp.ClientSession() as control, \
                HyperliquidClient(cfg, private_key=key, registry=CacheRegistry()) as built, \
                HyperliquidClient(cfg.naive().replace(cache_prefix="bench.before"), address=built.address,
                                  registry=CacheRegistry()) as naive:
            address = built.address
            assert address is not None          # a client given a key knows its address
            await sim_control(control, url, {"type": "fund", "user": address, "usdc": "100000"})
            n = 3 if ctx.smoke else ctx.size(30, 10)
            extra: dict[str, Any] = await _loopback_figures(built, naive, n)

            async def after() -> None:
                built.clear_caches()
                await tick(built)

            async with contextlib.AsyncExitStack() as stack:
                peers: dict[str, Callable[[], Awaitable[Any]]] = {}
                missing: dict[str, dict[str, str]] = {}
                for name, make in ((SDK, sdk_tick), (CCXT, ccxt_tick)):
                    try:
                        peers[name] = await stack.enter_async_context(make(url, address))
                    except ImportError as exc:   # a dev dependency not installed: the row still runs
                        missing[name] = {"missing": f"{exc}: pip install -e '.[dev]'"}
                for name, peer in peers.items():    # what each client costs itself, on loopback
                    extra[f"zero_latency_{name}_ms"] = round(await _median_ms(peer, n), 3)
                await sim_control(control, url, {"type": "fault", "kind": "latency", "rate": 1.0,
                                                 "latencyMs": LATENCY_MS, "target": "info"})
                one_call = await _median_ms(naive.ping, 3 if ctx.smoke else 5)
                before_reqs = naive.stats().total_requests
                after_reqs = built.stats().total_requests
                m = await ctx.compare(after=after, before=lambda: tick(naive), peers=peers)
                sides = len(m.after) + ctx.warmup
                requests = {"before": round((naive.stats().total_requests - before_reqs) / sides, 2),
                            "after": round((built.stats().total_requests - after_reqs) / sides, 2)}
                spent = {"before": await _weight(control, url, lambda: tick(naive)),
                         "after": await _weight(control, url, after),
                         **{name: await _weight(control, url, peer) for name, peer in peers.items()}}
            extra.update({
                "latency_ms": LATENCY_MS,
                "one_call_ms": round(one_call, 3),
                "after_over_one_call": round(statistics.median(m.after) / one_call, 3),
                "requests_per_tick_before": requests["before"],
                "requests_per_tick_after": requests["after"],
                "weight_per_tick_before": spent["before"]["weight_per_tick"],
                "weight_per_tick_after": spent["after"]["weight_per_tick"],
            })
    how = {SDK: "Info in a 10-thread pool, the ten calls at once",
           CCXT: "async client, enableRateLimit off, the ten calls gathered"}
    peer_info = {name: {"how": how[name], **spent[name]} for name in peers} | missing
    return Measurement(after=m.after, before=m.before, peers=m.peers, peer_info=peer_info, extra=extra)


CASE = BenchCase(
    name="api_calls_10",
    title="API calls (10 calls)",
    run=_run,
    report_before_ms=500.0,
    report_after_ms=50.0,
    target_ratio=9.0,
    target_text="10 calls in ~1 round trip, >= 9x, ahead of the SDK and ccxt on the same ten reads; loopback: "
                "coalesced 10 <= 0.3 ms, cached <= 50 us",
    plain="How long one bot tick's ten exchange reads take over a 50 ms link, and what they cost in request weight.",
    peers=(SDK, CCXT),
)
