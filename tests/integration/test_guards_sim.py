"""The guards against the real simulator over loopback: faults set through the simulator open
the exchange breaker, its health check closes it again, and the risk manager judges the account
the venue reports."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

from perps_desktop.core import (
    AlertManager,
    BreakerConfig,
    BreakerRegistry,
    BreakerTransition,
    HealthChecker,
    HealthConfig,
    RiskManager,
    ping_check,
)
from perps_desktop.core.models import BreakerState, Decision, Side, Signal
from perps_desktop.errors import BreakerOpen, TransportError
from perps_desktop.exchange import ClientConfig, HyperliquidClient
from tests.helpers import wait_until

# Backoff long enough that only the health check can end the outage within the test.
SLOW_RECOVERY = BreakerConfig(failure_threshold=5, base_backoff_ms=600_000, max_backoff_ms=600_000)


async def test_a_burst_of_errors_opens_the_exchange_breaker_and_its_health_check_closes_it(sim_server) -> None:
    sim = await sim_server(rate_limit_per_min=0)
    alerts = AlertManager()
    breakers = BreakerRegistry(SLOW_RECOVERY, alerts=alerts)
    breaker = breakers["exchange_info"]
    seen: list[BreakerTransition] = []
    breakers.add_listener(seen.append)

    async with aiohttp.ClientSession() as http:
        async def all_mids() -> dict[str, str]:
            async with http.post(sim.url + "/info", json={"type": "allMids"}) as resp:
                if resp.status >= 400:
                    raise TransportError(f"HTTP {resp.status}: {await resp.text()}", endpoint="info:allMids")
                return await resp.json()

        assert "BTC" in await breaker.call(all_mids)
        await sim.set_fault(kind="error", rate=1.0)
        refused = 0
        for _ in range(20):
            try:
                await breaker.call(all_mids)
            except TransportError:
                pass
            except BreakerOpen as exc:
                refused += 1
                assert exc.breaker == "exchange_info" and exc.retry_in_s is not None
        assert breaker.state is BreakerState.OPEN
        assert refused == 15                                  # 5 failures opened it; the rest never left
        assert sim.stats()["requests"]["info:allMids"] == 6   # 1 good + 5 failed
        assert "HTTP 500" in (breaker.snapshot().last_error or "")
        assert any(a.key == "breaker:exchange_info:open" for a in alerts.history())

        health = HealthChecker(HealthConfig(interval_ms=50, timeout_ms=2000), breakers=breakers)
        health.add_check("exchange", all_mids, breaker="exchange_info")
        (result,) = await health.run_once()
        assert not result.ok and "HTTP 500" in result.detail
        assert breaker.state is BreakerState.OPEN

        await sim.clear_faults()
        async with health:
            await wait_until(lambda: breaker.state is BreakerState.CLOSED)
        assert "BTC" in await breaker.call(all_mids)

    transitions = [(t.old, t.new) for t in seen]
    assert transitions == [(BreakerState.CLOSED, BreakerState.OPEN), (BreakerState.OPEN, BreakerState.HALF_OPEN),
                           (BreakerState.HALF_OPEN, BreakerState.CLOSED)]
    assert "health check exchange passed" in seen[-1].reason
    assert health.latest()["exchange"].ok


async def test_the_client_behind_a_breaker_and_the_risk_manager_on_the_venues_account(sim_server) -> None:
    sim = await sim_server(rate_limit_per_min=0)
    address = "0x" + "ab" * 20
    await sim.fund(address, usdc=100_000)
    config = ClientConfig(base_url=sim.url, max_retries=0, mids_ttl_s=0, account_ttl_s=0, stream_mids=False)
    breakers = BreakerRegistry(SLOW_RECOVERY)
    breaker = breakers["exchange_info"]
    risk = RiskManager()
    async with HyperliquidClient(config, address=address) as client:
        account = await breaker.call(client.user_state, address)
        assert risk.update_portfolio(account)
        assert risk.portfolio.equity == pytest.approx(100_000)
        buy = Signal(symbol="BTC", side=Side.BUY, size=Decimal("0.01"), price=await client.mid("BTC"), strategy="t")
        assert risk.evaluate_signal(buy).decision is Decision.APPROVE
        huge = Signal(symbol="BTC", side=Side.BUY, size=Decimal("100"), price=buy.price, strategy="t")
        decision = risk.evaluate_signal(huge)
        assert decision.decision is Decision.REDUCE and Decimal(0) < decision.size < Decimal(100)

        await sim.set_fault(kind="timeout", rate=1.0, latency_ms=50, target="info")
        for _ in range(5):
            with pytest.raises(TransportError):
                await breaker.call(client.user_state, address)
        assert breaker.state is BreakerState.OPEN
        with pytest.raises(BreakerOpen):
            await breaker.call(client.user_state, address)
        assert not risk.update_portfolio(account)             # the last good account stays in force

        health = HealthChecker(breakers=breakers)
        health.add_check("exchange", ping_check(client), breaker="exchange_info")
        await sim.clear_faults()
        await asyncio.wait_for(health.run_once(), timeout=10)
        assert breaker.state is BreakerState.CLOSED
        assert (await breaker.call(client.user_state, address)).equity == account.equity
