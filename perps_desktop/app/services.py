"""build_services: every service of a run, made once and started in order on an AsyncExitStack.

The stack closes them in the exact reverse order: health checks, engine, exchange client,
monitor, trace store (which flushes every queued trace), embedded simulator. Core events
(breaker transitions, trading-state changes, alerts) become traces and bus events here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from perps_desktop.app.budget import ActionBudgetPoller
from perps_desktop.app.identity import Identity
from perps_desktop.app.order_trial import orders_trial_check
from perps_desktop.app.snapshot import TraceCounters
from perps_desktop.app.state_trace import StateRecorder
from perps_desktop.app.venue_check import LateMetaCheck, check_symbols, fetch_meta
from perps_desktop.config import Settings
from perps_desktop.core import (
    AlertConfig,
    AlertManager,
    BreakerConfig,
    BreakerRegistry,
    BreakerTransition,
    ChainBook,
    EngineConfig,
    EventBus,
    Freshness,
    HealthChecker,
    HealthConfig,
    InFlight,
    MidSampler,
    MomentumStrategy,
    MonitorConfig,
    PerformanceMonitor,
    PositionRecovery,
    RecoveryConfig,
    RiskConfig,
    RiskManager,
    StrategyConfig,
    TrackedExchange,
    TradingEngine,
    TradingStateChanged,
    log_sink,
    loop_lag_check,
    ping_check,
)
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.core.health import HealthCheck
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.core.models import (
    Alert,
    BreakerState,
    StreamEvent,
    StreamEventKind,
    Trace,
    TraceKind,
    TradingState,
)
from perps_desktop.errors import ConfigError, StartRefused, StoreError
from perps_desktop.exchange import ClientConfig, HyperliquidClient
from perps_desktop.store import TraceStore, TraceStoreConfig

__all__ = ["Services", "build_services"]

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class Services:
    """Everything a run holds; the app reads it to build snapshots and to act."""

    base_url: str
    bus: EventBus
    caches: CacheRegistry
    alerts: AlertManager
    breakers: BreakerRegistry
    monitor: PerformanceMonitor
    store: TraceStore
    client: HyperliquidClient
    risk: RiskManager
    strategy: MomentumStrategy
    recovery: PositionRecovery
    engine: TradingEngine
    health: HealthChecker
    freshness: Freshness
    simulator: Any = None
    action_budget: ActionBudgetPoller | None = None      # the address's userRateLimit, read every 5 minutes
    state: StateRecorder | None = None                   # the core's state as a trace every 30 s (replay)
    _rate_at: float = 0.0
    _rate_n: int = 0
    _rate: float = 0.0

    def trace_counters(self) -> TraceCounters:
        """The store's counters; `per_second` is the recording rate over the last second or more."""
        st = self.store.stats()
        now = monotonic()
        if now - self._rate_at >= 1.0:
            if self._rate_at:
                self._rate = (st.recorded - self._rate_n) / (now - self._rate_at)
            self._rate_at, self._rate_n = now, st.recorded
        return TraceCounters(recorded=st.recorded, flushed=st.flushed, dropped=st.dropped + st.lost,
                             queued=st.queued, per_second=self._rate)


async def _fund_remote(base_url: str, address: str, usdc: float) -> None:
    """Paper mode on a simulator we did not start: fund the throwaway account through `/sim`."""
    body = {"type": "fund", "user": address, "usdc": str(usdc)}
    try:
        async with aiohttp.ClientSession() as http, http.post(base_url.rstrip("/") + "/sim", json=body,
                                                              timeout=aiohttp.ClientTimeout(total=10)) as resp:
            status: int | str = resp.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        status = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if status != 200:
        what = f"HTTP {status}" if isinstance(status, int) else status
        raise ConfigError("PERPS_BASE_URL", base_url, f"a simulator that answers POST /sim (got {what})")


def _record_for_replay(store: TraceStore, strategy: MomentumStrategy, engine: TradingEngine, risk: RiskManager,
                       bus: EventBus, client: HyperliquidClient) -> StateRecorder:
    """What the timeline and the replay read besides the traces: a mid sample per second of the
    symbols traded, held or ordered, and the core's state as a trace every 30 s (`StateRecorder`)."""
    sampler = MidSampler(store, lambda: {*strategy.symbols, *(p.symbol for p in engine.positions),
                                         *(o.symbol for o in engine.orders)})
    state = StateRecorder(store)

    def on_tick(_topic: str, _event: object) -> None:
        sampler.sample(engine.mids, wall_ms())
        if engine.reconciled is not None:
            account = engine.account
            state.tick(engine.positions, engine.orders, risk.snapshot(),
                       as_of_ms=account.time_ms if account is not None else None)
    bus.subscribe("engine.tick", on_tick)

    def on_stream(event: StreamEvent) -> None:
        if event.kind is StreamEventKind.MIDS and event.mids:
            sampler.sample(event.mids, wall_ms())
    client.stream.subscribe(on_stream)
    return state


