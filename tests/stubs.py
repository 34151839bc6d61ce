"""Builders for test values: snapshots and the models they carry, with sensible defaults.

Each builder takes keyword overrides, so a test states only what it is about:
`snapshot(version=3, positions=(position("BTC", size=0.5),))`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perps_desktop.app import (
    AccountState,
    Alert,
    BreakerSnapshot,
    BreakerState,
    CacheStats,
    CoreSnapshot,
    Fill,
    MonitorSnapshot,
    Order,
    Position,
    RecoveryFinding,
    RiskSnapshot,
    Severity,
    Side,
    TimingStats,
    TraceCounters,
    TradingState,
)
from perps_desktop.core.clock import wall_ms

ADDRESS = "0x" + "ab12" * 10


now_ms = wall_ms   # tests read the one clock too


def position(symbol: str = "BTC", size: float | str = 0.5, *, entry: float | str = 65000,
             mark: float | str | None = None, leverage: int = 5, liq: float | str | None = None,
             **kw: Any) -> Position:
    sz, en = Decimal(str(size)), Decimal(str(entry))
    mk = Decimal(str(mark)) if mark is not None else en
    liq_px = Decimal(str(liq)) if liq is not None else (en * Decimal("0.8") if sz > 0 else en * Decimal("1.2"))
    fields: dict[str, Any] = {
        "symbol": symbol, "size": sz, "entry_px": en, "mark_px": mk, "unrealized_pnl": (mk - en) * sz,
        "leverage": leverage, "liquidation_px": liq_px, "margin_used": abs(sz) * mk / leverage,
        "position_value": abs(sz) * mk, "updated_ms": now_ms(),
    }
    fields.update(kw)
    return Position(**fields)


def order(symbol: str = "BTC", oid: int = 1, *, side: Side = Side.BUY, px: float | str = 64000,
          size: float | str = 0.1, **kw: Any) -> Order:
    fields: dict[str, Any] = {"oid": oid, "symbol": symbol, "side": side, "limit_px": Decimal(str(px)),
                              "size": Decimal(str(size)), "orig_size": Decimal(str(size)), "timestamp_ms": now_ms()}
    fields.update(kw)
    return Order(**fields)


def fill(symbol: str = "BTC", tid: int = 1, *, side: Side = Side.BUY, px: float | str = 65000,
         size: float | str = 0.1, **kw: Any) -> Fill:
    fields: dict[str, Any] = {"symbol": symbol, "side": side, "px": Decimal(str(px)), "size": Decimal(str(size)),
                              "time_ms": now_ms(), "oid": tid, "tid": tid}
    fields.update(kw)
    return Fill(**fields)


def breaker(name: str = "info", state: BreakerState = BreakerState.CLOSED, **kw: Any) -> BreakerSnapshot:
    fields: dict[str, Any] = {"name": name, "state": state, "failures": 0, "successes": 10, "consecutive_failures": 0,
                              "recovery_attempts": 0, "next_retry_at": None, "last_error": None,
                              "last_change_ms": now_ms(), "calls": 10}
    fields.update(kw)
    return BreakerSnapshot(**fields)


def risk(**kw: Any) -> RiskSnapshot:
    fields: dict[str, Any] = {
        "trading_state": TradingState.ACTIVE, "state_reason": "", "equity": 100_000.0, "peak_equity": 101_000.0,
        "exposure": 40_000.0, "max_exposure": 150_000.0, "leverage": 0.4, "max_leverage": 10.0,
        "margin_use_pct": 8.0, "drawdown_pct": 1.0, "max_drawdown_pct": 20.0, "daily_pnl": -250.0,
        "daily_loss_limit": 5000.0, "concentration_pct": 55.0, "decisions": {"approve": 10, "reject": 2},
    }
    fields.update(kw)
    return RiskSnapshot(**fields)


def cache_stats(name: str = "mids", hits: int = 90, misses: int = 10, **kw: Any) -> CacheStats:
    fields: dict[str, Any] = {"name": name, "hits": hits, "misses": misses, "evictions": 0, "expirations": 3,
                              "size": 5, "maxsize": 1000, "ttl_s": 0.5, "deduplicated": 1}
    fields.update(kw)
    return CacheStats(**fields)


def monitor(**kw: Any) -> MonitorSnapshot:
    fields: dict[str, Any] = {
        "time_ms": now_ms(), "loop_lag_ms_p50": 0.3, "loop_lag_ms_p99": 4.0, "loop_lag_ms_last": 0.5,
        "rss_bytes": 180_000_000,
        "timings": (TimingStats(name="info:allMids", count=120, p50_ms=2.0, p95_ms=5.0, p99_ms=8.0, max_ms=12.0),),
    }
    fields.update(kw)
    return MonitorSnapshot(**fields)


def alert(key: str = "breaker.info", severity: Severity = Severity.WARNING, **kw: Any) -> Alert:
    fields: dict[str, Any] = {"key": key, "source": "breaker", "severity": severity, "message": "info breaker opened",
                              "time_ms": now_ms()}
    fields.update(kw)
    return Alert(**fields)


def finding(symbol: str = "BTC", problem: str = "near_liquidation", **kw: Any) -> RecoveryFinding:
    fields: dict[str, Any] = {"symbol": symbol, "problem": problem, "action": "REDUCE",
                              "reason": "mark within 4% of liquidation", "reduce_fraction": 0.5}
    fields.update(kw)
    return RecoveryFinding(**fields)


def account(positions: tuple[Position, ...] = (), **kw: Any) -> AccountState:
    fields: dict[str, Any] = {"address": ADDRESS, "equity": Decimal(100_000), "total_notional": Decimal(40_000),
                              "margin_used": Decimal(8_000), "withdrawable": Decimal(92_000), "positions": positions,
                              "time_ms": now_ms()}
    fields.update(kw)
    return AccountState(**fields)


def snapshot(version: int = 1, **kw: Any) -> CoreSnapshot:
    """A paper-mode snapshot with nothing open; pass what the test is about."""
    fields: dict[str, Any] = {
        "version": version, "time_ms": now_ms(), "mode": "paper", "network": "testnet", "address": ADDRESS,
        "base_url": "http://127.0.0.1:1", "connected": True, "read_only": False, "risk": risk(),
        "monitor": monitor(), "traces": TraceCounters(recorded=10, flushed=10, per_second=2.0),
    }
    fields.update(kw)
    if "account" not in kw:
        fields["account"] = account(tuple(fields.get("positions", ())))
    return CoreSnapshot(**fields)


class StubControl:
    """A CoreControl that serves the snapshot a test sets and records the calls the window makes.

    For window-level checks that need no exchange (rendering, read-only, layout); the real App
    on the simulator is used wherever an action's effect matters.
    """

    def __init__(self, snap: CoreSnapshot | None = None) -> None:
        self.snap = snap or snapshot()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.snapshot_calls = 0
        self.reduce_sizes: list[Any] = []

    @property
    def read_only(self) -> bool:
        return self.snap.read_only

    def set(self, **kw: Any) -> CoreSnapshot:
        """Publish a new snapshot (version + 1) with these fields changed."""
        from dataclasses import replace

        self.snap = replace(self.snap, version=self.snap.version + 1, **kw)
        return self.snap

    def snapshot(self) -> CoreSnapshot:
        self.snapshot_calls += 1
        return self.snap

    async def _record(self, name: str, *args: Any) -> Any:
        from perps_desktop.app import ActionReport

        self.calls.append((name, args))
        return ActionReport(action=name, ok=True, time_ms=now_ms())

    async def close_position(self, symbol: str) -> Any:
        return await self._record("close_position", symbol)

    async def reduce_position(self, symbol: str, fraction: float, size: Any = None) -> Any:
        self.reduce_sizes.append(size)
        return await self._record("reduce_position", symbol, fraction)

    def note_refused(self, what: str, reason: str) -> None:
        self.calls.append(("note_refused", (what, reason)))

    async def cancel_order(self, symbol: str, oid: int) -> Any:
        return await self._record("cancel_order", symbol, oid)

    async def cancel_all(self) -> Any:
        return await self._record("cancel_all")

    async def flatten_all(self) -> Any:
        return await self._record("flatten_all")

    async def run_recovery_now(self) -> Any:
        return await self._record("run_recovery_now")

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        self.calls.append(("set_trading_state", (state, reason)))

    def reset_breaker(self, name: str) -> None:
        self.calls.append(("reset_breaker", (name,)))

    def force_open_breaker(self, name: str) -> None:
        self.calls.append(("force_open_breaker", (name,)))

    async def query_traces(self, query: Any) -> Any:
        from perps_desktop.app import Trace, TracePage

        self.calls.append(("query_traces", (query,)))
        traces = tuple(Trace(kind="signal", time_ms=now_ms() - i, id=1000 - i, symbol="BTC", reason=f"t{i}")
                       for i in range(query.offset, min(query.offset + query.limit, 250)))
        return TracePage(traces=traces, offset=query.offset, limit=query.limit, total=250)

    async def get_trace(self, trace_id: int) -> Any:
        from perps_desktop.app import Trace

        self.calls.append(("get_trace", (trace_id,)))
        return Trace(kind="signal", time_ms=now_ms(), id=trace_id, symbol="BTC", reason="detail",
                     payload={"mid": 65000})
