"""PositionRecovery: find positions in trouble, fix them in one batch, and act for the trader.

Report ("Position Recovery Optimizations"): every position is analysed concurrently
(RECOVERY_PARALLELISM; 1 = one after another, the benchmark's "before"); portfolio, order, fill,
strategy and mid data are read through one 5 s `TTLCache` (RECOVERY_CACHE_TTL_MS; 0 = off);
repeated alerts are folded by the AlertManager's cooldown (RECOVERY_ALERT_COOLDOWN_MS); the
automatic CLOSE/REDUCE orders go out as one reduce-only bulk order with cloids through the
`position_recovery` breaker, at most MAX_RECOVERY_ATTEMPTS per position; the history is bounded
(RECOVERY_HISTORY_SIZE). The manual actions (close, reduce, cancel, cancel all, flatten all)
return what they did order by order and each leaves a trace.
Each automatic cut starts a story at its finding's trace, each manual action at the trace of the
trader's request; their orders' fills and the stops that follow join it (`ChainBook`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

from perps_desktop.core.caching import CacheRegistry, TTLCache
from perps_desktop.core.chains import ChainBook
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.gathering import gather_bounded
from perps_desktop.core.lanes import Lane, in_lane, runs_in, urgent_lock
from perps_desktop.core.models import (
    ActionReport,
    ActionStep,
    Alert,
    Fill,
    Order,
    OrderRequest,
    OrderResult,
    Position,
    RecoveryAction,
    RecoveryFinding,
    Severity,
    Story,
    Trace,
    TraceKind,
)
from perps_desktop.core.ports import ExchangePort, TraceSink
from perps_desktop.core.recovery_rules import (
    ALERT,
    CLOSE,
    PositionContext,
    RecoveryConfig,
    analyse_position,
    close_request,
    strongest,
)
from perps_desktop.errors import PerpsError

__all__ = ["AlertPort", "GuardPort", "PositionRecovery"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_MISSING: Any = object()
Owners = Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]]
Publish = Callable[[str, object], None]


class GuardPort(Protocol):
    """A circuit breaker as recovery uses it: run one call through it (BreakerOpen when refused)."""

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T: ...


class AlertPort(Protocol):
    """An alert manager as recovery uses it (core.alerts.AlertManager): the same key within the
    source's cooldown (RECOVERY_ALERT_COOLDOWN_MS for source "recovery") is folded, not repeated."""

    def raise_alert(self, key: str, source: str, severity: Severity, message: str) -> Alert | None: ...


def _step_for(req: OrderRequest, res: OrderResult | BaseException, verb: str) -> ActionStep:
    side = "buy" if req.is_buy else "sell"
    what = f"{verb} {req.symbol} {req.size.normalize():f} ({side} reduce-only {req.tif})"
    if isinstance(res, BaseException):
        return ActionStep(what=what, ok=False, detail=str(res) or type(res).__name__, cloid=req.cloid)
    detail = res.error or (f"{res.status.value} {res.filled_size.normalize():f} @ {res.avg_px}"
                           if res.avg_px is not None else res.status.value)
    return ActionStep(what=what, ok=res.ok, detail=detail, oid=res.oid, cloid=res.cloid or req.cloid)


