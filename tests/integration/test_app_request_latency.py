"""The App wires its exchange client to the monitor: request p50/p99 by endpoint, and the metrics' real counts."""

from __future__ import annotations

import re

import aiohttp

from perps_desktop.app import App, TimingStats
from perps_desktop.app.metrics import MetricsServer
from tests.helpers import wait_until
from tests.integration.engine_support import fast_settings


def _request_timings(app: App) -> dict[str, TimingStats]:
    snap = app.snapshot()
    return {t.name: t for t in snap.monitor.timings if t.name.startswith(("info:", "exchange:"))}


async def test_the_monitor_times_every_endpoint_the_app_calls_and_counts_match_the_venue(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim)) as app:
        await wait_until(lambda: {"info:allMids", "info:clearinghouseState", "exchange:order"}
                         <= set(_request_timings(app))
                         and app.services.client.stats().cache_hits >= 5, timeout=30)  # some reads were hits
        timings = _request_timings(app)
        assert all(t.count > 0 and 0 < t.p50_ms <= t.p99_ms <= t.max_ms for t in timings.values())
        async with MetricsServer(app, 0) as server, aiohttp.ClientSession() as http, http.get(server.url) as resp:
            text = await resp.text()
    assert "# TYPE perps_api_request_seconds histogram" in text
    assert re.search(r'^perps_api_request_seconds_count\{endpoint="info",type="allMids"\} [1-9]', text, re.M)
    assert re.search(r'^perps_api_request_seconds_bucket\{endpoint="exchange",le="\+Inf",type="order"\} [1-9]',
                     text, re.M)
    # stopped. A completed round trip reached the venue, and the venue saw nothing the client did not
    # send: timed <= the simulator's count <= sent; only a request cancelled in flight at the stop
    # is sent but not timed. Cache hits are neither (a hit counted or timed breaks the chain).
    sent, venue = app.api_requests(), sim.stats()["requests"]
    timed = {label: h.count for label, h in app.api_latency().items()}
    assert set(timed) <= {k for k in venue if k.startswith(("info:", "exchange:"))} <= set(sent)
    for label, n in sent.items():
        assert timed.get(label, 0) <= venue.get(label, 0) <= n <= timed.get(label, 0) + 2, label