def _sparing_ping(client: HyperliquidClient, breakers: BreakerRegistry, freshness: Freshness, timeout_s: float,
                  every_s: float = 15.0, quiet_s: float = 4.0) -> HealthCheck:
    """The exchange check: while the stream is live, the breaker closed and some REST request was
    answered within `quiet_s`, a ping at most every `every_s` (the venue's pushes show it is there; a
    ping costs budget); else every round — pushes say nothing of REST, and a venue whose REST hangs
    must go dark and open the breaker within seconds. Pings go in the protective lane: the breaker's
    trial call must not wait behind polls."""
    ping = ping_check(client, timeout_s=timeout_s)
    last: tuple[float, str] = (0.0, "")

    async def check() -> str:
        nonlocal last
        now = monotonic()
        answered = freshness.last_answer_ms
        rest_quiet = answered is None or wall_ms() - answered > quiet_s * 1000
        if client.stream.connected and breakers.get("exchange_info").state is BreakerState.CLOSED \
                and now - last[0] < every_s and not rest_quiet:
            return f"stream live; {last[1]} at the last ping"
        with in_lane(Lane.PROTECT):
            detail = str(await ping())
        last = (now, detail)
        client.stream.reconnect_now()       # REST answers: a stream still down tries again at once
        return detail
    return check


