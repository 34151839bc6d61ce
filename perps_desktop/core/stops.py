"""StopLossManager: every open position gets a reduce-only stop-loss, sized to it and kept in step.

Once an entry fills, and whenever a position changes size or side, closes, or its stop vanishes,
the engine calls `keep`. Under the execution lock it reads the account and the open orders, then per
position keeps a stop of ours that already fits, or places a new reduce-only stop-market trigger
(tpsl "sl") STOP_LOSS_PCT beyond the entry and cancels the old ones once the new one rests. Stops
of ours on a coin with no position are cancelled. Ours carry a cloid prefix, so a restart adopts
them. Stops the trader placed are left alone. Each change leaves an ORDER trace, in the story of
the order that last filled on the position (`ChainBook`). The planning is a pure function
(`plan_stops`); only `sync` does I/O.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.chains import ChainBook
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.gathering import gather_all
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.core.models import Fill, Order, OrderRequest, OrderResult, Position, TraceKind
from perps_desktop.errors import PerpsError

if TYPE_CHECKING:
    from perps_desktop.core.breaker import CircuitBreaker
    from perps_desktop.core.monitor import PerformanceMonitor
    from perps_desktop.core.ports import ExchangePort

__all__ = ["STOP_CLOID_PREFIX", "StopLoss", "StopLossManager", "StopPlan", "StopSync", "is_own_stop",
           "plan_stops", "stop_request"]

log = logging.getLogger(__name__)
Tracer = Callable[..., None]

STOP_CLOID_PREFIX = "0x73746f70"       # "stop" in ASCII: the first 4 of the cloid's 16 bytes
_LIMIT_SLIPPAGE = 0.05                 # a market trigger's worst price: trigger -/+ 5% (the SDK's market slippage)


@dataclass(frozen=True, slots=True, kw_only=True)
class StopLoss:
    """One stop of ours resting at the venue, as last seen."""

    symbol: str
    oid: int | None
    cloid: str | None
    is_buy: bool                        # the closing side: a long's stop sells
    size: Decimal
    trigger_px: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPlan:
    """What `plan_stops` found: stops that fit, stops to place (with their positions), stops to cancel."""

    keep: tuple[StopLoss, ...] = ()
    place: tuple[tuple[Position, OrderRequest], ...] = ()
    cancel: tuple[Order, ...] = ()      # stale: their coin has no position
    replace: tuple[Order, ...] = ()     # misfit: cancelled only once the new stop of their coin rests


@dataclass(frozen=True, slots=True, kw_only=True)
class StopSync:
    """What one `sync` did."""

    placed: tuple[StopLoss, ...] = ()
    canceled: tuple[Order, ...] = ()
    failed: tuple[str, ...] = ()        # one line per placement or cancel that did not go through

    @property
    def changed(self) -> bool:
        return bool(self.placed or self.canceled)


def new_stop_cloid() -> str:
    return STOP_CLOID_PREFIX + secrets.token_hex(12)


def is_own_stop(o: Order | Fill) -> bool:
    """A stop this manager placed (by its cloid), in this run or an earlier one; or a fill of one."""
    return o.cloid is not None and o.cloid.lower().startswith(STOP_CLOID_PREFIX)


def _kept(o: Order) -> StopLoss:
    return StopLoss(symbol=o.symbol, oid=o.oid, cloid=o.cloid, is_buy=o.side.sign > 0, size=o.size,
                    trigger_px=o.trigger_px)


def stop_request(p: Position, stop_pct: float, *, cloid: str | None = None) -> OrderRequest:
    """A reduce-only stop-market for all of `p`, `stop_pct` percent beyond its entry.

    The reference is the entry, or the mark when the position is already further under water
    than that, so a new stop never fires the moment it is placed.
    """
    entry = float(p.entry_px) if p.entry_px > 0 else float(p.mark_px)
    mark = float(p.mark_px) if p.mark_px > 0 else entry
    long = p.size > 0
    k = stop_pct / 100.0
    if long:
        trigger = min(entry, mark) * (1.0 - k)
        limit = trigger * (1.0 - _LIMIT_SLIPPAGE)
    else:
        trigger = max(entry, mark) * (1.0 + k)
        limit = trigger * (1.0 + _LIMIT_SLIPPAGE)
    return OrderRequest(symbol=p.symbol, is_buy=not long, size=abs(p.size), limit_px=Decimal(repr(limit)),
                        reduce_only=True, trigger_px=Decimal(repr(trigger)), tpsl="sl", trigger_is_market=True,
                        cloid=cloid or new_stop_cloid())


def plan_stops(positions: Iterable[Position], orders: Iterable[Order], stop_pct: float) -> StopPlan:
    """Per open position: keep one stop of ours that closes exactly it, else place one; cancel the rest."""
    mine: dict[str, list[Order]] = {}
    for o in orders:
        if is_own_stop(o):
            mine.setdefault(o.symbol, []).append(o)
    keep: list[StopLoss] = []
    place: list[tuple[Position, OrderRequest]] = []
    replace: list[Order] = []
    for p in positions:
        if p.size == 0:
            continue
        stops = mine.pop(p.symbol, [])
        closing = p.side.opposite()
        fits = [o for o in stops if o.side is closing and o.size == abs(p.size)]
        if fits:
            keep.append(_kept(fits[0]))
            replace += [o for o in stops if o is not fits[0]]
        else:
            place.append((p, stop_request(p, stop_pct)))
            replace += stops
    cancel = [o for stops in mine.values() for o in stops]
    return StopPlan(keep=tuple(keep), place=tuple(place), cancel=tuple(cancel), replace=tuple(replace))


class StopLossManager:
    """Keeps one reduce-only stop-loss per open position at the venue (see the module docstring)."""

    def __init__(self, exchange: ExchangePort, *, guard: CircuitBreaker, lock: asyncio.Lock, trace: Tracer,
                 monitor: PerformanceMonitor, stop_pct: float = 2.0, chains: ChainBook | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        # stop_pct in (0, 50] was checked once, as STOP_LOSS_PCT (config_sections)
        self._ex = exchange
        self._now = clock.monotonic
        self._guard = guard
        self.lock = lock
        self._trace = trace
        self._monitor = monitor
        self.stop_pct = stop_pct
        self._chains = chains or ChainBook()
        self.stops: dict[str, StopLoss] = {}
        self.closed = False
        self.syncs = 0                      # syncs run (the engine skips its own check after one this tick)
        self._failures = 0
        self._retry_at = 0.0

    def needs_sync(self, positions: Iterable[Position], orders: Iterable[Order] | None = None) -> bool:
        """True when the positions no longer match the stops kept, or a kept stop left the open orders."""
        want = {p.symbol: (abs(p.size), p.size < 0) for p in positions if p.size != 0}
        have = {s.symbol: (s.size, s.is_buy) for s in self.stops.values()}
        if want != have:
            return True
        if orders is None:
            return False
        live = {o.oid for o in orders}
        return any(s.oid not in live for s in self.stops.values())

    async def keep(self, positions: Iterable[Position], orders: Iterable[Order] | None = None, *,
                   force: bool = False) -> StopSync | None:
        """Sync when something changed (or `force`); None when nothing was due. Never raises a PerpsError."""
        if self.closed or self._now() < self._retry_at:
            return None
        if not force and not self.needs_sync(positions, orders):
            return None
        return await self.sync()

    async def sync(self) -> StopSync:
        """Read the account and open orders now, then place, replace and cancel stops to match."""
        async with self.lock:
            return await self.sync_locked()

    async def sync_locked(self) -> StopSync:
        """`sync` for a caller that holds the execution lock (the executor, right after a fill)."""
        if self.closed:
            return StopSync()
        self.syncs += 1
        try:
            with in_lane(Lane.PROTECT):                 # protective orders go before strategy orders and polls
                account, orders = await gather_all(self._ex.user_state(), self._ex.open_orders())
                done = await self._apply(plan_stops(account.positions, orders, self.stop_pct))
        except (PerpsError, TimeoutError) as exc:
            log.warning("stop-loss sync failed: %s", exc)
            done = StopSync(failed=(f"sync failed: {exc}",))
        if done.failed:
            self._retry_at = self._now() + backoff_s(self._failures, base_s=1.0, cap_s=30.0)
            self._failures += 1
        else:
            self._failures, self._retry_at = 0, 0.0
        return done

    async def _apply(self, plan: StopPlan) -> StopSync:
        kept = {s.symbol: s for s in plan.keep}
        placed: list[StopLoss] = []
        failed: list[str] = []
        covered: set[str] = set()
        chains = self._chains
        if plan.place:
            reqs = [req for _, req in plan.place]
            for p, req in plan.place:               # a stop rests when placed: nothing of it to hold back
                chains.sending((req.cloid,), chains.of_position(p.symbol), hold=False)
            results: Sequence[OrderResult | BaseException]
            try:
                results = await self._guard.call(self._ex.place_orders, reqs)
            except (PerpsError, TimeoutError) as exc:
                results = [exc] * len(reqs)
            for (p, req), res in zip(plan.place, results, strict=True):
                ok = isinstance(res, OrderResult) and res.ok and res.oid is not None
                detail = (res.error or res.status.value) if isinstance(res, OrderResult) else str(res)
                story = chains.of_position(p.symbol)
                self._trace_placed(p, req, res if isinstance(res, OrderResult) else None, ok, detail)
                chains.sent(None, story, res, req.cloid)
                if ok:
                    assert isinstance(res, OrderResult)
                    stop = StopLoss(symbol=p.symbol, oid=res.oid, cloid=res.cloid or req.cloid, is_buy=req.is_buy,
                                    size=req.size, trigger_px=req.trigger_px)
                    placed.append(stop)
                    kept[p.symbol] = stop
                    covered.add(p.symbol)
                else:
                    failed.append(f"place {p.symbol} stop: {detail}")
        # a misfit is cancelled only once its coin's new stop rests (or another one of ours fits)
        todo = list(plan.cancel) + [o for o in plan.replace if o.symbol in covered or o.symbol in kept]
        canceled: list[Order] = []
        if todo:
            oks = await asyncio.gather(*(self._guard.call(self._ex.cancel, o.symbol, o.oid) for o in todo),
                                       return_exceptions=True)
            for o, answer in zip(todo, oks, strict=True):
                gone = answer is True
                why = "its position is closed" if o in plan.cancel else "replaced by a stop of the new size"
                self._trace(TraceKind.ORDER, symbol=o.symbol, side=o.side.value, size=float(o.size),
                            price=float(o.trigger_px or o.limit_px),
                            decision="stop_canceled" if gone else "stop_cancel_failed",
                            reason=f"stop-loss {o.symbol} oid {o.oid} "
                                   + (f"canceled: {why}" if gone else f"not canceled ({why}): {answer}"),
                            payload={"oid": o.oid, "cloid": o.cloid, "tpsl": "sl"},
                            story=chains.of_position(o.symbol) or chains.of_order(o.oid, o.cloid))
                self._monitor.incr("engine.stops_canceled" if gone else "engine.stops_failed")
                if gone:
                    canceled.append(o)
                elif answer is not False:       # False: already gone (fired or cancelled): nothing to retry
                    failed.append(f"cancel {o.symbol} stop {o.oid}: {answer}")
        self.stops = kept
        return StopSync(placed=tuple(placed), canceled=tuple(canceled), failed=tuple(failed))

    def _trace_placed(self, p: Position, req: OrderRequest, res: OrderResult | None, ok: bool, detail: str) -> None:
        side, where = ("buy", "rises above") if req.is_buy else ("sell", "falls below")
        trig = float(req.trigger_px or 0)
        self._monitor.incr("engine.stops_placed" if ok else "engine.stops_failed")
        payload: dict[str, Any] = {"cloid": req.cloid, "oid": res.oid if res else None, "tpsl": "sl",
                                   "trigger_px": str(req.trigger_px), "reduce_only": True,
                                   "position": str(p.size), "entry_px": str(p.entry_px), "stop_pct": self.stop_pct}
        self._trace(TraceKind.ORDER, symbol=p.symbol, side="B" if req.is_buy else "A", size=float(req.size),
                    price=trig, decision="stop_placed" if ok else "stop_failed",
                    reason=f"stop-loss {side} {req.size.normalize():f} {p.symbol} if the price {where} "
                           f"{trig:,.6g} ({self.stop_pct:g}% from entry {float(p.entry_px):,.6g}): {detail}",
                    payload=payload, story=self._chains.of_position(p.symbol))
        if not ok:
            log.warning("stop-loss for %s not placed: %s", p.symbol, detail)
