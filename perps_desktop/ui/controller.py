"""ActionController: turns the panels' intent signals into `CoreControl` calls, one task each.

Panels never call the core. The window connects their signals to these slots; each slot starts
one asyncio task keyed by what it acts on. A write action is never cancelled once asked for (its
order may be on the wire): while it runs, its row is busy (`busy_changed`: the row's buttons are
disabled and say so) and a second click on the same row is refused and journaled, not sent. A
reduce is sized from the position the trader saw when clicking. Order-sending actions ask first in
live mode, and so does going back to ACTIVE from HALTED; Flatten all asks always and names every
position and order it will touch. Watch mode refuses all of them here as well as in the
(disabled) buttons. Outcomes come back as signals. Reads (trace pages) keep the newest request:
a new one cancels the one still running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from perps_desktop.app import ActionReport, CoreControl, CoreSnapshot, TraceQuery, TradingState
from perps_desktop.ui import confirm
from perps_desktop.ui.format import fmt_px, fmt_size, fmt_usd
from perps_desktop.ui.status import venue_badge, venue_line

__all__ = ["ActionController", "Confirmer"]

log = logging.getLogger(__name__)

Confirmer = Callable[..., Awaitable[bool]]
"""async (title=, text=, items=, confirm_text=, danger=, venue=, venue_state=) -> bool"""


class ActionController(QObject):
    """One running task per action key; results and failures are signals."""

    action_started = Signal(str)
    """An action was sent to the core: (label)."""
    action_finished = Signal(str, object)
    """The core answered: (label, ActionReport | None)."""
    action_failed = Signal(str, str)
    """The action raised or was refused: (label, message)."""
    traces_loaded = Signal(object)
    """A trace page arrived: (TracePage)."""
    traces_failed = Signal(str)
    """A trace page could not be read: (message)."""
    trace_loaded = Signal(object)
    """One trace's details arrived: (Trace | None)."""
    busy_changed = Signal(object)
    """The write actions in flight changed: (frozenset of keys, e.g. "position:BTC", "order:BTC:17")."""
    timeline_loaded = Signal(object)
    """A timeline window arrived: (TimelineData)."""
    timeline_failed = Signal(str)
    """A timeline window could not be read: (message)."""
    chain_loaded = Signal(object)
    """A story arrived (a marker was clicked): (tuple[Trace, ...], oldest first)."""
    story_loaded = Signal(object)
    """A row's story arrived ("Show story"): (tuple[Trace, ...]; empty when none was traced)."""

    def __init__(self, control: CoreControl, dialog_parent: QWidget | None = None,
                 confirmer: Confirmer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self._dialog_parent = dialog_parent
        self._confirm = confirmer or self._ask
        self.tasks: dict[str, asyncio.Task[Any]] = {}
        self.busy: frozenset[str] = frozenset()

    # --- plumbing -----------------------------------------------------------------------
    async def _ask(self, **kw: Any) -> bool:
        return await confirm.ask(self._dialog_parent, **kw)

    def _spawn(self, key: str, coro: Coroutine[Any, Any, Any], *, write: bool = False) -> asyncio.Task[Any] | None:
        """Run `coro` as the task for `key`. A read replaces the one still running; a write is refused
        while one for the same key runs (the caller checked `in_flight` first)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:            # no qasync loop running (a synchronous test): nothing can run
            coro.close()
            log.debug("no running event loop: %s not started", key)
            return None
        old = self.tasks.get(key)
        if old is not None and not old.done():
            if write:
                coro.close()
                return None
            old.cancel()
        task = loop.create_task(coro, name=f"ui:{key}")
        self.tasks[key] = task

        def forget(t: asyncio.Task[Any]) -> None:
            if self.tasks.get(key) is t:
                del self.tasks[key]
            if write:
                self._set_busy(self.busy - {key})
        task.add_done_callback(forget)
        if write:
            self._set_busy(self.busy | {key})
        return task

    def _snapshot(self) -> CoreSnapshot | None:
        """The core's snapshot, or None when it cannot be built. A confirmation then says less (no venue,
        no rows; a live check assumes live): it is never skipped for it."""
        try:
            return self.control.snapshot()
        except Exception:   # the window's render asks the same snapshot() and reports why (once per kind)
            return None

    def _venue(self) -> tuple[str, str]:
        """("LIVE · mainnet · account 0x1234…abcd", badge state) for the confirmation's first line."""
        if (snap := self._snapshot()) is None:      # say so rather than name no venue at all
            return "venue unknown (no snapshot)", "unknown"
        line = venue_line(snap.mode, snap.network, snap.address)
        remote = getattr(self.control, "remote_name", "")      # an attached core: name the bot acted on
        return (f"bot {remote} (remote) · {line}" if remote else line), venue_badge(snap.mode, snap.network)[1]

    def _set_busy(self, busy: frozenset[str]) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def in_flight(self, key: str) -> bool:
        task = self.tasks.get(key)
        return task is not None and not task.done()

    def _live(self) -> bool:
        snap = self._snapshot()
        return snap is None or snap.mode == "live"

    def _act(self, key: str, label: str, call: Callable[[], Awaitable[ActionReport]], *,
             confirm_title: str | None = None, confirm_text: str = "", items: tuple[str, ...] = (),
             confirm_button: str = "Confirm", always_confirm: bool = False) -> asyncio.Task[Any] | None:
        if self.in_flight(key):
            reason = "the same action is still in flight (a second click is not sent)"
            self.action_failed.emit(label, reason)
            note = getattr(self.control, "note_refused", None)
            if note is not None:
                note(label, reason)
            return None

        async def run() -> ActionReport | None:
            if self.control.read_only:
                self.action_failed.emit(label, "read-only: watch mode cannot act on the account")
                return None
            if always_confirm or (confirm_title and self._live()):
                venue, venue_state = self._venue()
                ok = await self._confirm(title=confirm_title or label, text=confirm_text or f"{label}?",
                                         items=items, confirm_text=confirm_button, danger=True, venue=venue,
                                         venue_state=venue_state)
                if not ok:
                    self.action_failed.emit(label, "cancelled")
                    return None
            self.action_started.emit(label)
            try:
                report = await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("action %s failed: %s", label, exc)
                self.action_failed.emit(label, str(exc) or type(exc).__name__)
                return None
            self.action_finished.emit(label, report)
            return report
        return self._spawn(key, run(), write=True)

    # --- order actions --------------------------------------------------------------------
    def close_position(self, symbol: str) -> asyncio.Task[Any] | None:
        return self._act(f"position:{symbol}", f"Close {symbol}", lambda: self.control.close_position(symbol),
                         confirm_title=f"Close {symbol}?", items=self._describe_positions({symbol}),
                         confirm_text="A reduce-only market order closes the whole position (live account).",
                         confirm_button=f"Close {symbol}")

    def reduce_position(self, symbol: str, fraction: float) -> asyncio.Task[Any] | None:
        pct = f"{fraction * 100:.0f}%"
        size = self._size_now(symbol, fraction)         # what the trader saw when clicking
        return self._act(f"position:{symbol}", f"Reduce {symbol} {pct}",
                         lambda: self.control.reduce_position(symbol, fraction, size),
                         confirm_title=f"Reduce {symbol} by {pct}?", items=self._describe_positions({symbol}),
                         confirm_text=f"A reduce-only market order cuts {pct} of the position (live account).",
                         confirm_button=f"Reduce {symbol}")

    def cancel_order(self, symbol: str, oid: int) -> asyncio.Task[Any] | None:
        return self._act(f"order:{symbol}:{oid}", f"Cancel {symbol} #{oid}",
                         lambda: self.control.cancel_order(symbol, oid),
                         confirm_title=f"Cancel order {oid}?", confirm_text=f"Cancel {symbol} order {oid} (live).",
                         confirm_button="Cancel order")

    def cancel_all(self) -> asyncio.Task[Any] | None:
        return self._act("cancel_all", "Cancel all orders", self.control.cancel_all,
                         confirm_title="Cancel all orders?", items=self._describe_orders(),
                         confirm_text="Every open order of the account is cancelled (live).",
                         confirm_button="Cancel all")

    def flatten_all(self) -> asyncio.Task[Any] | None:
        positions = self._describe_positions(None)
        orders = self._describe_orders()
        text = (f"This closes {len(positions)} position{'s' if len(positions) != 1 else ''} with reduce-only "
                f"market orders and cancels {len(orders)} open order{'s' if len(orders) != 1 else ''}."
                if positions or orders else "There is nothing open right now; flatten anyway?")
        return self._act("flatten_all", "Flatten all", self.control.flatten_all, always_confirm=True,
                         confirm_title="Flatten all?", confirm_text=text, items=positions + orders,
                         confirm_button="Flatten all")

    def run_recovery(self) -> asyncio.Task[Any] | None:
        return self._act("recovery", "Run recovery", self.control.run_recovery_now,
                         confirm_title="Run position recovery now?",
                         confirm_text="Recovery may send reduce-only orders on the live account.",
                         confirm_button="Run recovery")

    # --- state changes (synchronous on the core) -------------------------------------------
    def _sync(self, label: str, fn: Callable[[], Awaitable[None] | None]) -> None:
        """A state change: done at once in process; a remote core's answer is awaited on a task."""
        if self.control.read_only:
            self.action_failed.emit(label, "read-only: watch mode cannot change the core")
            return
        try:
            pending = fn()
        except Exception as exc:
            self.action_failed.emit(label, str(exc) or type(exc).__name__)
            return
        if pending is None:
            self.action_finished.emit(label, None)
            return

        async def wait(answer: Awaitable[None]) -> None:
            try:
                await answer
            except Exception as exc:
                self.action_failed.emit(label, str(exc) or type(exc).__name__)
                return
            self.action_finished.emit(label, None)
        self._spawn(f"state:{label}", wait(pending), write=True)

    def set_trading_state(self, state: TradingState, reason: str) -> asyncio.Task[Any] | None:
        """Change the trading state; back to ACTIVE from HALTED asks first in live mode."""
        label = f"Trading state {state.value}"
        snap = self._snapshot()
        risk = snap.risk if snap is not None else None
        if state is TradingState.ACTIVE and (risk is None or risk.trading_state is TradingState.HALTED) \
                and self._live():
            async def run() -> None:
                ok = await self._confirm(title="Resume trading?", confirm_text="Resume trading", danger=True,
                                         text="Trading was HALTED. ACTIVE lets the strategy open new positions "
                                              "on the live account again.", items=())
                if not ok:
                    self.action_failed.emit(label, "cancelled")
                    return
                self._sync(label, lambda: self.control.set_trading_state(state, reason))
            return self._spawn("trading_state", run())
        self._sync(label, lambda: self.control.set_trading_state(state, reason))
        return None

    def reset_breaker(self, name: str) -> None:
        self._sync(f"Reset breaker {name}", lambda: self.control.reset_breaker(name))

    def force_open_breaker(self, name: str) -> None:
        self._sync(f"Force open breaker {name}", lambda: self.control.force_open_breaker(name))

    # --- reads ----------------------------------------------------------------------------
    def _read(self, key: str, load: Callable[[], Awaitable[Any]], loaded: Callable[[Any], object],
              failed: Callable[[str], object]) -> asyncio.Task[Any] | None:
        """One read of the core on a task (a new read of `key` cancels the one before): `loaded` gets
        what it read, `failed` the words of its failure, which the panel that asked shows."""
        async def run() -> None:
            try:
                result = await load()
            except Exception as exc:    # said where it was asked for; a read changes nothing to undo
                failed(str(exc) or type(exc).__name__)
                return
            loaded(result)
        return self._spawn(key, run())

    def query_traces(self, query: TraceQuery) -> asyncio.Task[Any] | None:
        return self._read("traces", lambda: self.control.query_traces(query), self.traces_loaded.emit,
                          self.traces_failed.emit)

    def load_trace(self, trace_id: int) -> asyncio.Task[Any] | None:
        def missing(why: str) -> None:
            log.info("trace %s not read: %s", trace_id, why)
            self.trace_loaded.emit(None)
        return self._read("trace", lambda: self.control.get_trace(trace_id), self.trace_loaded.emit, missing)

    def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> asyncio.Task[Any] | None:
        return self._read("timeline", lambda: self.control.load_timeline(symbol, since_ms, until_ms),
                          self.timeline_loaded.emit, self.timeline_failed.emit)

    def load_chain(self, trace_id: int) -> asyncio.Task[Any] | None:
        return self._read("chain", lambda: self.control.chain_of(trace_id), self.chain_loaded.emit,
                          self.timeline_failed.emit)

    def show_story(self, what: str, symbol: str, key: int | None = None,
                   time_ms: int | None = None) -> asyncio.Task[Any] | None:
        """The story of a position ("position", symbol), fill ("fill", symbol, tid, time) or order
        ("order", symbol, oid): found in the store, then sent whole to the timeline."""
        async def story() -> tuple[Any, ...]:
            chain_id = await self.control.find_story(what, symbol, key, time_ms)
            return await self.control.chain_of(chain_id) if chain_id is not None else ()
        return self._read("story", story, self.story_loaded.emit, self.timeline_failed.emit)

    async def aclose(self) -> None:
        """Cancel what is still running (the window is closing)."""
        tasks = [t for t in self.tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _size_now(self, symbol: str, fraction: float) -> Decimal | None:
        """`fraction` of the position as the window shows it now (None: not shown; the core sizes it)."""
        if (snap := self._snapshot()) is None:
            return None
        p = next((p for p in snap.positions if p.symbol == symbol and p.size != 0), None)
        return None if p is None else abs(p.size) * Decimal(str(fraction))

    # --- what a confirmation names --------------------------------------------------------
    def _describe_positions(self, only: set[str] | None) -> tuple[str, ...]:
        if (snap := self._snapshot()) is None:
            return ()
        return tuple(
            f"{p.symbol} {'long' if p.size > 0 else 'short'} {fmt_size(abs(p.size))} @ {fmt_px(p.mark_px)} "
            f"(≈{fmt_usd(p.notional, decimals=0)}, uPnL {fmt_usd(p.unrealized_pnl, signed=True)})"
            for p in snap.positions if p.size != 0 and (only is None or p.symbol in only))

    def _describe_orders(self) -> tuple[str, ...]:
        if (snap := self._snapshot()) is None:
            return ()
        return tuple(f"order {o.symbol} {'buy' if str(o.side) == 'B' else 'sell'} {fmt_size(o.size)} @ "
                     f"{fmt_px(o.limit_px)} (#{o.oid})" for o in snap.orders)
