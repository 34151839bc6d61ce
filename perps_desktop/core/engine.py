"""TradingEngine: the loop that turns market data into orders, and the state the window shows.

Start-up reconciles first: positions, open orders and recent fills are read from the exchange
and become the engine's state before any order is sent, so a restart never loses track. Then
every tick: market data -> strategy -> risk -> execution -> stop-losses -> traces, each step
timed by the monitor; every open position keeps a reduce-only stop (`StopLossManager`).
Reads go through the `exchange_info` breaker and orders through `exchange_orders`; while either
is open the engine pauses trading (and says why), and resumes when it closes.
Push first: mids, the account, open orders and fills come from the venue's WebSocket (the client
serves the account reads from it); REST is for the start-up reconciliation, a slow audit
(`audit`, every `audit_interval_s`, slower while the rate budget is tight) that catches what a
push missed, and the refill after a reconnect.
Position recovery runs beside it on its own interval. Nothing here blocks the loop.

Stopping is prompt whatever the venue does: reads in flight are cancelled at once; a write in
flight (`InFlight`) gets `stop_grace_s` to be answered and is otherwise recorded as unknown, with
its cloids, for the next start to look up. Each piece of state the venue confirms is stamped in
`Freshness`, so the window can say how old what it shows is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perps_desktop.core.account_view import AccountView
from perps_desktop.core.audit import AuditClock, AuditReport, compare_account
from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.chains import ChainBook
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.engine_config import EngineConfig, ReconcileReport
from perps_desktop.core.execution import OrderExecutor
from perps_desktop.core.freshness import Freshness
from perps_desktop.core.gathering import gather_all
from perps_desktop.core.inflight import InFlight
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.core.models import (
    AccountState,
    BreakerState,
    Decision,
    Fill,
    Order,
    Position,
    RiskDecision,
    Signal,
    Story,
    StreamEvent,
    StreamEventKind,
    Trace,
    TraceKind,
)
from perps_desktop.core.pauses import breaker_pause, trading_words
from perps_desktop.core.reconciliation import PartialReconcile
from perps_desktop.core.stops import StopLossManager, StopSync, is_own_stop
from perps_desktop.errors import PerpsError

if TYPE_CHECKING:
    from perps_desktop.core.breaker import BreakerRegistry
    from perps_desktop.core.bus import EventBus
    from perps_desktop.core.monitor import PerformanceMonitor
    from perps_desktop.core.ports import ExchangePort, TraceSink
    from perps_desktop.core.recovery import PositionRecovery
    from perps_desktop.core.risk import RiskManager
    from perps_desktop.core.strategy import MomentumStrategy

__all__ = ["EngineConfig", "ReconcileReport", "TradingEngine"]

log = logging.getLogger(__name__)


class TradingEngine:
    """Owns the trading loop and the latest account view; the app starts it and closes it."""

    def __init__(self, exchange: ExchangePort, *, strategy: MomentumStrategy, risk: RiskManager,
                 breakers: BreakerRegistry, recovery: PositionRecovery, monitor: PerformanceMonitor,
                 sink: TraceSink | None = None, bus: EventBus | None = None,
                 config: EngineConfig | None = None, freshness: Freshness | None = None,
                 inflight: InFlight | None = None, chains: ChainBook | None = None,
                 budget_pressure: Callable[[], float] | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._ex = exchange
        self._clock = clock
        self.freshness = freshness or Freshness()
        self.inflight = inflight or InFlight()
        self.strategy = strategy
        self.risk = risk
        self.breakers = breakers
        self.recovery = recovery
        self.monitor = monitor
        self._sink = sink
        self._bus = bus
        self.config = config or EngineConfig()
        self.view = AccountView(self.config.fills_kept)
        self.chains = chains or ChainBook()         # which story each order and position belongs to
        self.chains.on_release = self._trace_fill
        self.stops = StopLossManager(exchange, guard=breakers.get("exchange_orders"), lock=recovery.lock,
                                     trace=self._trace, monitor=monitor, stop_pct=self.config.stop_loss_pct,
                                     chains=self.chains)
        self.executor = OrderExecutor(exchange, breaker=breakers.get("exchange_orders"), risk=risk, monitor=monitor,
                                      lock=recovery.lock, trace=self._trace, slippage_pct=self.config.slippage_pct,
                                      on_filled=self._protect_filled, chains=self.chains)
        self._stops_due = True              # at start: adopt our stops, protect what is open
        self.reconciled: ReconcileReport | None = None
        self._parts: PartialReconcile | None = None
        self.paused = False
        self.pause_reason = ""
        self.connected = False
        self.ticks = 0
        self.orders_sent = 0
        self.last_tick_ms = 0
        self._refresh_at = 0.0
        self.audit_clock = AuditClock(self.config.audit_interval_s, budget_pressure, clock=clock)
        self.stream_live = False
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.bugs = BugLog(log)             # a bug in a tick or round: logged once per kind, the loops go on

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Reconcile (once, now, for at most `start_reconcile_s`; the loop goes on trying if the
        exchange is down or slow), then run the loops."""
        if self._closed:
            raise RuntimeError("TradingEngine is closed")
        try:
            async with asyncio.timeout(self.config.start_reconcile_s):
                await self.reconcile()
        except (PerpsError, TimeoutError) as exc:
            why = str(exc) or f"no answer within {self.config.start_reconcile_s:g} s"
            log.warning("start-up reconciliation failed (%s); the loop retries before trading", why)
            self._set_paused(True, f"waiting for the exchange: {why}")
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(), name="engine-loop"),
                       loop.create_task(self._run_recovery(), name="engine-recovery")]

    async def aclose(self) -> None:
        """Stop both loops, promptly; idempotent. Reads in flight are cut off at once; a write in flight
        gets `stop_grace_s` to be answered, then it is cut off too and recorded as unknown."""
        if self._closed and not self._tasks:
            return
        self._closed = True
        self.executor.closed = self.stops.closed = True
        tasks, self._tasks = self._tasks, []
        unknown = await self.inflight.settle(self.config.stop_grace_s)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        for w in unknown:
            text = f"stopped with {w.what} in flight: outcome unknown (looked up by cloid at the next start)"
            log.warning("%s", text)
            self._trace(TraceKind.ORDER, decision="unknown", reason=text, payload={"cloids": list(w.cloids)})

    async def __aenter__(self) -> TradingEngine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- reconciliation --------------------------------------------------------------------
    async def reconcile(self) -> ReconcileReport:
        """Read positions, open orders and fills; make them the engine's state. Each part is shown as
        soon as it arrives; a failed part is named in the status and read again on the next call."""
        t0 = time.perf_counter()
        if self._parts is None:
            self._parts = PartialReconcile({"account": self._ex.user_state, "orders": self._ex.open_orders,
                                            "fills": self._ex.user_fills}, self._take_part)
        account, orders, fills = await self._parts.run()
        self._parts = None
        self.view.reset(account, orders, fills)
        self.risk.update_portfolio(account)
        self._refresh_at = self._clock.monotonic() + self.config.orders_refresh_s
        self.audit_clock.schedule()
        self.recovery.invalidate()
        self._stops_due = True
        pos = ", ".join(f"{p.symbol} {p.size.normalize():+f}" for p in account.positions) or "none"
        report = ReconcileReport(positions=account.positions, orders=tuple(orders), fills=len(fills),
                                 equity=account.equity, time_ms=self._clock.wall_ms(),
                                 message=f"reconciled {len(account.positions)} position(s) ({pos}), "
                                         f"{len(orders)} open order(s), {len(fills)} fill(s); "
                                         f"equity {float(account.equity):,.2f}")
        self.reconciled = report
        self.connected = True
        self.freshness.touch("account", "orders", "fills")
        self.monitor.record("engine.reconcile", (time.perf_counter() - t0) * 1000.0)
        self._trace(TraceKind.SYSTEM, reason=report.message, decision="reconciled",
                    payload={"positions": {p.symbol: str(p.size) for p in account.positions},
                             "orders": [o.oid for o in orders], "fills": len(fills)})
        log.info("%s", report.message)
        self._emit("engine.reconciled", report)
        if self.paused and self.pause_reason.startswith("waiting for the exchange"):
            self._set_paused(False, "exchange reachable")
        return report

    async def refresh(self) -> None:
        """Re-read the account and open orders now (after a manual action; served by the pushes while the
        stream is live, which also brings the fills; without it the fills are read too); never raises."""
        try:
            reads: list[Callable[[], Awaitable[Any]]] = [self._ex.user_state, self._ex.open_orders]
            if not self.stream_live:
                reads.append(self._ex.user_fills)
            got = await self._read(*reads)
            self._take_account(got[0])
            self._take_orders_and_fills(got[1], got[2] if len(got) > 2 else ())
        except (PerpsError, TimeoutError) as exc:
            log.warning("refresh after an action failed: %s", exc)
        self._emit("engine.refreshed", None)

    def _take_part(self, name: str, value: Any) -> None:
        """One part of the start-up reconciliation arrived: show it now (nothing in it is news)."""
        if name == "account":
            self._take_account(value)
        elif name == "orders":
            self.view.take_orders(value)
        else:
            self.view.take_fills(value)
        self.freshness.touch(name)
        self._emit("engine.reconcile_part", name)

    async def audit(self) -> AuditReport | None:
        """REST reads of the account, open orders and fills, compared with what the pushes said; a
        difference is traced and the REST answer kept. None when the reads failed (tried next time)."""
        self.audit_clock.schedule()
        try:
            with self.monitor.timer("engine.audit"):
                account, orders, fills = await self._read(lambda: self._ex.user_state(fresh=True),
                                                          lambda: self._ex.open_orders(fresh=True),
                                                          lambda: self._ex.user_fills(fresh=True))
        except (PerpsError, TimeoutError) as exc:
            log.warning("audit failed: %s", exc)
            return None
        known = self.positions, self.orders
        missed = self._take_fills(fills, note=" (found by the audit: never pushed)")
        report = compare_account(*known, account.positions, orders, missed)
        self._take_account(account)
        self._take_orders_and_fills(orders, ())
        self.freshness.touch("account", "orders", "fills")
        self.audit_clock.runs += 1
        if not report.clean:
            log.warning("audit: %s", report.describe())
            self._trace(TraceKind.SYSTEM, decision="audit", reason=f"audit: {report.describe()}",
                        payload={"positions": list(report.positions), "orders_missing": list(report.orders_missing),
                                 "orders_gone": list(report.orders_gone), "fills_missed": missed})
            self.recovery.invalidate()
            self._stops_due = True
        self._emit("engine.audited", report)
        return report

    def _take_account(self, account: AccountState) -> None:
        self.view.account = account
        self.risk.update_portfolio(account)

    # --- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        interval = self.config.interval_s
        while not self._closed:
            t0 = time.perf_counter()
            try:
                await self.tick()
            except asyncio.CancelledError:
                if self._cancelled():
                    raise
                log.exception("engine tick: a read was cancelled under it; going on")
            except Exception as exc:
                self.bugs.report("engine tick", exc)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))

    async def _run_recovery(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.config.recovery_interval_s)
            if self.reconciled is None or self.paused:
                continue
            try:
                with self.monitor.timer("recovery.run"):
                    await self.recovery.run_once(act=self.config.trade)
            except asyncio.CancelledError:
                if self._cancelled():
                    raise
                log.exception("recovery round: a read was cancelled under it; going on")
            except (PerpsError, TimeoutError) as exc:
                log.warning("recovery round failed: %s", exc)
            except Exception as exc:
                self.bugs.report("recovery round", exc)

    def _cancelled(self) -> bool:
        """Is this task itself being cancelled (a stop), rather than hit by another's cancellation?"""
        task = asyncio.current_task()
        return self._closed or task is None or task.cancelling() > 0

    @property
    def pause_now(self) -> str:
        """Why no order goes out now ("" while they may): a guard breaker open now, else the last tick's pause."""
        return breaker_pause(self.breakers) or (self.pause_reason if self.paused else "")

    async def tick(self) -> None:
        """One pass: market data (read at once) -> strategy -> risk -> execution -> stop-losses -> traces."""
        t_tick = time.perf_counter()
        mon = self.monitor
        if self.reconciled is None:
            try:
                await self.breakers.get("exchange_info").call(self.reconcile)
            except (PerpsError, TimeoutError) as exc:
                self._set_paused(True, f"waiting for the exchange: {exc}")
                return
        if self.audit_clock.due():
            await self.audit()
        refresh = self._clock.monotonic() >= self._refresh_at
        # the account first: while the breaker is not closed the first read is its trial, and the
        # mids may come from the stream's cache (no request, so no verdict)
        reads: list[Callable[[], Awaitable[Any]]] = [self._ex.user_state, self._ex.all_mids]
        if refresh:                                 # fills: pushed (and read by the audit) while the stream is live
            reads += [self._ex.open_orders] if self.stream_live else [self._ex.open_orders, self._ex.user_fills]
        try:
            with mon.timer("engine.market_data"):
                got = await self._read(*reads)
        except (PerpsError, TimeoutError) as exc:
            self.connected = False
            self._set_paused(True, breaker_pause(self.breakers) or f"market data failed: {exc}")
            mon.incr("engine.tick_failed")
            self._emit("engine.tick", None)
            return
        account, mids = got[0], got[1]
        self.freshness.touch("account", "mids")
        if refresh:
            self._take_orders_and_fills(got[2], got[3] if len(got) > 3 else ())
            self.freshness.touch("orders", "fills")
        elif self.stream_live:
            self.freshness.touch("orders")             # the stream pushes every order change
        self.connected = True
        self.view.take_mids(mids)
        self._take_account(account)
        blocked = breaker_pause(self.breakers)
        self._set_paused(blocked is not None, blocked or "breakers closed")
        self.ticks += 1
        self.last_tick_ms = self._clock.wall_ms()
        if self.config.trade and not self.paused:
            synced = self.stops.syncs
            await self._trade(mids, account)
            if self.stops.syncs == synced:              # an entry that filled has had its stop placed already
                await self._keep_stops(account)
        mon.record("engine.tick", (time.perf_counter() - t_tick) * 1000.0)
        self._emit("engine.tick", None)

    async def _read(self, *reads: Callable[[], Awaitable[Any]]) -> list[Any]:
        """Independent reads at once through the `exchange_info` breaker; every one is awaited before
        the first error is raised. While the breaker is not closed the first read goes alone: it is
        the trial call, and reads sent beside it would be refused for want of a trial slot."""
        info = self.breakers.get("exchange_info")
        out: list[Any] = []
        rest = list(reads)
        if info.state not in (BreakerState.CLOSED, BreakerState.DISABLED):
            out.append(await info.call(rest.pop(0)))
        return out + await gather_all(*(info.call(fn) for fn in rest))

    def _take_orders_and_fills(self, orders: Sequence[Order], fills: Sequence[Fill]) -> None:
        self._refresh_at = self._clock.monotonic() + self.config.orders_refresh_s
        self.view.take_orders(orders)
        self._take_fills(fills)

    def _take_fills(self, fills: Sequence[Fill], note: str = "") -> int:
        new = self.view.take_fills(fills)
        for f in new:
            if not self.chains.hold(f):             # held: recorded after its order's trace
                self._trace_fill(f, note)
        if new:
            self.recovery.invalidate("account")          # positions moved; orders and fill ages keep
            self._emit("engine.fills", tuple(new))
        return len(new)

    def _trace_fill(self, f: Fill, note: str = "") -> None:
        self._trace(TraceKind.FILL, symbol=f.symbol, side=f.side.value, size=float(f.size), price=float(f.px),
                    reason=f"{f.direction or f.side.name.lower()} {f.size.normalize():f} {f.symbol} "
                           f"@ {f.px.normalize():f}{note}",
                    payload={"oid": f.oid, "tid": f.tid, "cloid": f.cloid, "fee": str(f.fee), "pnl": str(f.closed_pnl),
                             "venue_ms": f.time_ms},
                    decision="stop_triggered" if is_own_stop(f) else None, story=self.chains.of_fill(f))

    def on_stream(self, event: StreamEvent) -> None:
        """The exchange stream's news: own fills are recorded at once, orders re-read next tick."""
        kind = event.kind
        self.freshness.touch("stream")
        if kind is StreamEventKind.FILLS:
            if self.reconciled is not None:          # before it, reconciliation reads every fill itself
                self._take_fills(event.fills)
        elif kind is StreamEventKind.ORDERS:
            if self.view.take_order_updates(event.orders):    # an IOC that came and went changes nothing
                self.recovery.invalidate("orders")
            self._emit("engine.orders_changed", None)
        elif kind is StreamEventKind.MIDS and event.mids:
            self.view.take_mids(event.mids)
            self.freshness.touch("mids")
        elif kind in (StreamEventKind.CONNECTED, StreamEventKind.DISCONNECTED):
            self.stream_live = kind is StreamEventKind.CONNECTED
            self._emit(f"engine.stream.{kind.value}", event)

    async def _trade(self, mids: dict[str, Decimal], account: AccountState) -> None:
        mon = self.monitor
        now = self._clock.wall_ms()
        with mon.timer("engine.strategy"):
            signals = self.strategy.on_mids(mids, account.positions, now)
        if not signals:
            return
        with mon.timer("engine.risk"):
            decisions = self.risk.evaluate_signals(signals)
        go: list[tuple[Signal, RiskDecision]] = []
        stories: list[Story] = []
        for sig, d in zip(signals, decisions, strict=True):
            story = Story()                             # the signal starts it; risk, order, fill, stop join
            self._trace(TraceKind.SIGNAL, symbol=sig.symbol, strategy=sig.strategy, side=sig.side.value,
                        size=float(sig.size), price=float(sig.price), reason=sig.reason, story=story)
            self._trace(TraceKind.RISK, symbol=sig.symbol, strategy=sig.strategy, side=sig.side.value,
                        size=float(d.size), price=float(sig.price), decision=d.decision.value, reason=d.reason,
                        payload={"checks": list(d.checks), "asked": str(sig.size)}, story=story)
            mon.incr(f"risk.{d.decision.value}")
            if d.decision is not Decision.REJECT and d.size > 0:
                go.append((sig, d))
                stories.append(story)
        if go:
            await self._execute(go, stories)

    async def _execute(self, go: Sequence[tuple[Signal, RiskDecision]], stories: Sequence[Story] | None = None) -> None:
        with in_lane(Lane.STRATEGY):                   # the budget's third lane (stops inside it: the second)
            done = await self.executor.execute(go, stories)
        if done.refused is not None:
            self._set_paused(True, str(done.refused))
        self.orders_sent += done.sent
        if not done.requests:
            return
        if not self.stream_live:
            self._refresh_at = 0.0                      # no stream: read fills and orders on the next tick
        self.recovery.invalidate("account")
        self._emit("engine.orders", done.results)

    async def _protect_filled(self) -> None:
        """The executor's after-fill step, under the execution lock: the moved positions' stops follow."""
        self.recovery.invalidate("account", "orders")
        with self.monitor.timer("engine.stops"):
            done = await self.stops.sync_locked()
        self._stops_done(done)

    async def _keep_stops(self, account: AccountState) -> None:
        """Place, resize or cancel the positions' stop-losses when a position or a stop changed otherwise
        (a manual close, a recovery reduce, a stop that fired or was cancelled, a restart)."""
        with self.monitor.timer("engine.stops"):
            done = await self.stops.keep(account.positions, self.view.orders, force=self._stops_due)
        if done is not None:                            # None: nothing due, or waiting out a failure's backoff
            self._stops_done(done)

    def _stops_done(self, done: StopSync) -> None:
        self._stops_due = bool(done.failed)             # a failure is tried again after the backoff
        if done.changed:
            self._refresh_at = 0.0                      # read the orders (with their triggers) next tick
            self.recovery.invalidate("orders")
            self._emit("engine.stops", done)

    # --- state changes -----------------------------------------------------------------------
    def _set_paused(self, paused: bool, reason: str) -> None:
        if paused == self.paused and (not paused or reason == self.pause_reason):
            return
        was = self.paused
        self.paused, self.pause_reason = paused, reason if paused else ""
        if paused == was:
            return
        verb = "paused" if paused else "resumed"
        log.warning("trading %s: %s", verb, reason)
        self._trace(TraceKind.SYSTEM, decision=verb, reason=f"trading {verb}: {reason}")
        self.monitor.incr(f"engine.{verb}")
        self._emit(f"engine.{verb}", reason)

    def _trace(self, kind: TraceKind, **fields: Any) -> None:
        if self._sink is not None:
            fields.setdefault("strategy", self.strategy.name)
            self._sink.record(Trace(kind=kind.value, time_ms=self._clock.wall_ms(), **fields))

    def _emit(self, topic: str, event: object) -> None:
        if self._bus is not None:
            self._bus.publish(topic, event)

    # --- reading -----------------------------------------------------------------------------
    @property
    def account(self) -> AccountState | None:
        return self.view.account

    @property
    def positions(self) -> tuple[Position, ...]:
        return self.view.positions

    @property
    def orders(self) -> tuple[Order, ...]:
        return self.view.orders

    @property
    def fills(self) -> deque[Fill]:
        return self.view.fills

    @property
    def mids(self) -> dict[str, Decimal]:
        return self.view.mids

    def status_text(self) -> str:
        if self.reconciled is None:
            parts = self._parts
            return "starting: reconciling with the exchange" + (f": {parts.describe()}" if parts else "")
        if pause := self.pause_now:           # the badge's words for a breaker's pause
            words = trading_words(self.risk.trading_state.value, pause)
            return words if words.startswith("PAUSED") else f"paused: {pause}"
        return "watching (read-only)" if not self.config.trade else f"trading {self.risk.trading_state.value}"