async def build_services(settings: Settings, identity: Identity, stack: contextlib.AsyncExitStack, *,
                         before_start: Callable[[str], Awaitable[None]] | None = None) -> Services:
    """Build and start every service on `stack`; the caller closes the stack to stop them."""
    bus = EventBus()
    simulator = None
    base_url = settings.base_url
    if settings.mode == "paper" and not base_url:
        from perps_desktop.sim import Simulator  # only paper mode runs the simulator in-process

        simulator = await stack.enter_async_context(Simulator(host="127.0.0.1", port=0, seed=settings.sim.sim_seed))
        base_url = simulator.url
        log.info("simulator: %s", base_url)
    client_cfg = ClientConfig.from_settings(settings, base_url=base_url)
    base_url = client_cfg.base_url
    if before_start is not None:
        await before_start(base_url)          # live mode: the trader confirms network and address

    caches = CacheRegistry()
    alerts = AlertManager(AlertConfig.from_settings(settings))
    alerts.add_sink(log_sink())
    try:
        store = await stack.enter_async_context(TraceStore(
            TraceStoreConfig.from_settings(settings, bot=settings.bot or identity.bot), caches=caches,
            on_alert=lambda a: alerts.raise_alert(a.key, a.source, a.severity, a.message)))
    except StoreError as exc:
        where = "PERPS_DB_PATH / --db" if settings.db_path else "PERPS_DATA_DIR, or PERPS_DB_PATH / --db"
        raise StartRefused(f"{exc} ({where}: a trace database file in a directory this user can create and "
                           "write, or a postgresql:// URL)") from None

    def trace(kind: TraceKind, **fields: Any) -> None:
        store.record(Trace(kind=kind.value, time_ms=wall_ms(), **fields))


    def on_alert(a: Alert) -> None:
        trace(TraceKind.ALERT, strategy=a.source, decision=a.severity.name.lower(), reason=a.message,
              payload={"key": a.key})
        bus.publish("alert", a)
    alerts.add_sink(on_alert)

    breakers = BreakerRegistry(BreakerConfig.from_settings(settings), alerts=alerts)

    def on_breaker(t: BreakerTransition) -> None:
        trace(TraceKind.BREAKER, strategy=t.breaker, decision=t.new.name.lower(),
              reason=f"{t.breaker}: {t.old.name} -> {t.new.name}: {t.reason}",
              payload={"retry_in_s": t.retry_in_s, "recovery_attempts": t.recovery_attempts})
        bus.publish("breaker.transition", t)
    breakers.add_listener(on_breaker)

    monitor = PerformanceMonitor(MonitorConfig.from_settings(settings), caches=caches)
    monitor.add_counter_source(alerts.counters)
    await stack.enter_async_context(monitor)

    # every HTTP attempt: reachability, the breakers of /info and /exchange, then request latency by endpoint
    freshness = Freshness(next_observer=monitor, stale_after_s=settings.exchange.stale_after_ms / 1000.0)
    client = HyperliquidClient(client_cfg, registry=caches, private_key=identity.private_key,
                               address=identity.address, observer=freshness)
    await stack.enter_async_context(client)
    action_budget = await stack.enter_async_context(ActionBudgetPoller(client))

    def on_skipped(label: str, reasons: Sequence[str]) -> None:
        alerts.warning(f"malformed:{label}", "exchange", f"{label}: {len(reasons)} malformed row(s) left out, "
                       f"the rest shown (first: {reasons[0]})")
    client.info.skipped_listeners.append(on_skipped)
    assets = await fetch_meta(client, base_url, settings)
    if assets is not None:
        check_symbols(settings, assets, base_url)
    # from here on (not during the start-up check, whose refusal is its own one line) the requests'
    # attempts are the verdicts of the breakers of /info and /exchange
    freshness.feed("info", breakers.get("exchange_info"))
    freshness.feed("exchange", breakers.get("exchange_orders"))
    if simulator is not None:
        await simulator.fund(identity.address, usdc=settings.engine.paper_funding_usd)
    elif settings.mode == "paper":
        await _fund_remote(base_url, identity.address, settings.engine.paper_funding_usd)

    risk = RiskManager(RiskConfig.from_settings(settings), caches=caches)

    def on_state(e: TradingStateChanged) -> None:
        trace(TraceKind.SYSTEM, decision=e.new.value, strategy="risk",
              reason=f"trading state {e.old.value} -> {e.new.value}: {e.reason}"
                     + (" (rule)" if e.by_rule else " (by hand)"))
        bus.publish("risk.state", e)
    risk.add_listener(on_state)
    if assets is None:                        # the venue was ill at start: SYMBOLS is checked when it answers
        def refused(exc: ConfigError) -> None:
            alerts.critical("config:symbols", "app", f"trading halted: {exc}")
            risk.set_trading_state(TradingState.HALTED, str(exc))
        await stack.enter_async_context(LateMetaCheck(client, settings, base_url, on_refused=refused))

    trade = not identity.read_only
    strategy = MomentumStrategy(StrategyConfig.from_settings(settings))
    inflight = InFlight()
    tracked: Any = TrackedExchange(client, inflight)       # the core's writes, known to a stop
    chains = ChainBook()                      # one book: recovery's and the engine's orders join the same stories
    recovery = PositionRecovery(tracked, RecoveryConfig.from_settings(settings),
                                guard=breakers.get("position_recovery"), alerts=alerts, sink=store,
                                owners=strategy.owners, caches=caches, publish=bus.publish, auto_actions=trade,
                                chains=chains, fills=lambda: engine.fills)
    engine = TradingEngine(tracked, strategy=strategy, risk=risk, breakers=breakers, recovery=recovery,
                           monitor=monitor, sink=store, bus=bus, freshness=freshness, inflight=inflight,
                           config=EngineConfig.from_settings(settings, trade=trade), chains=chains,
                           budget_pressure=client.budget.pressure)
    recovery.on_lock_wait = lambda: client.budget.promote(Lane.MANUAL)    # a Close never queues behind them
    client.stream.subscribe(engine.on_stream)
    state = _record_for_replay(store, strategy, engine, risk, bus, client)
    freshness.stream_connected = lambda: client.stream.connected
    await client.stream.start()
    await stack.enter_async_context(engine)
    stack.callback(client.budget.close)       # stopping: nothing waits for budget (runs before the engine stops)

    health_cfg = HealthConfig.from_settings(settings)
    health = HealthChecker(health_cfg, breakers=breakers)
    # no breaker= here: the ping is a request like any other, and its attempt feeds exchange_info itself
    ping_timeout_s = 0.8 * health_cfg.timeout_ms / 1000.0     # the request's own timeout, under the check's
    health.add_check("exchange", _sparing_ping(client, breakers, freshness, timeout_s=ping_timeout_s))
    health.add_check("loop_lag", loop_lag_check(monitor, 250.0))
    if trade:        # a noop is exchange_orders' trial, not the trader's next order
        health.add_check("orders_trial", orders_trial_check(client, breakers.get("exchange_orders"), freshness,
                                                            inflight, timeout_s=ping_timeout_s))

    async def stream_check() -> str:
        if not client.stream.connected:
            raise RuntimeError("the exchange stream is not connected")
        return "connected"

    async def store_check() -> str:
        st = store.stats()
        if st.write_failing:
            raise RuntimeError(f"trace writes failing: {st.last_error}")
        return f"{st.queued} queued, {st.dropped} dropped"

    async def venue_check() -> str:
        f = freshness.snapshot()
        if f.unreachable_s >= settings.exchange.venue_dark_alert_s:
            alerts.critical("venue:unreachable", "exchange", f"the venue has not answered for {f.unreachable_s:.0f} s "
                            f"(last error: {f.last_error or 'none'}); the numbers shown are "
                            f"{f.data_age_s:.0f} s old")
        if not f.rest_ok:
            raise RuntimeError(f"no answer for {f.unreachable_s:.0f} s: {f.last_error or 'silent'}")
        return f"account data {f.data_age_s:.1f} s old"

    health.add_check("venue", venue_check)
    health.add_check("stream", stream_check, breaker="websocket", direct=True)
    health.add_check("trace_store", store_check, breaker="trace_store", direct=True)
    await stack.enter_async_context(health)

    return Services(base_url=base_url, bus=bus, caches=caches, alerts=alerts, breakers=breakers, monitor=monitor,
                    store=store, client=client, risk=risk, strategy=strategy, recovery=recovery, engine=engine,
                    health=health, freshness=freshness, simulator=simulator, action_budget=action_budget,
                    state=state)
