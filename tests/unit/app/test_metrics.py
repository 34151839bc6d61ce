"""The metrics collector turns one snapshot into DESIGN.md's families, from a private registry."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import REGISTRY, generate_latest

from perps_desktop.app import (
    AccountState,
    BreakerSnapshot,
    BreakerState,
    CacheStats,
    CoreSnapshot,
    MonitorSnapshot,
    RateBudgetSnapshot,
    RiskSnapshot,
    TraceCounters,
    TradingState,
)
from perps_desktop.app.metrics import build_registry
from perps_desktop.exchange import LatencySnapshot
from perps_desktop.exchange.stats import LatencyHistogram


def breaker(name: str, state: BreakerState) -> BreakerSnapshot:
    return BreakerSnapshot(name=name, state=state, failures=0, successes=0, consecutive_failures=0,
                           recovery_attempts=0, next_retry_at=None, last_error=None, last_change_ms=0)


def _budget() -> RateBudgetSnapshot:
    poll = LatencyHistogram()
    for s in (0.0, 0.0, 3.0):
        poll.observe(s)
    return RateBudgetSnapshot(used=158, limit=1200, reserved=300, waiting="read", waiting_s=3.2, queued=1,
                              wait_seconds=(("manual", LatencyHistogram().snapshot()), ("poll", poll.snapshot())))


class Source:
    def snapshot(self) -> CoreSnapshot:
        risk = RiskSnapshot(trading_state=TradingState.ACTIVE, state_reason="", equity=1, peak_equity=1, exposure=0,
                            max_exposure=1, leverage=0, max_leverage=1, margin_use_pct=0, drawdown_pct=0,
                            max_drawdown_pct=1, daily_pnl=0, daily_loss_limit=1,
                            decisions={"approve": 7, "reduce": 2, "reject": 1})
        return CoreSnapshot(
            version=1, time_ms=0, mode="paper", network="testnet", address=None, base_url="", connected=True,
            read_only=False, risk=risk,
            account=AccountState(address="0x", equity=Decimal("1234.5"), total_notional=Decimal(0),
                                 margin_used=Decimal(0), withdrawable=Decimal(0), positions=(), time_ms=0),
            breakers=(breaker("exchange_info", BreakerState.OPEN), breaker("websocket", BreakerState.DISABLED)),
            caches=(CacheStats(name="recovery", hits=40, misses=2, evictions=0, expirations=1, size=3, maxsize=512,
                               ttl_s=5.0, deduplicated=0),),
            monitor=MonitorSnapshot(time_ms=0, loop_lag_ms_p50=1.0, loop_lag_ms_p99=12.0, loop_lag_ms_last=2.0,
                                    rss_bytes=1),
            traces=TraceCounters(recorded=10, flushed=9, queued=1), budget=_budget())

    def api_requests(self) -> dict[str, int]:
        return {"info:allMids": 5, "exchange:order": 2}

    def api_latency(self) -> dict[str, LatencySnapshot]:
        mids = LatencyHistogram()
        for s in (0.004, 0.004, 0.02, 0.02, 0.3):
            mids.observe(s, ok=s < 0.1)
        order = LatencyHistogram()
        order.observe(0.05)
        order.observe(0.05)
        return {"info:allMids": mids.snapshot(), "exchange:order": order.snapshot()}


def test_every_family_from_one_snapshot():
    text = generate_latest(build_registry(Source())).decode()
    for line in ('perps_breaker_state{breaker="exchange_info"} 2.0', 'perps_breaker_state{breaker="websocket"} 4.0',
                 'perps_cache_hits_total{cache="recovery"} 40.0', 'perps_cache_misses_total{cache="recovery"} 2.0',
                 'perps_api_requests_total{endpoint="info",type="allMids"} 5.0',
                 'perps_api_requests_total{endpoint="exchange",type="order"} 2.0',
                 "perps_traces_recorded_total 10.0", "perps_traces_flushed_total 9.0",
                 'perps_risk_decisions_total{decision="approve"} 7.0', "perps_loop_lag_seconds 0.012",
                 "perps_equity_usd 1234.5", "perps_connected 1.0"):
        assert line in text, line


def test_request_latency_is_a_histogram_by_endpoint_and_type():
    text = generate_latest(build_registry(Source())).decode()
    assert "# TYPE perps_api_request_seconds histogram" in text
    for line in ('perps_api_request_seconds_bucket{endpoint="info",le="0.005",type="allMids"} 2.0',
                 'perps_api_request_seconds_bucket{endpoint="info",le="0.025",type="allMids"} 4.0',
                 'perps_api_request_seconds_bucket{endpoint="info",le="0.25",type="allMids"} 4.0',
                 'perps_api_request_seconds_bucket{endpoint="info",le="+Inf",type="allMids"} 5.0',
                 'perps_api_request_seconds_count{endpoint="info",type="allMids"} 5.0',
                 'perps_api_request_seconds_bucket{endpoint="exchange",le="0.05",type="order"} 2.0',
                 'perps_api_request_seconds_sum{endpoint="exchange",type="order"} 0.1',
                 'perps_api_request_failures_total{endpoint="info",type="allMids"} 1.0',
                 'perps_api_request_failures_total{endpoint="exchange",type="order"} 0.0'):
        assert line in text, line


def test_the_registry_is_private():
    build_registry(Source())
    assert "perps_breaker_state" not in generate_latest(REGISTRY).decode()


def test_the_rate_budget_as_used_weight_and_waits_by_lane():
    text = generate_latest(build_registry(Source())).decode()
    assert 'perps_rate_budget_used{scope="ip"} 158.0' in text
    assert "# TYPE perps_rate_budget_wait_seconds histogram" in text
    for line in ('perps_rate_budget_wait_seconds_bucket{lane="poll",le="0.005"} 2.0',
                 'perps_rate_budget_wait_seconds_bucket{lane="poll",le="5.0"} 3.0',
                 'perps_rate_budget_wait_seconds_sum{lane="poll"} 3.0',
                 'perps_rate_budget_wait_seconds_count{lane="manual"} 0.0'):
        assert line in text, line
    assert _budget().text == "rate-limited: read queued 3 s"
