"""Fleet: several attached cores behind one `CoreControl` — the selected one is what the panels show.

The window holds a Fleet as its control: every panel reads `snapshot()` and every button acts
through it, and both go to the core selected in the Fleet dock, so switching bots is one
assignment and no panel knows there is more than one. `rows()` is the Fleet dock's table (one
line per core); `halt_all()` and `flatten_all_cores()` act on every core at once (the window
asks once, naming every bot), each core's answer reported on its own line.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from perps_desktop.app.remote import RemoteCore
from perps_desktop.app.snapshot import CoreSnapshot, TraceCounters
from perps_desktop.app.timeline import TimelineData
from perps_desktop.core.models import ActionReport, Trace, TracePage, TraceQuery, TradingState

__all__ = ["Fleet", "FleetRow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRow:
    """One core as the Fleet dock lists it."""

    index: int
    name: str
    mode: str
    network: str
    connected: bool
    equity: float | None
    upnl: float
    positions: int
    trading_state: str
    breakers_open: tuple[str, ...]
    data_age_s: float | None
    status: str


class Fleet:
    """See the module docstring. It owns its cores: `aclose()` closes every one."""

    def __init__(self, cores: Sequence[RemoteCore]) -> None:
        if not cores:
            raise ValueError("a fleet needs at least one core")
        self.cores = list(cores)
        self.selected = 0
        self._version = 0
        self._seen: tuple[int, int] = (-1, -1)         # (selected, its core's version) last handed out

    async def start(self) -> None:
        for c in self.cores:
            await c.start()

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.cores), return_exceptions=True)

    @property
    def current(self) -> RemoteCore:
        return self.cores[self.selected]

    def select(self, index: int) -> None:
        if not 0 <= index < len(self.cores):
            raise IndexError(f"no core {index} in a fleet of {len(self.cores)}")
        self.selected = index

    def names(self) -> list[str]:
        return [c.bot or c.name for c in self.cores]

    def rows(self) -> list[FleetRow]:
        out = []
        for i, c in enumerate(self.cores):
            s = c.snapshot()
            open_breakers = tuple(b.name for b in s.breakers if int(b.state) != 0)
            out.append(FleetRow(
                index=i, name=c.bot or c.name, mode=s.mode, network=s.network, connected=s.connected,
                equity=float(s.account.equity) if s.account is not None else None,
                upnl=sum(float(p.unrealized_pnl) for p in s.positions), positions=len(s.positions),
                trading_state=s.risk.trading_state.value if s.risk is not None else "-",
                breakers_open=open_breakers,
                data_age_s=s.freshness.data_age_s if s.freshness is not None else None, status=s.status_text))
        return out

    # --- across the fleet ----------------------------------------------------------------------------
    async def _each(self, calls: list[Awaitable[object]]) -> list[tuple[str, bool, str]]:
        results = await asyncio.gather(*calls, return_exceptions=True)
        out = []
        for name, r in zip(self.names(), results, strict=True):
            if isinstance(r, BaseException):
                out.append((name, False, str(r) or type(r).__name__))
            elif isinstance(r, ActionReport):
                out.append((name, r.ok, r.message))
            else:
                out.append((name, True, "done"))
        return out

    async def halt_all(self, reason: str = "halt all (fleet)") -> list[tuple[str, bool, str]]:
        """Every core's trading state to HALTED; (bot, ok, message) per core."""
        return await self._each([c.set_trading_state(TradingState.HALTED, reason) for c in self.cores])

    async def flatten_all_cores(self) -> list[tuple[str, bool, str]]:
        """Flatten all on every core at once; (bot, ok, message) per core."""
        return await self._each([c.flatten_all() for c in self.cores])

    # --- CoreControl: the selected core --------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.current.read_only

    def snapshot(self) -> CoreSnapshot:
        """The selected core's snapshot, with a version of the fleet's own that rises on every change,
        switching cores included (two cores' own counters may well be equal)."""
        snap = self.current.snapshot()
        if (self.selected, snap.version) != self._seen:
            self._seen = (self.selected, snap.version)
            self._version += 1
        return dataclasses.replace(snap, version=self._version)

    def trace_counters(self) -> TraceCounters:
        """Nothing is recorded in this process (each core records its own traces)."""
        return TraceCounters()

    @property
    def remote_name(self) -> str:
        """The selected core's name, for confirmations ("on core-a (remote)")."""
        return self.current.remote_name

    async def close_position(self, symbol: str) -> ActionReport:
        return await self.current.close_position(symbol)

    async def reduce_position(self, symbol: str, fraction: float, size: Decimal | None = None) -> ActionReport:
        return await self.current.reduce_position(symbol, fraction, size)

    def note_refused(self, what: str, reason: str) -> None:
        self.current.note_refused(what, reason)

    async def cancel_order(self, symbol: str, oid: int) -> ActionReport:
        return await self.current.cancel_order(symbol, oid)

    async def cancel_all(self) -> ActionReport:
        return await self.current.cancel_all()

    async def flatten_all(self) -> ActionReport:
        return await self.current.flatten_all()

    async def run_recovery_now(self) -> ActionReport:
        return await self.current.run_recovery_now()

    def set_trading_state(self, state: TradingState, reason: str) -> Awaitable[None]:
        return self.current.set_trading_state(state, reason)

    def reset_breaker(self, name: str) -> Awaitable[None]:
        return self.current.reset_breaker(name)

    def force_open_breaker(self, name: str) -> Awaitable[None]:
        return self.current.force_open_breaker(name)

    async def query_traces(self, query: TraceQuery) -> TracePage:
        return await self.current.query_traces(query)

    async def get_trace(self, trace_id: int) -> Trace | None:
        return await self.current.get_trace(trace_id)

    async def chain_of(self, trace_id: int) -> tuple[Trace, ...]:
        return await self.current.chain_of(trace_id)

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        return await self.current.load_timeline(symbol, since_ms, until_ms)

    async def find_story(self, what: str, symbol: str, key: int | None = None,
                         time_ms: int | None = None) -> int | None:
        return await self.current.find_story(what, symbol, key, time_ms)