class PositionRecovery:
    """Analyses positions, acts on the worst automatically, and runs the trader's manual actions."""

    SOURCE = "position_recovery"            # the traces' strategy and the breaker's name
    ALERT_SOURCE = "recovery"               # the AlertManager picks RECOVERY_ALERT_COOLDOWN_MS by it

    def __init__(self, exchange: ExchangePort, config: RecoveryConfig | None = None, *,
                 guard: GuardPort | None = None, alerts: AlertPort | None = None, sink: TraceSink | None = None,
                 owners: Owners | None = None, caches: CacheRegistry | None = None,
                 publish: Publish | None = None, auto_actions: bool = True,
                 execution_lock: asyncio.Lock | None = None, chains: ChainBook | None = None,
                 fills: Callable[[], Iterable[Fill]] | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._ex = exchange
        self._now_ms = clock.wall_ms
        self.config = cfg = config or RecoveryConfig()
        self._guard = guard
        self._alerts = alerts
        self._sink = sink
        self._owners = owners
        self._fills = fills                 # the fills already known (the engine's, pushed): no REST read for them
        self.on_lock_wait: Callable[[], object] | None = None   # a manual action waits for the execution lock
        self._publish = publish
        self.auto_actions = auto_actions
        self.lock = execution_lock or asyncio.Lock()
        self.chains = chains or ChainBook()
        self.cache: TTLCache[Any, Any] = TTLCache("recovery", ttl_s=cfg.cache_ttl_s, maxsize=512)
        if caches is not None:
            caches.register(self.cache)
        self._attempts: dict[str, int] = {}
        self._active: set[tuple[str, str]] = set()
        self.findings: tuple[RecoveryFinding, ...] = ()
        self.history: deque[RecoveryAction] = deque(maxlen=cfg.history_size)
        self.finding_log: deque[RecoveryFinding] = deque(maxlen=cfg.history_size)
        self.analyses = 0

    # --- data, through the cache ---------------------------------------------------------
    def invalidate(self, *keys: str) -> None:
        """Forget cached reads: all of them, or only "account", "orders", "last_fills", "owners"."""
        if not keys:
            self.cache.clear()
        for key in keys:
            self.cache.invalidate(key)

    async def _last_fills(self) -> dict[str, int]:
        last: dict[str, int] = {}
        fills: Iterable[Fill] = self._fills() if self._fills is not None else await self._ex.user_fills()
        for f in fills:
            if f.time_ms > last.get(f.symbol, 0):
                last[f.symbol] = f.time_ms
        return last

    async def _owner_map(self) -> Mapping[str, str]:
        if self._owners is None:
            return {}
        got = self._owners()
        return dict(await got) if isinstance(got, Awaitable) else dict(got)

    def _mid_loader(self, symbol: str) -> Callable[[], Awaitable[Decimal | None]]:
        async def load() -> Decimal | None:
            try:
                return await self._ex.mid(symbol)
            except (PerpsError, KeyError) as exc:       # judge it on its mark instead
                log.debug("recovery: no mid for %s (%s)", symbol, exc)
                return None
        return load

    async def _read(self, items: Sequence[tuple[Hashable, Callable[[], Awaitable[Any]]]]) -> list[Any]:
        """Values by key: cached ones at once, the misses loaded as `parallelism` allows."""
        cache = self.cache
        out: list[Any] = [cache.get(k, _MISSING) for k, _ in items]
        missing = [i for i, v in enumerate(out) if v is _MISSING]
        if missing:
            loaded = await gather_bounded([partial(cache.get_or_load, items[i][0], items[i][1]) for i in missing],
                                          self.config.parallelism)
            for i, value in zip(missing, loaded, strict=True):
                out[i] = value
                if value is None:
                    cache.invalidate(items[i][0])     # a failed read is not kept
        return out

    # --- analysis --------------------------------------------------------------------------
    async def analyse(self) -> tuple[RecoveryFinding, ...]:
        """Judge every open position; returns (and keeps) the findings. Reads only, sends nothing.

        The reads (account, orders, fills, owners, then every position's mid) go out together;
        the judging that follows is plain CPU work on the values read.
        """
        ex = self._ex
        reads: list[tuple[Hashable, Callable[[], Awaitable[Any]]]] = [
            ("account", ex.user_state), ("orders", ex.open_orders), ("last_fills", self._last_fills),
            ("owners", self._owner_map)]
        if self.cache.ttl_s > 0:
            await self._read(reads)     # loaded outside the lock (a poll may wait for budget; a Close must not)
        async with self.lock:           # never halfway through an order and its stop-loss (see OrderExecutor)
            with in_lane(Lane.PROTECT):     # what changed meanwhile is read again at once, not behind polls
                account, orders, last_fills, owners = await self._read(reads)
        positions = [p for p in account.positions if p.size != 0]
        mids = await self._read([(("mid", p.symbol), self._mid_loader(p.symbol)) for p in positions])
        by_symbol: dict[str, list[Order]] = {}
        for o in orders:
            by_symbol.setdefault(o.symbol, []).append(o)
        now = self._now_ms()
        equity = float(account.equity)
        cfg = self.config
        findings: list[RecoveryFinding] = []
        for p, mid in zip(positions, mids, strict=True):
            ctx = PositionContext(equity=equity, mid=float(mid) if mid is not None else None,
                                  owner=owners.get(p.symbol), orders=tuple(by_symbol.get(p.symbol, ())),
                                  last_fill_ms=last_fills.get(p.symbol), now_ms=now)
            findings += analyse_position(p, ctx, cfg)
        self.findings = result = tuple(findings)
        self.analyses += 1
        return result

    def _alert(self, findings: Iterable[RecoveryFinding]) -> None:
        if self._alerts is None:
            return
        for f in findings:
            self._alerts.raise_alert(f"recovery:{f.problem}:{f.symbol}", self.ALERT_SOURCE, f.severity, f.reason)

    async def run_once(self, *, act: bool | None = None) -> ActionReport | None:
        """Analyse, alert (deduplicated), and send the automatic actions as one bulk order."""
        findings = await self.analyse()
        active = {(f.symbol, f.problem) for f in findings}
        self.finding_log.extend(f for f in findings if (f.symbol, f.problem) not in self._active)
        self._active = active
        self._alert(findings)
        self._emit("recovery.analysed", findings)
        if not (self.auto_actions if act is None else act):
            return None
        plan = strongest(findings)
        for sym in list(self._attempts):
            if sym not in plan:
                del self._attempts[sym]             # fixed (or gone): it earns its attempts back
        todo: list[RecoveryFinding] = []
        for sym, f in plan.items():
            if self._attempts.get(sym, 0) >= self.config.max_attempts:
                if self._alerts is not None:
                    self._alerts.raise_alert(
                        f"recovery:gave_up:{sym}", self.ALERT_SOURCE, Severity.CRITICAL,
                        f"{sym}: {self.config.max_attempts} automatic attempts did not fix it "
                        f"({f.problem}); the trader must act")
                continue
            todo.append(f)
        if not todo:
            return None
        return await self._execute(todo)

    @runs_in(Lane.PROTECT)
    async def _execute(self, todo: list[RecoveryFinding]) -> ActionReport:
        async with self.lock:
            account, = await self._read([("account", self._ex.user_state)])
            positions = {p.symbol: p for p in account.positions}
            reqs: list[OrderRequest] = []
            acted: list[RecoveryFinding] = []
            for f in todo:
                p = positions.get(f.symbol)
                if p is None or p.size == 0:
                    continue
                mid, = await self._read([(("mid", f.symbol), self._mid_loader(f.symbol))])
                frac = 1.0 if f.action == CLOSE else f.reduce_fraction
                reqs.append(close_request(p, frac, float(mid) if mid is not None else None, self.config.slippage))
                acted.append(f)
            stories = [self._finding_story(f) for f in acted]
            for req, story in zip(reqs, stories, strict=True):
                self.chains.sending((req.cloid,), story)
            results: Sequence[OrderResult | BaseException]
            t0 = time.perf_counter()
            try:
                if self._guard is not None:
                    results = await self._guard.call(lambda: self._ex.place_orders(reqs))
                else:
                    results = await self._ex.place_orders(reqs)
            except (PerpsError, TimeoutError) as exc:
                results = [exc] * len(reqs)
            except BaseException:
                for req in reqs:
                    self.chains.sent(None, None, None, req.cloid)
                raise
            latency = (time.perf_counter() - t0) * 1000.0
            self.invalidate()
        steps = []
        now = self._now_ms()
        for f, req, res, story in zip(acted, reqs, results, stories, strict=True):
            verb = "close" if f.action == CLOSE else f"reduce {f.reduce_fraction:.0%}"
            step = _step_for(req, res, verb)
            steps.append(step)
            attempt = self._attempts.get(f.symbol, 0) + 1
            self._attempts[f.symbol] = attempt
            report = ActionReport(action="recovery", ok=step.ok, steps=(step,), message=f.reason, time_ms=now)
            self.history.append(RecoveryAction(finding=f, report=report, attempt=attempt))
            self._trace(TraceKind.RECOVERY, symbol=f.symbol, side="B" if req.is_buy else "A",
                        size=float(req.size), price=float(req.limit_px), decision=f.action,
                        reason=f"{f.problem}: {f.reason} -> {step.detail}", latency_ms=latency,
                        payload={"problem": f.problem, "action": f.action, "fraction": f.reduce_fraction,
                                 "cloid": req.cloid, "oid": step.oid, "ok": step.ok, "attempt": attempt,
                                 "result": step.detail}, story=story)
            self.chains.sent(f.symbol, story, res, req.cloid)
            log.warning("recovery %s %s (attempt %d): %s -> %s", f.action, f.symbol, attempt, f.reason, step.detail)
        ok = all(s.ok for s in steps)
        report = ActionReport(action="recovery", ok=ok, steps=tuple(steps), time_ms=now,
                              message=f"{len(steps)} automatic action(s) in one bulk order"
                                      + ("" if ok else "; some failed"))
        self._emit("recovery.acted", report)
        return report

    def _finding_story(self, f: RecoveryFinding) -> Story:
        """The story of one automatic cut starts at its finding, traced before the order goes out."""
        story = Story()
        self._trace(TraceKind.RECOVERY, symbol=f.symbol, decision="finding", reason=f"{f.problem}: {f.reason}",
                    payload={"problem": f.problem, "action": f.action, "fraction": f.reduce_fraction}, story=story)
        return story

    def _request_story(self, action: str, symbol: str | None, what: str) -> Story:
        """The story of a manual action that sends orders starts at the trader's request."""
        story = Story()
        self._trace(TraceKind.ACTION, symbol=symbol, decision="requested", reason=f"{what}: asked by the trader",
                    payload={"action": action}, story=story)
        return story

    # --- manual actions ------------------------------------------------------------------
    def _trader_lock(self) -> AbstractAsyncContextManager[None]:
        """The execution lock for the trader's hand: whatever holds it while queued for the request budget
        is asked to go first (`on_lock_wait`, the budget's `promote`), so a Close never waits behind it."""
        return urgent_lock(self.lock, self.on_lock_wait)

    @runs_in(Lane.MANUAL)
    async def close(self, symbol: str) -> ActionReport:
        """Close one position with a reduce-only IOC."""
        return await self.reduce(symbol, 1.0, _action="close")

    @runs_in(Lane.MANUAL)
    async def reduce(self, symbol: str, fraction: float, *, size: Decimal | None = None,
                     _action: str = "reduce") -> ActionReport:
        """Cut `fraction` (0..1] of one position with a reduce-only IOC; with `size`, exactly that much
        (the size the trader saw when asking), so a repeated request never cuts a fraction of a fraction."""
        if not 0.0 < fraction <= 1.0:
            raise ValueError("fraction must be in (0, 1]")
        verb = "close" if _action == "close" else f"reduce {fraction:.0%}"
        story = self._request_story(_action, symbol, f"{verb} {symbol}")
        req: OrderRequest | None = None
        async with self._trader_lock():
            try:
                account = await self._ex.user_state()
                p = next((p for p in account.positions if p.symbol == symbol and p.size != 0), None)
                if p is None:
                    return self._done(ActionReport(action=_action, ok=False, time_ms=self._now_ms(),
                                                   message=f"no open {symbol} position"), symbol, story)
                req = close_request(p, fraction, float(await self._ex.mid(symbol)), self.config.slippage, size=size)
                self.chains.sending((req.cloid,), story)
                res: OrderResult | BaseException = await self._ex.place_order(req)
            except (PerpsError, TimeoutError) as exc:
                return self._done(ActionReport(action=_action, ok=False, time_ms=self._now_ms(),
                                               message=f"{_action} {symbol} failed: {exc}"), symbol, story,
                                  [(req, exc)] if req is not None else ())
            except BaseException:
                if req is not None:
                    self.chains.sent(None, None, None, req.cloid)
                raise
            finally:
                self.invalidate()
        step = _step_for(req, res, verb)
        return self._done(ActionReport(action=_action, ok=step.ok, steps=(step,), time_ms=self._now_ms(),
                                       message=f"{verb} {symbol}: {step.detail}"), symbol, story, [(req, res)])

    @runs_in(Lane.MANUAL)
    async def cancel(self, symbol: str, oid: int) -> ActionReport:
        """Cancel one open order."""
        try:
            ok = await self._ex.cancel(symbol, oid)
            detail = "canceled" if ok else "not canceled (already filled or gone)"
        except (PerpsError, TimeoutError) as exc:
            ok, detail = False, str(exc)
        self.invalidate()
        step = ActionStep(what=f"cancel {symbol} oid {oid}", ok=ok, detail=detail, oid=oid)
        return self._done(ActionReport(action="cancel", ok=ok, steps=(step,), time_ms=self._now_ms(),
                                       message=f"cancel {symbol} oid {oid}: {detail}"), symbol)

    async def _cancel_steps(self) -> list[ActionStep]:
        pairs = await self._ex.cancel_all()
        return [ActionStep(what=f"cancel {o.symbol} oid {o.oid}", ok=ok, oid=o.oid, cloid=o.cloid,
                           detail="canceled" if ok else "not canceled") for o, ok in pairs]

    @runs_in(Lane.MANUAL)
    async def cancel_all(self) -> ActionReport:
        """Cancel every open order."""
        async with self._trader_lock():
            try:
                steps = await self._cancel_steps()
                msg = f"canceled {sum(s.ok for s in steps)} of {len(steps)} order(s)"
                ok = all(s.ok for s in steps)
            except (PerpsError, TimeoutError) as exc:
                steps, ok, msg = [], False, f"cancel all failed: {exc}"
            finally:
                self.invalidate()
        return self._done(ActionReport(action="cancel_all", ok=ok, steps=tuple(steps), time_ms=self._now_ms(),
                                       message=msg), None)

    @runs_in(Lane.MANUAL)
    async def flatten_all(self, *, rounds: int = 3) -> ActionReport:
        """Cancel every order, then close every position reduce-only; repeats what is left, `rounds` times."""
        steps: list[ActionStep] = []
        left: list[Position] = []
        story = self._request_story("flatten_all", None, "flatten all")
        sent: list[tuple[OrderRequest, OrderResult | BaseException]] = []
        async with self._trader_lock():
            try:
                steps += await self._cancel_steps()
                for _ in range(rounds):
                    account = await self._ex.user_state()
                    left = [p for p in account.positions if p.size != 0]
                    if not left:
                        break
                    mids = await self._ex.all_mids()
                    reqs = [close_request(p, 1.0, float(mids[p.symbol]) if p.symbol in mids else None,
                                          self.config.slippage) for p in left]
                    self.chains.sending((r.cloid for r in reqs), story)
                    try:
                        results = await self._ex.place_orders(reqs)
                    except BaseException as exc:
                        sent += [(r, exc) for r in reqs]
                        raise
                    sent += zip(reqs, results, strict=True)
                    steps += [_step_for(r, res, "close") for r, res in zip(reqs, results, strict=True)]
                orders = await self._ex.open_orders()
                if orders:                          # something re-appeared (a trigger fired): cancel again
                    steps += await self._cancel_steps()
                left = [p for p in (await self._ex.user_state()).positions if p.size != 0]
                ok = not left
                msg = "flat: no position, no order" if ok else \
                    "still open: " + ", ".join(f"{p.symbol} {p.size.normalize():f}" for p in left)
            except (PerpsError, TimeoutError) as exc:
                ok, msg = False, f"flatten all failed: {exc}"
            except BaseException:
                for r, _ in sent:
                    self.chains.sent(None, None, None, r.cloid)
                raise
            finally:
                self.invalidate()
        return self._done(ActionReport(action="flatten_all", ok=ok, steps=tuple(steps), time_ms=self._now_ms(),
                                       message=msg), None, story, sent)

    # --- records ---------------------------------------------------------------------------
    def _done(self, report: ActionReport, symbol: str | None, story: Story | None = None,
              sent: Sequence[tuple[OrderRequest, OrderResult | BaseException]] = ()) -> ActionReport:
        """Trace the outcome (in `story`), then let the fills of the orders `sent` be recorded after it."""
        self._trace(TraceKind.ACTION, symbol=symbol, decision=report.action, reason=report.message,
                    payload={"ok": report.ok, "steps": [{"what": s.what, "ok": s.ok, "detail": s.detail,
                                                         "oid": s.oid, "cloid": s.cloid} for s in report.steps]},
                    story=story)
        for req, res in sent:
            self.chains.sent(req.symbol, story, res, req.cloid)
        log.info("action %s: %s", report.action, report.message)
        self._emit("action.done", report)
        return report

    def _trace(self, kind: TraceKind, **fields: Any) -> None:
        if self._sink is not None:
            self._sink.record(Trace(kind=kind.value, time_ms=self._now_ms(), strategy=self.SOURCE, **fields))

    def _emit(self, topic: str, event: object) -> None:
        if self._publish is not None:
            self._publish(topic, event)

    def attempts(self, symbol: str) -> int:
        return self._attempts.get(symbol, 0)

    @staticmethod
    def alert_findings(findings: Iterable[RecoveryFinding]) -> list[RecoveryFinding]:
        return [f for f in findings if f.action == ALERT]
