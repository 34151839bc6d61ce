"""ReplayControl: a past session in the window, rebuilt from its trace database alone.

    async with ReplayControl(Path("traces.sqlite3")) as replay:     # read-only; no venue, no core
        replay.seek(replay.first_ms + 60_000)                       # the state one minute in
        snap = replay.snapshot()                                    # what the window draws

A `CoreControl` whose snapshot is the core as it was at a moment T: the last state trace at or
before T (`state_trace`: positions, orders, risk gauges, every 30 s) with the fills and the
stop placements, cancels and triggers traced after it applied, marks from the mid samples,
the breakers' last transitions, the last fills and alerts. Moving T (`seek`) rebuilds it off
the loop's way (two reads on the store's threads); the window renders the new version. Every
action is refused: a replay only shows. The timeline, stories and trace pages read the same
file. The file is opened read-only, so one copied from another machine is never changed.

The database may also be PostgreSQL (`postgresql://…`, read only as well). Several cores may
share one database; a replay shows one core, so `bot` names it (its traces' `bot`), and a
database holding more than one without `bot` is refused with their names.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from perps_desktop.app.snapshot import CoreSnapshot, TraceCounters
from perps_desktop.app.state_trace import STATE_STRATEGY, orders_from, positions_from, risk_from
from perps_desktop.app.timeline import TimelineData, TimelineReader, find_story
from perps_desktop.core.models import (
    ActionReport,
    Alert,
    BreakerSnapshot,
    BreakerState,
    Fill,
    Order,
    Position,
    RiskSnapshot,
    Severity,
    Side,
    Trace,
    TracePage,
    TraceQuery,
    TradingState,
)
from perps_desktop.errors import StoreError
from perps_desktop.store import TraceStore, TraceStoreConfig, decode_payload

__all__ = ["ReplayControl", "apply_fill"]

log = logging.getLogger(__name__)

_EVENTS_MAX = 100_000            # traces applied on top of a state trace (30 s of them: far fewer)
_MARK_LOOKBACK_MS = 300_000      # a mark is the last mid sample within 5 minutes before T
_LATE_MS = 60_000                # a fill's trace comes at most this long after the venue made it


def _after_base(e: Trace, base: Trace, as_of: int | None) -> bool:
    """Whether `e` changes what the state trace `base` holds: a fill the venue made after the
    account read its positions come from (traced before or after the state), anything else
    traced after it."""
    if e.kind == "fill" and as_of is not None:
        info = decode_payload(e)
        venue_ms = info.get("venue_ms") if isinstance(info, dict) else None
        if venue_ms is not None:
            return int(venue_ms) > as_of
    return e.id > base.id


def apply_fill(size: Decimal, entry: Decimal, qty: Decimal, px: Decimal) -> tuple[Decimal, Decimal]:
    """A position (signed size, entry) after a fill of signed `qty` at `px`: an increase averages
    the entry, a reduction keeps it, a flip starts at the fill's price (as the venue reckons)."""
    new = size + qty
    if size == 0 or (size > 0) == (qty > 0):
        entry = (entry * abs(size) + px * abs(qty)) / abs(new) if new != 0 else Decimal(0)
    elif new == 0:
        entry = Decimal(0)
    elif (new > 0) != (size > 0):
        entry = px
    return new, entry


