"""CoreControl: the one face the window (and tests) use to read the core and step in.

The window holds a `CoreControl`, calls `snapshot()` on a timer, and turns button presses into
these calls. Two things implement it: the running `App` in this process, and `RemoteCore`, a
headless core elsewhere spoken to over its API (`app/remote.py`); `Fleet` holds several remote
ones and shows the selected one through this same face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from decimal import Decimal

    from perps_desktop.app.snapshot import CoreSnapshot
    from perps_desktop.app.timeline import TimelineData
    from perps_desktop.core.models import ActionReport, Trace, TracePage, TraceQuery, TradingState

__all__ = ["CoreControl"]


class CoreControl(Protocol):
    @property
    def read_only(self) -> bool: ...

    def snapshot(self) -> CoreSnapshot:
        """The newest snapshot; cheap (no I/O), safe to call at 10 Hz."""
        ...

    async def close_position(self, symbol: str) -> ActionReport: ...

    async def reduce_position(self, symbol: str, fraction: float, size: Decimal | None = None) -> ActionReport:
        """Cut `fraction` of the position, or exactly `size` when given (the size the window showed
        when the trader clicked), never more than is left."""
        ...

    def note_refused(self, what: str, reason: str) -> None:
        """The window refused an action itself (a second click while the first is in flight)."""
        ...

    async def cancel_order(self, symbol: str, oid: int) -> ActionReport: ...

    async def cancel_all(self) -> ActionReport: ...

    async def flatten_all(self) -> ActionReport: ...

    async def run_recovery_now(self) -> ActionReport: ...

    # State changes: done at once in process (None); a remote core returns an awaitable to await.
    def set_trading_state(self, state: TradingState, reason: str) -> Awaitable[None] | None: ...

    def reset_breaker(self, name: str) -> Awaitable[None] | None: ...

    def force_open_breaker(self, name: str) -> Awaitable[None] | None: ...

    async def query_traces(self, query: TraceQuery) -> TracePage: ...

    async def get_trace(self, trace_id: int) -> Trace | None: ...

    async def chain_of(self, trace_id: int) -> tuple[Trace, ...]:
        """The story trace `trace_id` belongs to, oldest first."""
        ...

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        """`symbol`'s mid prices and events over a window, from the trace store."""
        ...

    async def find_story(self, what: str, symbol: str, key: int | None = None,
                         time_ms: int | None = None) -> int | None:
        """The chain of a position, fill or order row (None: nothing traced it)."""
        ...
