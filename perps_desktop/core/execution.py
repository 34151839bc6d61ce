"""OrderExecutor: turns approved signals into one bulk IOC order through the `exchange_orders` breaker.

It holds the execution lock that position recovery's actions share, so an automatic or manual
reduce and a strategy order never interleave, and it judges the trading state again once it has
the lock (the trader may have flattened or halted meanwhile). When an order filled, `on_filled`
runs before the lock is let go (the engine puts the position's stop-loss in place), so nothing
that takes the lock ever sees a new position without its stop. Each order leaves an ORDER trace
in its signal's story, recorded as soon as the venue answers (before the stop, and before any
fill the venue pushed meanwhile: `ChainBook` holds those back until then).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perps_desktop.core.chains import ChainBook
from perps_desktop.core.models import OrderRequest, OrderResult, RiskDecision, Signal, Story, TraceKind, TradingState
from perps_desktop.core.recovery_rules import new_cloid
from perps_desktop.errors import BreakerOpen, PerpsError

if TYPE_CHECKING:
    from perps_desktop.core.breaker import CircuitBreaker
    from perps_desktop.core.monitor import PerformanceMonitor
    from perps_desktop.core.ports import ExchangePort
    from perps_desktop.core.risk import RiskManager

__all__ = ["Execution", "OrderExecutor"]

Tracer = Callable[..., None]
log = logging.getLogger(__name__)


def _short(size: Decimal) -> str:
    """A requested size for people: six significant digits (the strategy's $-sized request is
    0.007696688884441913 BTC; the exchange rounds it to its lot size anyway, as the fill says)."""
    return f"{Decimal(f'{size:.6g}').normalize():f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """What one `execute` did: the requests sent (may be fewer than asked) and their outcomes."""

    requests: tuple[OrderRequest, ...] = ()
    results: tuple[OrderResult | BaseException, ...] = ()
    refused: BreakerOpen | None = None          # the breaker said no: nothing left

    @property
    def sent(self) -> int:
        return 0 if self.refused is not None else len(self.requests)


class OrderExecutor:
    """Sends the strategy's approved orders as reduce-only-aware IOCs at mid +/- slippage."""

    def __init__(self, exchange: ExchangePort, *, breaker: CircuitBreaker, risk: RiskManager,
                 monitor: PerformanceMonitor, lock: asyncio.Lock, trace: Tracer, slippage_pct: float = 1.0,
                 on_filled: Callable[[], Awaitable[object]] | None = None, chains: ChainBook | None = None) -> None:
        self._ex = exchange
        self._breaker = breaker
        self._risk = risk
        self._monitor = monitor
        self.lock = lock
        self._trace = trace
        self.slippage = slippage_pct / 100.0
        self.closed = False
        self._on_filled = on_filled
        self._chains = chains or ChainBook()

    def request(self, sig: Signal, d: RiskDecision) -> OrderRequest:
        mid = float(sig.price)
        px = mid * (1 + self.slippage) if sig.side.sign > 0 else mid * (1 - self.slippage)
        return OrderRequest(symbol=sig.symbol, is_buy=sig.side.sign > 0, size=d.size, limit_px=Decimal(repr(px)),
                            reduce_only=sig.reduce_only, tif="Ioc", cloid=new_cloid())

    async def execute(self, go: Sequence[tuple[Signal, RiskDecision]],
                      stories: Sequence[Story | None] | None = None) -> Execution:
        """Send `go` as one bulk order; `stories[i]` is the story of `go[i]` (its signal's)."""
        results: list[Any]
        refused: BreakerOpen | None = None
        items = list(zip(go, stories if stories is not None else [None] * len(go), strict=True))
        async with self.lock:
            # the state may have changed while we waited (the trader flattened, halted): judge again
            state = self._risk.trading_state
            if self.closed or state is TradingState.HALTED:
                return Execution()
            if state is TradingState.REDUCING:
                items = [(sd, story) for sd, story in items if sd[0].reduce_only]
            if not items:
                return Execution()
            reqs = [self.request(s, d) for (s, d), _ in items]
            chains = self._chains
            for req, (_, story) in zip(reqs, items, strict=True):
                chains.sending((req.cloid,), story)
            t0 = time.perf_counter()
            try:
                try:
                    with self._monitor.timer("engine.execution"):
                        results = list(await self._breaker.call(self._ex.place_orders, reqs))
                except (PerpsError, TimeoutError) as exc:
                    results = [exc] * len(reqs)
                    refused = exc if isinstance(exc, BreakerOpen) else None
                latency = (time.perf_counter() - t0) * 1000.0
                for ((sig, d), story), req, res in zip(items, reqs, results, strict=True):
                    self._trace_order(sig, d, req, res, latency=latency, refused=refused is not None, story=story)
                    chains.sent(req.symbol, story, res, req.cloid)
            finally:
                for req in reqs:                        # cancelled mid-flight: its fills are not held
                    chains.sent(None, None, None, req.cloid)
            if self._on_filled is not None and any(isinstance(r, OrderResult) and r.filled_size > 0
                                                   for r in results):
                try:
                    await self._on_filled()
                except Exception:
                    log.exception("after-fill step failed")
        return Execution(requests=tuple(reqs), results=tuple(results), refused=refused)

    def _trace_order(self, sig: Signal, d: RiskDecision, req: OrderRequest, res: OrderResult | BaseException, *,
                     latency: float, refused: bool, story: Story | None) -> None:
        if not refused:
            self._risk.record_order()
        if isinstance(res, OrderResult):
            ok, detail, oid = res.ok, res.error or res.status.value, res.oid
            if res.filled_size > 0:
                detail = f"filled {res.filled_size.normalize():f} @ {res.avg_px}"
        else:
            ok, detail, oid = False, str(res), None
        self._monitor.incr("engine.orders_ok" if ok else "engine.orders_failed")
        self._trace(TraceKind.ORDER, symbol=req.symbol, strategy=sig.strategy, side=sig.side.value,
                    size=float(req.size), price=float(req.limit_px),
                    decision="sent" if ok else ("refused" if refused else "failed"),
                    reason=f"{sig.side.name.lower()} {_short(req.size)} {req.symbol} IOC: {detail}",
                    latency_ms=latency, payload={"cloid": req.cloid, "oid": oid, "risk": d.decision.value,
                                                 "reduce_only": req.reduce_only}, story=story)
