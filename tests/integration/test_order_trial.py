"""exchange_orders after an outage: its trial is a signed noop the core sends itself, so the breaker
closes while the strategy is quiet, and no order of the trader's or the strategy's is the trial."""

from __future__ import annotations

from perps_desktop.app import App
from perps_desktop.core.models import BreakerState
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings


async def test_a_half_open_orders_breaker_is_tried_with_a_noop_and_closes_without_an_order(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    settings = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, cb_base_backoff_ms=200,
                             cb_max_backoff_ms=1000, cb_max_recovery_attempts=2)
    async with App(settings) as app:
        await app.wait_until_reconciled()
        orders = app.services.breakers.get("exchange_orders")

        def sent(kind: str) -> int:
            return sim.stats()["requests"].get(f"exchange:{kind}", 0)

        # /exchange fails while /info answers: the noop trials fail, the breaker backs off, then gives up
        await sim.set_fault(kind="error", target="exchange")
        orders.trip("an order timed out")
        await wait_until(lambda: orders.exhausted, timeout=30)
        assert sent("noop") >= 2 and orders.state is BreakerState.OPEN
        await sim.set_fault(kind="none")
        # the venue is back: a noop (at most once per the longest backoff) closes it, by itself
        await wait_until(lambda: orders.state is BreakerState.CLOSED, timeout=30)
        tried = sent("noop")

        orders.trip("an order timed out")        # and a plain half-open one is closed by its first trial
        await wait_until(lambda: orders.state is BreakerState.CLOSED, timeout=30)
        assert sent("noop") > tried
        assert sent("order") == 0 and sent("cancel") == 0     # nothing placed to find out
        assert app.snapshot().status_text == "trading ACTIVE"
