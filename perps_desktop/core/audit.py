"""What the slow REST audit found that the pushes had not said: positions and orders that differ.

The engine's picture of the account comes from the venue's pushes; every `audit_interval_s` it
reads the account, the open orders and the fills over REST and compares. A difference means a
push went missing (or the venue changed something without telling): it is traced, and the REST
answer becomes the engine's state. Pure: the engine does the reading and the recording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import Order, Position

__all__ = ["AuditClock", "AuditReport", "compare_account"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """One audit's differences between the pushed picture and the REST reads (empty: they agreed)."""

    positions: tuple[str, ...] = ()         # "BTC 0 -> +0.01" for each coin whose size differs
    orders_missing: tuple[int, ...] = ()    # open at the venue, unknown to the pushed picture
    orders_gone: tuple[int, ...] = ()       # in the pushed picture, no longer open at the venue
    fills_missed: int = 0                   # fills the stream never delivered

    @property
    def clean(self) -> bool:
        return not (self.positions or self.orders_missing or self.orders_gone or self.fills_missed)

    def describe(self) -> str:
        parts = []
        if self.positions:
            parts.append("positions " + ", ".join(self.positions))
        if self.orders_missing:
            parts.append(f"{len(self.orders_missing)} open order(s) not pushed")
        if self.orders_gone:
            parts.append(f"{len(self.orders_gone)} order(s) gone without a push")
        if self.fills_missed:
            parts.append(f"{self.fills_missed} fill(s) never pushed")
        return "; ".join(parts) or "pushed state matches the venue"


def _sizes(positions: Iterable[Position]) -> dict[str, Decimal]:
    return {p.symbol: p.size for p in positions if p.size != 0}


def compare_account(known_positions: Iterable[Position], known_orders: Iterable[Order],
                    positions: Iterable[Position], orders: Iterable[Order], fills_missed: int) -> AuditReport:
    """The differences between what the engine knew and what the venue answered over REST."""
    before, now = _sizes(known_positions), _sizes(positions)
    moved = tuple(f"{sym} {before.get(sym, Decimal(0)).normalize():+f} -> {now.get(sym, Decimal(0)).normalize():+f}"
                  for sym in sorted(set(before) | set(now)) if before.get(sym) != now.get(sym))
    known = {o.oid for o in known_orders}
    live = {o.oid for o in orders}
    return AuditReport(positions=moved, orders_missing=tuple(sorted(live - known)),
                       orders_gone=tuple(sorted(known - live)), fills_missed=fills_missed)


class AuditClock:
    """When the next audit is due. Polling adapts: every `interval_s` while the rate budget is easy,
    twice as slow past half of what polls may spend, four times past 80% (`pressure()`: 1.0 = full)."""

    def __init__(self, interval_s: float, pressure: Callable[[], float] | None = None, *,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self._now = clock.monotonic
        self.interval_s = interval_s
        self._pressure = pressure
        self._at = 0.0
        self.runs = 0

    def due(self) -> bool:
        return self._now() >= self._at

    def next_interval_s(self) -> float:
        pressure = self._pressure() if self._pressure is not None else 0.0
        return self.interval_s * (4.0 if pressure > 0.8 else 2.0 if pressure > 0.5 else 1.0)

    def schedule(self) -> None:
        """The next audit, one (adapted) interval from now."""
        self._at = self._now() + self.next_interval_s()
