"""ActionJournal: every action the trader took — done, failed or refused — with its latency.

The window's Actions dock and headless read it from the snapshot. An action that failed is
also an alert (the trader must not miss it); one that was refused before it reached the venue
(read-only, the core stopping, a breaker forced open, a second click while the first is in
flight) is a trace here, since nothing below saw it. Actions that ran are traced where they ran
(position recovery traces each order it sent; state changes trace themselves).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Trace, TraceKind

if TYPE_CHECKING:
    from perps_desktop.core.alerts import AlertManager
    from perps_desktop.core.ports import TraceSink

__all__ = ["OUTCOMES", "ActionJournal", "ActionRecord"]

OUTCOMES = ("done", "failed", "refused")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionRecord:
    """One line of the Actions log."""

    time_ms: int                # when the trader asked
    what: str                   # "close BTC", "reduce BTC 50%", "trading state halted"
    outcome: str                # one of OUTCOMES
    latency_ms: float           # asked -> answered (0 for a refusal)
    message: str = ""


class ActionJournal:
    """Bounded, newest first; `record` also traces refusals and alerts failures."""

    def __init__(self, size: int = 200, *, sink: TraceSink | None = None, alerts: AlertManager | None = None,
                 on_change: Callable[[], None] | None = None) -> None:
        self._records: deque[ActionRecord] = deque(maxlen=size)
        self.sink = sink
        self.alerts = alerts
        self._on_change = on_change

    def record(self, what: str, outcome: str, *, latency_ms: float = 0.0, message: str = "",
               started_ms: int | None = None) -> ActionRecord:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        rec = ActionRecord(time_ms=started_ms if started_ms is not None else wall_ms(), what=what, outcome=outcome,
                           latency_ms=latency_ms, message=message)
        self._records.appendleft(rec)
        if outcome == "refused" and self.sink is not None:
            self.sink.record(Trace(kind=TraceKind.ACTION.value, time_ms=rec.time_ms, strategy="trader",
                                   decision="refused", reason=f"{what} refused: {message}"))
        if outcome == "failed" and self.alerts is not None:
            self.alerts.error(f"action:{what}", "action", f"{what} failed: {message or 'no reason given'}")
        if self._on_change is not None:
            self._on_change()
        return rec

    def records(self) -> tuple[ActionRecord, ...]:
        return tuple(self._records)
