"""PositionRecovery over an in-memory venue: parallelism, the cache, batching, attempts, bounds."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from perps_desktop.core.alerts import AlertManager
from perps_desktop.core.models import Position, Severity, Trace
from perps_desktop.core.recovery import PositionRecovery
from perps_desktop.core.recovery_rules import RecoveryConfig
from perps_desktop.errors import BreakerOpen
from tests.helpers import wait_until
from tests.unit.core.memory_venue import MemoryVenue


class Sink:
    def __init__(self) -> None:
        self.traces: list[Trace] = []

    def record(self, trace: Trace) -> None:
        self.traces.append(trace)


def position(symbol: str, size: str = "0.1", mark: str = "100") -> Position:
    return Position(symbol=symbol, size=Decimal(size), entry_px=Decimal(mark), mark_px=Decimal(mark),
                    unrealized_pnl=Decimal(0), leverage=3)


TEN = [position(f"C{i}") for i in range(10)]


def recovery(venue, **cfg) -> PositionRecovery:
    config = RecoveryConfig(**{"require_stop": False, **cfg})
    return PositionRecovery(venue, config, owners=lambda: {p.symbol: "momentum" for p in venue.positions})


async def test_parallelism_one_analyses_one_position_at_a_time():
    venue = MemoryVenue(TEN)
    await recovery(venue, parallelism=1, cache_ttl_s=0).analyse()
    assert venue.max_inflight == 1
    assert venue.calls["mid"] == 10


async def test_parallel_analysis_reads_every_position_at_once():
    venue = MemoryVenue(TEN)
    await recovery(venue, parallelism=0).analyse()
    assert venue.max_inflight == 10


async def test_parallelism_n_bounds_the_fan_out():
    venue = MemoryVenue(TEN)
    await recovery(venue, parallelism=3).analyse()
    assert venue.max_inflight == 3


async def test_the_cache_serves_repeated_analyses_and_ttl_zero_reads_every_time():
    cached, uncached = MemoryVenue(TEN), MemoryVenue(TEN)
    rc, ru = recovery(cached, cache_ttl_s=5.0), recovery(uncached, cache_ttl_s=0.0)
    for _ in range(5):
        await rc.analyse()
        await ru.analyse()
    assert cached.calls == {"user_state": 1, "open_orders": 1, "user_fills": 1, "mid": 10}
    assert uncached.calls == {"user_state": 5, "open_orders": 5, "user_fills": 5, "mid": 50}
    assert rc.cache.stats().hits > 0
    rc.invalidate()
    await rc.analyse()
    assert cached.calls["user_state"] == 2


async def test_oversize_positions_go_out_as_one_reduce_only_bulk_order_with_cloids_and_traces():
    venue = MemoryVenue([position("BTC", "1", "60000"), position("ETH", "-30", "3000"), position("SOL", "1", "150")])
    sink = Sink()
    r = PositionRecovery(venue, RecoveryConfig(require_stop=False, max_position_notional_usd=50_000), sink=sink,
                         owners=lambda: {"BTC": "m", "ETH": "m", "SOL": "m"})
    report = await r.run_once()
    assert report is not None and report.ok and len(report.steps) == 2
    (batch,) = venue.batches
    by = {q.symbol: q for q in batch}
    assert set(by) == {"BTC", "ETH"}
    assert all(q.reduce_only and q.tif == "Ioc" and q.cloid for q in batch)
    assert not by["BTC"].is_buy and by["ETH"].is_buy
    assert by["BTC"].size == Decimal("0.25")
    findings = [t for t in sink.traces if t.kind == "recovery" and t.decision == "finding"]
    recs = [t for t in sink.traces if t.kind == "recovery" and t.decision != "finding"]
    assert {t.symbol for t in recs} == {"BTC", "ETH"}
    assert all("over the $50,000 limit" in t.reason and t.decision == "REDUCE" for t in recs)
    assert recs[0].payload["cloid"].startswith("0x")
    # each cut's story starts at its finding, traced before the order went out
    assert [t.symbol for t in findings] == [t.symbol for t in recs]
    assert all(f.story is not None and f.story is r.story for f, r in zip(findings, recs, strict=True))
    assert sink.traces.index(findings[-1]) < sink.traces.index(recs[0])


async def test_at_most_max_attempts_per_position_then_a_critical_alert():
    venue = MemoryVenue([position("BTC", "1", "60000")])     # the venue never shrinks it
    alerts = AlertManager()
    r = PositionRecovery(venue, RecoveryConfig(require_stop=False, max_attempts=3), alerts=alerts,
                         owners=lambda: {"BTC": "m"})
    reports = [await r.run_once() for _ in range(6)]
    assert sum(rep is not None for rep in reports) == 3
    assert len(venue.batches) == 3 and r.attempts("BTC") == 3
    gave_up = [a for a in alerts.history() if a.key == "recovery:gave_up:BTC"]
    assert gave_up and gave_up[0].severity is Severity.CRITICAL
    assert gave_up[0].count == 3                                # folded by the cooldown, not repeated
    venue.positions = [position("BTC", "0.1", "60000")]         # fixed: attempts are earned back
    r.invalidate()                                              # news from outside clears the cache
    await r.run_once()
    assert r.attempts("BTC") == 0


async def test_repeated_findings_raise_one_alert_within_the_cooldown():
    venue = MemoryVenue([position("BTC")])
    alerts = AlertManager()
    r = PositionRecovery(venue, RecoveryConfig(require_stop=True, cache_ttl_s=0), alerts=alerts, owners=dict)
    for _ in range(10):
        await r.run_once()
    keys = sorted(a.key for a in alerts.history())
    assert keys == ["recovery:orphaned:BTC", "recovery:unprotected:BTC"]
    assert all(a.count == 10 for a in alerts.history())


async def test_history_and_finding_log_are_bounded():
    venue = MemoryVenue([position("BTC", "1", "60000")])
    r = PositionRecovery(venue, RecoveryConfig(require_stop=False, history_size=5, max_attempts=1000), owners=dict)
    for i in range(40):
        venue.positions = [position(f"C{i}", "1", "60000")]
        await r.run_once()
    assert len(r.history) == 5 and len(r.finding_log) == 5
    assert r.history[-1].finding.symbol == "C39"


async def test_an_open_breaker_refuses_the_batch_and_the_report_says_so():
    class OpenGuard:
        async def call(self, fn):
            raise BreakerOpen("position_recovery", "open", 3.0)

    venue = MemoryVenue([position("BTC", "1", "60000")])
    r = PositionRecovery(venue, RecoveryConfig(require_stop=False), guard=OpenGuard(), owners=dict)
    report = await r.run_once()
    assert report is not None and not report.ok
    assert "breaker position_recovery is open" in report.steps[0].detail
    assert venue.batches == []


async def test_watch_mode_analyses_but_never_sends():
    venue = MemoryVenue([position("BTC", "1", "60000")])
    r = PositionRecovery(venue, RecoveryConfig(require_stop=False), owners=dict, auto_actions=False)
    assert await r.run_once() is None
    assert {f.problem for f in r.findings} == {"oversize", "orphaned"}
    assert venue.batches == []


async def test_a_manual_close_asks_whatever_holds_the_lock_to_go_first():
    venue = MemoryVenue([position("BTC", "1", "60000")])
    rc = recovery(venue)
    asked: list[bool] = []
    rc.on_lock_wait = lambda: asked.append(rc.lock.locked())
    async with rc.lock:                             # a strategy order in flight, queued for the budget
        close = asyncio.ensure_future(rc.close("BTC"))
        await wait_until(lambda: len(asked) >= 2)   # asked at once, and again while it waits
    report = await close
    assert report.ok and all(asked)
