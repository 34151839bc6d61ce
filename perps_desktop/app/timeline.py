"""The timeline's reads: a symbol's mid prices and its traces over a window, a story, a row's story.

All of it comes from the trace store (the traces and `mid_samples`), never from the venue, so
the same reads serve the live window and a replay of a database copied from another machine.
`TimelineReader` is what the `CoreControl`s (the live `App`, the `ReplayControl`) answer with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from perps_desktop.core.models import Trace, TracePage, TraceQuery
from perps_desktop.store import decode_payload

__all__ = ["MARKER_KINDS", "StoreReads", "TimelineData", "TimelineReader", "find_story"]

#: the kinds of trace the timeline draws (alerts and system notes are not events on a price)
MARKER_KINDS = frozenset({"signal", "risk", "order", "fill", "recovery", "action", "breaker"})
_FILL_AFTER_MS = 600_000         # a fill is traced when the engine hears of it: after the venue's time
_FILL_BEFORE_MS = 120_000


class StoreReads(Protocol):
    """The store's reads the timeline needs (`store.TraceStore`)."""

    async def query(self, query: TraceQuery) -> TracePage: ...

    async def chain_of(self, trace_id: int, *, limit: int = 10_000) -> tuple[Trace, ...]: ...

    async def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineData:
    """What the timeline draws for one symbol and window: prices and markers, oldest first."""

    symbol: str
    since_ms: int
    until_ms: int
    mids: tuple[tuple[int, float], ...]         # (time_ms, px), one a second at most
    traces: tuple[Trace, ...]                   # the symbol's events and every breaker transition
    truncated: bool = False                     # more events than `limit`: the newest are shown


class TimelineReader:
    """Timeline reads over a trace store (see the module docstring)."""

    def __init__(self, store: StoreReads, *, limit: int = 20_000) -> None:
        self._store = store
        self.limit = limit

    async def load(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        """`symbol`'s mids and events in [since_ms, until_ms), with the breakers' transitions."""
        store = self._store
        own = await store.query(TraceQuery(symbol=symbol, since_ms=since_ms, until_ms=until_ms, limit=self.limit,
                                           with_payload=False))
        breakers = await store.query(TraceQuery(kind="breaker", since_ms=since_ms, until_ms=until_ms, limit=1000,
                                                with_payload=False))
        mids = await store.mids(symbol, since_ms, until_ms)
        traces = sorted((t for t in (*own.traces, *breakers.traces) if t.kind in MARKER_KINDS),
                        key=lambda t: (t.time_ms, t.id))
        return TimelineData(symbol=symbol, since_ms=since_ms, until_ms=until_ms, mids=tuple(mids),
                            traces=tuple(traces), truncated=len(own.traces) >= self.limit)

    async def chain(self, trace_id: int) -> tuple[Trace, ...]:
        """The story `trace_id` belongs to, oldest first."""
        return await self._store.chain_of(trace_id)

    async def story_of_fill(self, symbol: str, tid: int, time_ms: int) -> int | None:
        """The chain of the fill with trade id `tid` (its venue time `time_ms`), if traced."""
        page = await self._store.query(TraceQuery(kind="fill", symbol=symbol, since_ms=time_ms - _FILL_BEFORE_MS,
                                                  until_ms=time_ms + _FILL_AFTER_MS, limit=500))
        return _chain_where(page.traces, "tid", tid)

    async def story_of_order(self, symbol: str, oid: int) -> int | None:
        """The chain of the order (or stop) with venue id `oid`, if traced."""
        page = await self._store.query(TraceQuery(kind="order", symbol=symbol, limit=1000))
        found = _chain_where(page.traces, "oid", oid)
        if found is None:                       # an order of a recovery cut or a manual action
            for kind in ("recovery", "action"):
                found = _chain_where((await self._store.query(TraceQuery(kind=kind, symbol=symbol,
                                                                         limit=200))).traces, "oid", oid)
                if found is not None:
                    break
        return found

    async def story_of_position(self, symbol: str) -> int | None:
        """The chain of the last fill on `symbol`: the story of what the position is now."""
        page = await self._store.query(TraceQuery(kind="fill", symbol=symbol, limit=1, with_payload=False))
        return _chain(page.traces[0]) if page.traces else None


async def find_story(reader: TimelineReader, what: str, symbol: str, key: int | None,
                     time_ms: int | None) -> int | None:
    """A row's chain: what="position" (its last fill's), "fill" (key: tid, time_ms: its time) or
    "order" (key: oid). None when nothing traced it (a fill or order from before chains, or of
    another program)."""
    if what == "position":
        return await reader.story_of_position(symbol)
    if what == "fill" and key is not None and time_ms is not None:
        return await reader.story_of_fill(symbol, key, time_ms)
    if what == "order" and key is not None:
        return await reader.story_of_order(symbol, key)
    raise ValueError(f"no story for a {what!r} row without its key")


def _chain(t: Trace) -> int:
    return t.chain if t.chain is not None else t.id


def _chain_where(traces: tuple[Trace, ...], key: str, value: int) -> int | None:
    for t in traces:
        payload = decode_payload(t)
        if isinstance(payload, dict):
            if payload.get(key) == value:
                return _chain(t)
            steps = payload.get("steps")
            if isinstance(steps, list) and any(isinstance(s, dict) and s.get(key) == value for s in steps):
                return _chain(t)
    return None
