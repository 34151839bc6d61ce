"""App: the composition root — builds every service once, for the window and headless alike.

    async with App(settings, confirm=ask) as app:    # starts in order, stops in reverse
        snap = app.snapshot()                         # what the window / headless show
        await app.flatten_all()                       # the trader's hand (CoreControl)

Start order (an `AsyncExitStack`, so stopping is the exact reverse): embedded simulator (paper
mode without a base URL) -> trace store -> monitor -> exchange client (+ paper funding, stream)
-> engine (reconciles before trading) -> health checks. Closing flushes every queued trace.
Core events arrive on the `EventBus`; each marks the snapshot stale, and the next `snapshot()`
builds a new one with a higher `version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from perps_desktop.app.budget import budget_snapshot
from perps_desktop.app.identity import Confirm, Identity, confirm_live, resolve_identity
from perps_desktop.app.journal import ActionJournal
from perps_desktop.app.services import Services, build_services
from perps_desktop.app.snapshot import CoreSnapshot, TraceCounters
from perps_desktop.app.timeline import TimelineData, TimelineReader, find_story
from perps_desktop.app.unknown_orders import look_up_unknown_orders
from perps_desktop.config import Settings
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.core.models import (
    ActionReport,
    BreakerState,
    Trace,
    TraceKind,
    TracePage,
    TraceQuery,
    TradingState,
)
from perps_desktop.errors import PerpsError, StartRefused
from perps_desktop.exchange import LatencySnapshot

__all__ = ["App", "AppState"]

log = logging.getLogger(__name__)



class AppState(enum.StrEnum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    CLOSED = "closed"


_REFRESH_S = 0.25         # a snapshot older than this is rebuilt even without events (lag, countdowns)


class App:
    """The running core behind `CoreControl`. One instance per process run; it cannot be reopened."""

    def __init__(self, settings: Settings, *, confirm: Confirm | None = None, private_key: str | None = None,
                 keyring_lookup: Callable[[], str | None] | None = None) -> None:
        self.settings = settings
        self._confirm = confirm
        self._key_override = private_key
        self._keyring_lookup = keyring_lookup
        self.state = AppState.NEW
        self._closing: asyncio.Task[None] | None = None
        self.identity: Identity | None = None
        self.services: Services | None = None
        self._stack = contextlib.AsyncExitStack()
        self._snapshot: CoreSnapshot | None = None
        self._version = 0
        self._dirty = True
        self._built_at = 0.0
        self._last_action: ActionReport | None = None
        self.journal = ActionJournal(on_change=self._mark_dirty)
        self._lookup: asyncio.Future[None] | None = None
        self._final_traces: TraceCounters | None = None

    # --- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        if self.state is not AppState.NEW:
            raise RuntimeError(f"App is {self.state}; it cannot be started again")
        self.state = AppState.STARTING
        kw: dict[str, Any] = {} if self._keyring_lookup is None else {"keyring_lookup": self._keyring_lookup}
        try:
            # on a thread: the OS keyring may ask a daemon over D-Bus (or a locked keychain) and wait
            self.identity = await asyncio.to_thread(resolve_identity, self.settings, private_key=self._key_override,
                                                    **kw)
            self.services = await build_services(self.settings, self.identity, self._stack,
                                                 before_start=self._confirm_live)
            self.services.bus.subscribe("", self._on_event)
            self.journal.sink, self.journal.alerts = self.services.store, self.services.alerts
            self._lookup = asyncio.ensure_future(self._look_up_unknown())
            self.state = AppState.RUNNING
            self._trace_system(f"started in {self.identity.mode} mode on {self.settings.network} "
                               f"({self.services.base_url}) as {self.identity.address}")
        except BaseException as exc:
            self.state = AppState.STOPPING
            await self._stack.aclose()
            self.state = AppState.CLOSED
            if isinstance(exc, PerpsError) and not isinstance(exc, StartRefused):
                raise StartRefused(str(exc)) from exc        # e.g. a venue that refuses the funding: exit 2
            raise
        self._dirty = True

    async def _confirm_live(self, base_url: str) -> None:
        assert self.identity is not None
        await confirm_live(self.identity, self.settings.network, base_url, self._confirm)

    async def aclose(self) -> None:
        """Stop every service in reverse order and flush the traces; idempotent (a second caller waits)."""
        if self.state in (AppState.NEW, AppState.CLOSED):
            self.state = AppState.CLOSED
            return
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _look_up_unknown(self) -> None:
        """What became of the orders the last stop left unknown (background; never raises)."""
        assert self.services is not None
        try:
            await look_up_unknown_orders(self.services.store, self.services.client)
        except (PerpsError, TimeoutError) as exc:
            log.warning("looking up the orders the last stop left unknown failed: %s", exc)
        except Exception:
            log.exception("looking up the orders the last stop left unknown failed")

    async def _close(self) -> None:
        self.state = AppState.STOPPING
        lookup, self._lookup = self._lookup, None
        if lookup is not None and not lookup.done():
            lookup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lookup
        if self.services is not None:
            self._trace_system("stopping")
        try:
            await self._stack.aclose()
        finally:
            if self.services is not None:
                self._final_traces = self.services.trace_counters()
            self.state = AppState.CLOSED
            self._dirty = True

    def __del__(self) -> None:
        if getattr(self, "state", None) is AppState.RUNNING:
            warnings.warn("App was never closed; use `async with App(...)` or await aclose()", ResourceWarning,
                          stacklevel=1)

    @property
    def running(self) -> bool:
        return self.state is AppState.RUNNING

    def _svc(self) -> Services:
        if self.services is None or self.state is not AppState.RUNNING:
            raise RuntimeError(f"the core is not running (state {self.state})")
        return self.services

    # --- events and snapshots --------------------------------------------------------------
    def _on_event(self, topic: str, event: object) -> None:
        self._dirty = True

    def _mark_dirty(self) -> None:
        self._dirty = True

    def trace_counters(self) -> TraceCounters:
        if self._final_traces is not None:
            return self._final_traces
        return self.services.trace_counters() if self.services is not None else TraceCounters()

    def snapshot(self) -> CoreSnapshot:
        """The newest snapshot (rebuilt after an event, or when older than 250 ms); no I/O."""
        now = monotonic()
        snap = self._snapshot
        if snap is not None and not self._dirty and now - self._built_at < _REFRESH_S:
            return snap
        self._version += 1
        self._dirty = False
        self._built_at = now
        self._snapshot = snap = self._build()
        return snap

    def _build(self) -> CoreSnapshot:
        s, ident = self.services, self.identity
        idle = CoreSnapshot(
            version=self._version, time_ms=wall_ms(), mode=self.settings.mode, network=self.settings.network,
            address=ident.address if ident else self.settings.address, read_only=self.read_only,
            last_action=self._last_action, actions=self.journal.records(),
            base_url=self.settings.base_url or "", connected=False, status_text=self.state.value)
        if s is None:
            return idle
        eng = s.engine
        fresh = s.freshness.snapshot()
        status = eng.status_text() if self.state is AppState.RUNNING else self.state.value
        if self.state is AppState.RUNNING and not fresh.rest_ok:
            status = f"venue unreachable {fresh.unreachable_s:.0f} s; {status}"
        return replace(
            idle, base_url=s.base_url, connected=fresh.connected, freshness=fresh, account=eng.account,
            pause_reason=eng.pause_now, budget=budget_snapshot(s.client, s.action_budget),
            positions=eng.positions,
            orders=eng.orders, fills=tuple(eng.fills), mids={k: float(v) for k, v in eng.mids.items()},
            risk=s.risk.snapshot(), breakers=s.breakers.snapshots(), findings=s.recovery.findings,
            recovery_history=tuple(reversed(s.recovery.history)), caches=tuple(s.caches.stats()),
            monitor=s.monitor.snapshot(), alerts=s.alerts.history(), traces=self.trace_counters(),
            status_text=status)

    # --- CoreControl: the trader's hand ----------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.identity is None or self.identity.read_only

    def _refuse(self, action: str, *, guard: str = "exchange_orders") -> ActionReport | None:
        """Why `action` may not run now, or None. A breaker forced open by hand blocks the trader's
        own actions through it too (the Force open tooltip says so): reset it to act."""
        why = None
        if self.read_only:
            why = f"read-only ({self.settings.mode} mode, no key)"
        elif self.state is not AppState.RUNNING:
            why = f"the core is {self.state}"
        elif self.services is not None and guard in self.services.breakers \
                and self.services.breakers[guard].state is BreakerState.FORCED_OPEN:
            why = f"breaker {guard} is forced open (reset it to act)"
        if why is None:
            return None
        return ActionReport(action=action, ok=False, time_ms=wall_ms(), message=f"{action} refused: {why}")

    async def _act(self, what: str, action: str, call: Callable[[], Awaitable[ActionReport]], *,
                   guard: str = "exchange_orders", refresh: bool = True) -> ActionReport:
        """Run one of the trader's actions and journal it: refused, done or failed, with its latency."""
        started, t0 = wall_ms(), time.perf_counter()
        refused = self._refuse(action, guard=guard)
        if refused is not None:
            self.journal.record(what, "refused", message=refused.message.partition(" refused: ")[2],
                                started_ms=started)
            return await self._done(refused, refresh=False)
        try:
            report = await call()
        except BaseException as exc:            # cancelled (the app stopping) or a bug below: still a line
            self.journal.record(what, "failed", latency_ms=(time.perf_counter() - t0) * 1000.0, started_ms=started,
                                message=str(exc) or f"{type(exc).__name__} (interrupted)")
            raise
        self.journal.record(what, "done" if report.ok else "failed", latency_ms=(time.perf_counter() - t0) * 1000.0,
                            message=report.message, started_ms=started)
        return await self._done(report, refresh=refresh)

    def note_refused(self, what: str, reason: str) -> None:
        """The window refused an action before asking the core (e.g. a second click while the first
        is in flight): a line in the journal and a trace all the same."""
        self.journal.record(what, "refused", message=reason)

    async def _done(self, report: ActionReport, *, refresh: bool = True) -> ActionReport:
        """Keep the report for the snapshot and re-read the account so the window shows the result."""
        self._last_action = report
        if refresh and self.state is AppState.RUNNING and self.services is not None:
            await self.services.engine.refresh()
        self._dirty = True
        return report

    async def close_position(self, symbol: str) -> ActionReport:
        return await self._act(f"close {symbol}", "close", lambda: self._svc().recovery.close(symbol))

    async def reduce_position(self, symbol: str, fraction: float, size: Decimal | None = None) -> ActionReport:
        """Cut `fraction` of the position; with `size` (the window passes the size it showed when the
        trader clicked) exactly that much, never more than is left."""
        what = f"reduce {symbol} {fraction:.0%}" + (f" ({size.normalize():f})" if size is not None else "")
        return await self._act(what, "reduce", lambda: self._svc().recovery.reduce(symbol, fraction, size=size))

    async def cancel_order(self, symbol: str, oid: int) -> ActionReport:
        return await self._act(f"cancel {symbol} #{oid}", "cancel", lambda: self._svc().recovery.cancel(symbol, oid))

    async def cancel_all(self) -> ActionReport:
        return await self._act("cancel all", "cancel_all", lambda: self._svc().recovery.cancel_all())

    async def flatten_all(self) -> ActionReport:
        """Trading goes to REDUCING (nothing new opens), then every order is cancelled and every
        position closed reduce-only."""
        async def run() -> ActionReport:
            s = self._svc()
            if s.risk.trading_state is TradingState.ACTIVE:
                s.risk.set_trading_state(TradingState.REDUCING, "flatten all by the trader")
            report = await s.recovery.flatten_all()
            note = f"{report.message}; trading is {s.risk.trading_state.value}"
            return ActionReport(action=report.action, ok=report.ok, steps=report.steps, message=note,
                                time_ms=report.time_ms)
        return await self._act("flatten all", "flatten_all", run)

    async def run_recovery_now(self) -> ActionReport:
        async def run() -> ActionReport:
            s = self._svc()
            s.recovery.invalidate()
            report = await s.recovery.run_once(act=not self.read_only)
            if report is None:
                n = len(s.recovery.findings)
                report = ActionReport(action="recovery", ok=True, time_ms=wall_ms(),
                                      message=f"{n} finding(s); no automatic action needed"
                                      + (" (read-only)" if self.read_only else ""))
            return report
        if self.state is not AppState.RUNNING:
            return await self._act("run recovery", "recovery", run)
        if self.read_only:            # reading and judging is allowed in watch mode; acting is not
            return await self._done(await run(), refresh=False)
        return await self._act("run recovery", "recovery", run, guard="position_recovery")

    def _change(self, what: str, fn: Callable[[], object]) -> None:
        """A state change by hand: journaled like an action (it is one), then done at once."""
        if self.state is not AppState.RUNNING:
            self.journal.record(what, "refused", message=f"the core is {self.state}")
            raise RuntimeError(f"the core is not running (state {self.state})")
        try:
            fn()
        except Exception as exc:
            self.journal.record(what, "failed", message=str(exc))
            raise
        self.journal.record(what, "done")
        self._dirty = True

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        state = TradingState(state)
        self._change(f"trading state {state.value}", lambda: self._svc().risk.set_trading_state(state, reason))

    def reset_breaker(self, name: str) -> None:
        self._change(f"reset breaker {name}", lambda: self._svc().breakers.reset(name))

    def force_open_breaker(self, name: str) -> None:
        self._change(f"force open breaker {name}", lambda: self._svc().breakers.force_open(name))

    async def query_traces(self, query: TraceQuery) -> TracePage:
        return await self._svc().store.query(query)

    async def get_trace(self, trace_id: int) -> Trace | None:
        return await self._svc().store.get(trace_id)

    async def chain_of(self, trace_id: int) -> tuple[Trace, ...]:
        """The whole story trace `trace_id` belongs to, oldest first (what is recorded so far)."""
        return await self._svc().store.chain_of(trace_id)

    async def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
        """(time_ms, px) of `symbol`'s recorded mid samples in [since_ms, until_ms), oldest first."""
        return await self._svc().store.mids(symbol, since_ms, until_ms)

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        """The timeline of `symbol` over a window: its mids and events, from the store."""
        return await TimelineReader(self._svc().store).load(symbol, since_ms, until_ms)

    async def find_story(self, what: str, symbol: str, key: int | None = None,
                         time_ms: int | None = None) -> int | None:
        """The chain of a row: what="position" (its last fill), "fill" (key: tid, at time_ms), "order" (key: oid)."""
        return await find_story(TimelineReader(self._svc().store), what, symbol, key, time_ms)

    def api_requests(self) -> dict[str, int]:
        """Exchange requests sent, by "endpoint:type" (the metrics' labels)."""
        return dict(self.services.client.counters.requests) if self.services is not None else {}

    def api_latency(self) -> dict[str, LatencySnapshot]:
        """Round trips so far by "endpoint:type": count, failures, sum and histogram buckets (metrics)."""
        return self.services.client.request_latency() if self.services is not None else {}

    # --- helpers -----------------------------------------------------------------------------
    def _trace_system(self, text: str) -> None:
        if self.services is not None:
            self.services.store.record(Trace(kind=TraceKind.SYSTEM.value, time_ms=wall_ms(), strategy="app",
                                             decision=self.settings.mode, reason=text))
        log.info("%s", text)

    async def wait_until_reconciled(self, timeout: float = 30.0) -> None:
        """Await the engine's start-up reconciliation (tests, headless)."""
        s = self._svc()
        async with asyncio.timeout(timeout):
            while s.engine.reconciled is None:
                await asyncio.sleep(0.05)
