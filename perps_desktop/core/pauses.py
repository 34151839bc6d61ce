"""Pauses a breaker forces, named once for every face that says whether trading goes on.

The engine pauses on its own ticks, but a breaker can open between them (a timed-out request
trips it at once): what the window's badge, the headless status line, the metrics and the API
say must follow the breakers themselves, in the same words everywhere ("PAUSED: exchange_info
open"), not the engine's last tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from perps_desktop.core.models import BreakerState

__all__ = ["BLOCKING", "GUARDS", "breaker_pause", "trading_words"]

BLOCKING = (BreakerState.OPEN, BreakerState.FORCED_OPEN)
"""Breaker states in which nothing of the kind it guards goes out."""
GUARDS = ("exchange_info", "exchange_orders")
"""The breakers without which the engine cannot trade (market data, orders)."""
_PREFIX = "breaker "


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def state(self) -> BreakerState: ...


def breaker_pause(breakers: Iterable[_Named]) -> str | None:
    """"breaker exchange_info is open" when a guard breaker blocks now (breakers or their snapshots), else None."""
    states = {b.name: b.state for b in breakers if b.name in GUARDS}
    for name in GUARDS:
        state = states.get(name)
        if state is not None and state in BLOCKING:
            return f"{_PREFIX}{name} is {state.name.lower().replace('_', '-')}"
    return None


def trading_words(state: str, pause_reason: str) -> str:
    """The trading badge's words: "PAUSED: exchange_orders open" while a breaker forces a pause
    (whatever the trading state says), else the state ("ACTIVE", "REDUCING", "HALTED")."""
    if pause_reason.startswith(_PREFIX):
        return "PAUSED: " + pause_reason.removeprefix(_PREFIX).replace(" is ", " ", 1)
    return state
