"""Every request the client sends to the simulator is timed per endpoint; cache hits are not."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from perps_desktop.core import PerformanceMonitor
from perps_desktop.errors import TransportError
from tests.integration.client_helpers import funded_client, resting_buy


class Recorder:
    """A `RequestObserver` that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, bool]] = []

    def on_request(self, endpoint: str, ms: float, ok: bool, error: BaseException | None = None) -> None:
        self.calls.append((endpoint, ms, ok))

    def by(self, endpoint: str) -> list[tuple[str, float, bool]]:
        return [c for c in self.calls if c[0] == endpoint]


async def test_round_trips_are_reported_per_endpoint_and_match_the_simulators_count(sim_server):
    sim = await sim_server()
    rec = Recorder()
    async with funded_client(sim, observer=rec) as client:
        await asyncio.gather(*(client.mid("BTC") for _ in range(5)))   # one shared allMids ...
        await client.mid("ETH")                                        # ... then a cache hit
        await client.user_state()
        await client.user_state()                                      # a cache hit
        await client.open_orders()
        mid = await client.mid("BTC")
        result = await client.place_order(resting_buy("BTC", mid))
        assert result.ok, result
        await client.ping()                                            # uncached: a round trip
        sent = sim.stats()["requests"]
        latency = client.request_latency()
    assert len(rec.by("info:allMids")) == 2 == sent["info:allMids"]
    assert len(rec.by("info:clearinghouseState")) == 1 == sent["info:clearinghouseState"]
    assert len(rec.by("exchange:order")) == 1 == sent["exchange:order"]
    assert {e for e, _, _ in rec.calls} == set(sent)                   # every endpoint asked, nothing else
    assert all(ok and ms > 0 for _, ms, ok in rec.calls)
    assert dict(client.counters.requests) == sent                      # perps_api_requests_total is the venue's count
    assert {label: h.count for label, h in latency.items()} == sent
    assert latency["exchange:order"].sum_s * 1000 == pytest.approx(rec.by("exchange:order")[0][1])


async def test_venue_latency_shows_in_the_timing_and_failures_are_flagged(sim_server):
    sim = await sim_server()
    rec = Recorder()
    async with funded_client(sim, observer=rec, max_retries=0, mids_ttl_s=0.0) as client:
        await sim.set_fault(kind="latency", latency_ms=80, target="info")
        assert await client.mid("BTC") > Decimal(0)
        await sim.set_fault(kind="error", target="info")
        with pytest.raises(TransportError):
            await client.all_mids()
        await sim.clear_faults()
        latency = client.request_latency()["info:allMids"]
    (slow, failed) = rec.by("info:allMids")
    # the venue's 80 ms hold is in the round trip (Qt timers, which the qasync loop sleeps on, may wake
    # a millisecond or two early, so allow a margin)
    assert slow[2] and slow[1] >= 70.0
    assert not failed[2]
    assert latency.count == 2 and latency.failed == 1 and latency.sum_s >= 0.07
    assert dict(latency.buckets)[0.05] == sum(ms <= 50.0 for _, ms, _ in rec.calls) <= 1   # the slow one is above


async def test_the_monitor_as_observer_shows_p50_p99_by_endpoint(sim_server):
    sim = await sim_server()
    monitor = PerformanceMonitor()
    async with funded_client(sim, observer=monitor, mids_ttl_s=0.0, account_ttl_s=0.0) as client:
        for _ in range(5):
            await asyncio.gather(client.all_mids(), client.user_state(), client.open_orders())
    timings = {t.name: t for t in monitor.snapshot().timings}
    assert {"info:allMids", "info:clearinghouseState", "info:frontendOpenOrders"} <= set(timings)
    assert timings["info:allMids"].count == 5
    assert 0 < timings["info:allMids"].p50_ms <= timings["info:allMids"].p99_ms
