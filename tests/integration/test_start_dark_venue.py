"""A venue that is dark before the core starts (#15): the core comes up at once and says so, trades
nothing until the venue answers, then reconciles and checks SYMBOLS by itself; `headless --duration`
ends on time even while the start-up itself still waits for the venue."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from perps_desktop.app import App
from perps_desktop.core.models import BreakerState, TradingState
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings


def _info_state(app: App) -> BreakerState:
    return next(b.state for b in app.snapshot().breakers if b.name == "exchange_info")


@pytest.mark.parametrize("kind", ["timeout", "error"])
async def test_a_venue_dark_before_the_start_comes_up_honest_and_reconciles_when_it_answers(tmp_path, sim_server,
                                                                                           kind):
    """Before: the start-up check retried `meta` and refused the start (exit 2) after ~13 s. Now the core
    is up after one attempt: not connected, `exchange_info` not closed, the status naming the dark venue."""
    sim = await sim_server()
    await sim.set_fault(kind=kind, target="all", latency_ms=60_000 if kind == "timeout" else 0)
    settings = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, api_read_timeout_ms=300,
                             cb_base_backoff_ms=200, cb_max_backoff_ms=1000)
    async with App(settings) as app:
        assert app.running
        await wait_until(lambda: not app.snapshot().connected and _info_state(app) is not BreakerState.CLOSED
                         and "venue unreachable" in app.snapshot().status_text, timeout=30)
        snap = app.snapshot()
        assert "reconciling" in snap.status_text, snap.status_text
        assert app.services is not None and app.services.engine.reconciled is None
        assert snap.positions == () and snap.account is None
        await sim.set_fault(kind="none")
        await app.wait_until_reconciled(timeout=60)
        await wait_until(lambda: app.snapshot().connected and all(
            b.state is BreakerState.CLOSED for b in app.snapshot().breakers), timeout=60)
        assert app.snapshot().risk.trading_state is TradingState.ACTIVE


async def test_symbols_the_venue_does_not_list_halt_trading_once_a_dark_venue_answers(tmp_path, sim_server):
    """The start-up check of SYMBOLS, deferred: FOO cannot be refused at start while the venue is dark;
    when `meta` comes, trading halts naming FOO (and a critical alert says why)."""
    sim = await sim_server()
    await sim.set_fault(kind="timeout", target="all")
    settings = fast_settings(tmp_path, sim, symbols="BTC,FOO", strategy_threshold_pct=QUIET,
                             api_read_timeout_ms=300, cb_base_backoff_ms=200, cb_max_backoff_ms=1000)
    async with App(settings) as app:
        assert app.snapshot().risk.trading_state is TradingState.ACTIVE
        await sim.set_fault(kind="none")
        await wait_until(lambda: app.snapshot().risk.trading_state is TradingState.HALTED, timeout=60)
        alerts = [a.message for a in app.snapshot().alerts if a.key == "config:symbols"]
        assert alerts and "FOO is not a coin of" in alerts[0], alerts


async def test_headless_duration_counts_from_launch_and_cuts_a_start_that_still_waits(tmp_path, sim_server):
    """Each request may wait 10 minutes (API_TIMEOUT_MS, API_READ_TIMEOUT_MS), so the start-up check
    is still waiting when `--duration 2` runs out: the start is cancelled, everything it opened is closed
    and the last line comes. Before, the duration counted only once the start was done."""
    sim = await sim_server()
    await sim.set_fault(kind="timeout", target="all")
    env = {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"),
           "API_TIMEOUT_MS": "600000", "API_READ_TIMEOUT_MS": "600000"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "headless", "--base-url", sim.url, "--duration", "2",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines, text = out.decode().splitlines(), err.decode()
    assert proc.returncode == 0, text[-2000:]
    assert lines and lines[-1].startswith("stopped traces_recorded="), (lines, text[-2000:])
    assert "stopped during start-up" in text and "Traceback" not in text, text[-2000:]


async def test_an_endpoint_that_is_not_a_venue_is_still_refused_at_once(tmp_path, sim_server):
    """A server that answers 404 (a wrong path) is no venue: one line naming the URL and the reply, not a
    core waiting for a venue that will never come."""
    from perps_desktop.errors import VenueUnreachable

    sim = await sim_server()
    settings = fast_settings(tmp_path, sim, base_url=sim.url + "/nothing-here")
    with pytest.raises(VenueUnreachable) as refused:
        async with App(settings):
            pass
    assert f"{sim.url}/nothing-here did not answer at start (info:meta: HTTP 404" in str(refused.value), refused.value