class ReplayControl:
    """The window's `CoreControl` over a past session (see the module docstring)."""

    def __init__(self, path: Path | str, *, bot: str | None = None, config: TraceStoreConfig | None = None) -> None:
        text = str(path)
        url = text if text.startswith(("postgresql://", "postgres://")) else None
        self.path = Path("postgresql") if url else Path(path)
        cfg = config or TraceStoreConfig(path=self.path, url=url, read_only=True, check_on_open=False,
                                         lazy_payload=False)
        self.where = cfg.where                  # for messages: the file, or the URL without its password
        self.bot = bot or None
        self.store = TraceStore(cfg)
        self.reads = _OneBot(self.store, self.bot)     # every read of the replay: this core's traces only
        self.timeline = TimelineReader(self.reads)
        self.first_ms = 0
        self.last_ms = 0
        self.time_ms = 0
        self._version = 0
        self._snapshot: CoreSnapshot | None = None
        self._task: asyncio.Task[CoreSnapshot] | None = None
        self.rebuilt = asyncio.Event()

    # --- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self) -> ReplayControl:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> None:
        """Open the file read-only and show its last moment. StoreError when it is not a trace database."""
        await self.store.open()
        if self.bot is None:
            recent = await self.store.query(TraceQuery(kind="system", strategy=STATE_STRATEGY, limit=500,
                                                       with_payload=False))
            bots = sorted({t.bot for t in recent.traces})
            if len(bots) > 1:
                await self.store.aclose()
                raise StoreError(f"{self.where} holds the traces of {len(bots)} cores ({', '.join(bots)}): "
                                 "a replay shows one, name it with --bot NAME")
        span = await self.store.time_span()
        self.first_ms, self.last_ms = span if span is not None else (0, 0)
        await self.seek_now(self.last_ms)

    async def start(self) -> None:
        """`open()` under the name the window's runner calls (as for the live App)."""
        await self.open()

    def trace_counters(self) -> TraceCounters:
        return TraceCounters()              # a replay records nothing

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.store.aclose()

    @property
    def _name(self) -> str:
        what = self.where if self.store.config.url else self.path.name
        return what + (f" ({self.bot})" if self.bot else "")

    # --- moving in time --------------------------------------------------------------------------
    def seek(self, time_ms: int) -> None:
        """Show the moment `time_ms` (clamped to the file's span) once rebuilt; a newer seek wins."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.rebuilt.clear()
        self._task = asyncio.get_running_loop().create_task(self.seek_now(time_ms), name="replay-seek")

    async def seek_now(self, time_ms: int) -> CoreSnapshot:
        """Rebuild the state at `time_ms` and make it the snapshot; returns it."""
        t = min(max(int(time_ms), self.first_ms), self.last_ms)
        snap = await self.state_at(t)
        self.time_ms = t
        self._snapshot = snap
        self.rebuilt.set()
        return snap

    async def state_at(self, t: int) -> CoreSnapshot:
        """The core as its traces say it was at `t` (ms)."""
        store = self.reads
        base_page, breakers, alerts, fills = await store.query_many((
            TraceQuery(kind="system", strategy=STATE_STRATEGY, until_ms=t + 1, limit=1),
            TraceQuery(kind="breaker", until_ms=t + 1, limit=500, with_payload=False),
            TraceQuery(kind="alert", until_ms=t + 1, limit=50),
            TraceQuery(kind="fill", until_ms=t + 1, limit=50)))
        base = base_page.traces[0] if base_page.traces else None
        payload = decode_payload(base) if base is not None else None
        state = payload if isinstance(payload, dict) else {}
        as_of = state.get("as_of_ms")
        since = self.first_ms if base is None else min(base.time_ms, as_of if as_of is not None else base.time_ms)
        events = (await store.query(TraceQuery(since_ms=since - _LATE_MS, until_ms=t + 1, limit=_EVENTS_MAX))).traces
        after = [e for e in reversed(events) if base is None or _after_base(e, base, as_of)]
        positions, orders, risk = self._apply(state, after, t)
        mids = await self._marks(positions, orders, t)
        marked = tuple(_marked(p, mids.get(p.symbol)) for p in positions)
        self._version += 1
        return CoreSnapshot(
            version=self._version, time_ms=t, mode="replay", network="replay", address=None,
            base_url=self.where, connected=False, read_only=True, positions=marked, orders=tuple(orders),
            fills=tuple(_fill(f) for f in fills.traces), mids=mids, risk=risk,
            breakers=_breakers(breakers.traces), alerts=tuple(_alert(a) for a in alerts.traces),
            traces=TraceCounters(), status_text=f"replay of {self._name}")

    def _apply(self, state: dict[str, Any], events: Iterable[Trace],
               t: int) -> tuple[list[Position], list[Order], RiskSnapshot | None]:
        book = {p.symbol: p for p in positions_from(state, t)}
        orders = {o.oid: o for o in orders_from(state)}
        risk = risk_from(state)
        decisions = dict(risk.decisions) if risk is not None else {}
        for e in events:
            p = decode_payload(e) if e.kind in ("fill", "order") else None
            info = p if isinstance(p, dict) else {}
            if e.kind == "fill" and e.symbol and e.size is not None and e.price is not None:
                qty = Decimal(repr(e.size)) * (1 if e.side == "B" else -1)
                old = book.get(e.symbol)
                size, entry = apply_fill(old.size if old else Decimal(0), old.entry_px if old else Decimal(0),
                                         qty, Decimal(repr(e.price)))
                book[e.symbol] = Position(symbol=e.symbol, size=size, entry_px=entry, mark_px=Decimal(repr(e.price)),
                                          unrealized_pnl=Decimal(0), leverage=old.leverage if old else 1,
                                          margin_used=old.margin_used if old else Decimal(0), updated_ms=e.time_ms)
                if e.decision == "stop_triggered" and info.get("oid") is not None:
                    orders.pop(int(info["oid"]), None)
            elif e.kind == "order" and e.decision == "stop_placed" and info.get("oid") is not None and e.symbol:
                size = Decimal(repr(e.size or 0))
                orders[int(info["oid"])] = Order(
                    oid=int(info["oid"]), symbol=e.symbol, side=Side(e.side or "A"),
                    limit_px=Decimal(repr(e.price or 0)), size=size, orig_size=size, timestamp_ms=e.time_ms,
                    cloid=info.get("cloid"), reduce_only=True,
                    order_type="Stop Market", trigger_px=Decimal(str(info.get("trigger_px") or repr(e.price or 0))))
            elif e.kind == "order" and e.decision == "stop_canceled" and info.get("oid") is not None:
                orders.pop(int(info["oid"]), None)
            elif e.kind == "risk" and e.decision:
                decisions[e.decision] = decisions.get(e.decision, 0) + 1
        if risk is not None:
            risk = RiskSnapshot(**{**{f: getattr(risk, f) for f in risk.__slots__}, "decisions": decisions})
        return [p for p in book.values() if p.size != 0], sorted(orders.values(), key=lambda o: o.oid), risk

    async def _marks(self, positions: list[Position], orders: list[Order], t: int) -> dict[str, float]:
        symbols = sorted({p.symbol for p in positions} | {o.symbol for o in orders})
        found = await asyncio.gather(*(self.store.mids(s, t - _MARK_LOOKBACK_MS, t + 1) for s in symbols))
        return {s: rows[-1][1] for s, rows in zip(symbols, found, strict=True) if rows}

    # --- CoreControl ---------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return True

    def snapshot(self) -> CoreSnapshot:
        if self._snapshot is None:
            return CoreSnapshot(version=0, time_ms=self.time_ms, mode="replay", network="replay", address=None,
                                base_url=self.where, connected=False, read_only=True, status_text="replay")
        return self._snapshot

    def _refuse(self, action: str) -> ActionReport:
        return ActionReport(action=action, ok=False, message="a replay only shows: nothing is sent")

    async def close_position(self, symbol: str) -> ActionReport:
        return self._refuse("close")

    async def reduce_position(self, symbol: str, fraction: float, size: Decimal | None = None) -> ActionReport:
        return self._refuse("reduce")

    def note_refused(self, what: str, reason: str) -> None:
        log.info("replay: %s refused: %s", what, reason)

    async def cancel_order(self, symbol: str, oid: int) -> ActionReport:
        return self._refuse("cancel")

    async def cancel_all(self) -> ActionReport:
        return self._refuse("cancel_all")

    async def flatten_all(self) -> ActionReport:
        return self._refuse("flatten_all")

    async def run_recovery_now(self) -> ActionReport:
        return self._refuse("recovery")

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        raise PermissionError("a replay only shows")

    def reset_breaker(self, name: str) -> None:
        raise PermissionError("a replay only shows")

    def force_open_breaker(self, name: str) -> None:
        raise PermissionError("a replay only shows")

    async def query_traces(self, query: TraceQuery) -> TracePage:
        return await self.reads.query(query)

    async def get_trace(self, trace_id: int) -> Trace | None:
        return await self.store.get(trace_id)

    async def chain_of(self, trace_id: int) -> tuple[Trace, ...]:
        return await self.store.chain_of(trace_id)

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        return await self.timeline.load(symbol, since_ms, until_ms)

    async def find_story(self, what: str, symbol: str, key: int | None = None,
                         time_ms: int | None = None) -> int | None:
        return await find_story(self.timeline, what, symbol, key, time_ms)


class _OneBot:
    """The store's reads narrowed to one core's traces (`bot`; None: all of them), for a database
    several cores share: the replayed state, the timeline and the trace pages alike."""

    def __init__(self, store: TraceStore, bot: str | None) -> None:
        self._store = store
        self._bot = bot

    def _narrow(self, query: TraceQuery) -> TraceQuery:
        return query if self._bot is None or query.bot is not None else dataclasses.replace(query, bot=self._bot)

    async def query(self, query: TraceQuery) -> TracePage:
        return await self._store.query(self._narrow(query))

    async def query_many(self, queries: Iterable[TraceQuery]) -> list[TracePage]:
        return await self._store.query_many([self._narrow(q) for q in queries])

    async def chain_of(self, trace_id: int, *, limit: int = 10_000) -> tuple[Trace, ...]:
        return await self._store.chain_of(trace_id, limit=limit)

    async def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
        return await self._store.mids(symbol, since_ms, until_ms)       # prices: the venue's, not a core's


def _marked(p: Position, mark: float | None) -> Position:
    if mark is None:
        return p
    m = Decimal(repr(mark))
    return Position(symbol=p.symbol, size=p.size, entry_px=p.entry_px, mark_px=m,
                    unrealized_pnl=(m - p.entry_px) * p.size, leverage=p.leverage,
                    liquidation_px=p.liquidation_px, margin_used=p.margin_used,
                    position_value=abs(p.size) * m, updated_ms=p.updated_ms)


def _fill(t: Trace) -> Fill:
    info = decode_payload(t) or {}
    return Fill(symbol=t.symbol or "", side=Side(t.side or "B"), px=Decimal(repr(t.price or 0)),
                size=Decimal(repr(t.size or 0)), time_ms=t.time_ms, oid=int(info.get("oid") or 0),
                tid=int(info.get("tid") or t.id), cloid=info.get("cloid"), fee=Decimal(str(info.get("fee") or 0)),
                closed_pnl=Decimal(str(info.get("pnl") or 0)), direction=t.reason.split(" ")[0] if t.reason else "")


def _breakers(traces: Iterable[Trace]) -> tuple[BreakerSnapshot, ...]:
    last: dict[str, Trace] = {}
    for t in traces:                                      # newest first: the first seen is the last transition
        if t.strategy and t.strategy not in last:
            last[t.strategy] = t
    out = []
    for name, t in sorted(last.items()):
        try:
            state = BreakerState[(t.decision or "closed").upper()]
        except KeyError:
            state = BreakerState.CLOSED
        out.append(BreakerSnapshot(name=name, state=state, failures=0, successes=0, consecutive_failures=0,
                                   recovery_attempts=0, next_retry_at=None, last_error=t.reason,
                                   last_change_ms=t.time_ms))
    return tuple(out)


def _alert(t: Trace) -> Alert:
    info = decode_payload(t) or {}
    try:
        severity = Severity[(t.decision or "info").upper()]
    except KeyError:
        severity = Severity.INFO
    return Alert(key=str(info.get("key") or t.id), source=t.strategy or "", severity=severity, message=t.reason,
                 time_ms=t.time_ms)
