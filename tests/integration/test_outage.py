"""The core on a venue that fails or hangs: it says so (connected, data age, breakers), stops promptly,
and comes back by itself once the venue answers again."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from perps_desktop.app import App
from perps_desktop.core.models import BreakerState
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings


def _info_state(app: App) -> BreakerState:
    return next(b.state for b in app.snapshot().breakers if b.name == "exchange_info")


@pytest.mark.parametrize("kind", ["error", "timeout"])
async def test_an_outage_shows_as_dark_stale_and_an_open_info_breaker_then_heals(tmp_path, sim_server, kind):
    """On every target — the stream included — the venue goes dark: the data age grows all through
    the outage (neither a pushed state nor a half-open trial served from one resets it), then the
    core comes back by itself: connected, every breaker closed."""
    sim = await sim_server()
    settings = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, api_read_timeout_ms=500,
                             cb_base_backoff_ms=200, cb_max_backoff_ms=1000)
    async with App(settings) as app:
        await app.wait_until_reconciled()
        await wait_until(lambda: app.snapshot().connected, timeout=20)
        await sim.set_fault(kind=kind, target="all", latency_ms=60_000 if kind == "timeout" else 0)
        await wait_until(lambda: not app.snapshot().connected and not app.snapshot().freshness.rest_ok
                         and _info_state(app) is not BreakerState.CLOSED, timeout=30)
        first = app.snapshot().freshness
        assert first is not None
        ages: list[float] = []

        def grown() -> bool:                # over several half-open trials of exchange_info (200 ms-1 s apart)
            ages.append(app.snapshot().freshness.data_age_s)
            return ages[-1] > first.data_age_s + 4.0
        await wait_until(grown, timeout=30)
        falls = [(a, b) for a, b in itertools.pairwise(ages) if b < a]
        assert not falls, f"the data age fell back during the outage: {falls[:5]}"
        assert "venue unreachable" in app.snapshot().status_text
        await sim.set_fault(kind="none")
        await wait_until(lambda: app.snapshot().connected and all(
            b.state is BreakerState.CLOSED for b in app.snapshot().breakers), timeout=60)
        assert not app.snapshot().freshness.stale


async def test_the_stop_stays_prompt_while_every_request_hangs(tmp_path, sim_server):
    """Each request hangs for 60 s (API_TIMEOUT_MS 60 s too): before, the stop waited for the
    recovery lock, held by a round stuck in its reads; now reads are cut off at once."""
    sim = await sim_server()
    settings = fast_settings(tmp_path, sim, api_timeout_ms=60_000, api_read_timeout_ms=60_000)
    app = App(settings)
    await app.start()
    try:
        await app.wait_until_reconciled()
        await sim.set_fault(kind="latency", latency_ms=60_000, target="all")
        await wait_until(lambda: not app.snapshot().freshness.rest_ok, timeout=20)   # silent: reads are stuck
    finally:
        async with asyncio.timeout(30):
            await app.aclose()
    counters = app.trace_counters()
    assert counters.recorded == counters.flushed > 0


async def test_an_order_cut_off_by_the_stop_is_traced_unknown_and_looked_up_by_cloid_at_the_next_start(
        tmp_path, sim_server):
    from perps_desktop.core.models import TraceQuery
    from perps_desktop.store import decode_payload
    from tests.integration.engine_support import open_position

    sim = await sim_server(rate_limit_per_min=0)
    key = "0x" + "6f" * 32
    quiet = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, symbols="BTC")
    app = App(quiet, private_key=key)
    await app.start()
    try:
        await app.wait_until_reconciled()
        await open_position(app, "BTC", 2_000)
        await sim.set_fault(kind="latency", latency_ms=8_000, target="exchange")
        closing = asyncio.ensure_future(app.close_position("BTC"))
        await wait_until(lambda: app.services.engine.inflight.active, timeout=20)
    finally:
        await app.aclose()                      # the close is still on the wire: 1 s grace, then cut off
    report = await asyncio.gather(closing, return_exceptions=True)     # failed one way or another
    assert not getattr(report[0], "ok", False)
    await sim.set_fault(kind="none")
    async with App(quiet, private_key=key) as second:
        async def traces(decision: str) -> list:
            page = await second.query_traces(TraceQuery(kind="order", limit=200))
            return [t for t in page.traces if t.decision == decision]
        unknown = await traces("unknown")
        assert len(unknown) == 1 and "outcome unknown" in unknown[0].reason
        (cloid,) = decode_payload(unknown[0])["cloids"]
        async def looked_up() -> list:
            return [t for t in await traces("looked_up") if decode_payload(t)["cloid"] == cloid]
        await wait_until(looked_up, timeout=20)
        looked = await looked_up()
        assert f"order {cloid} left unknown at the last stop: the venue says" in looked[0].reason
