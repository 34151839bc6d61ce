"""The one clock: monotonic seconds for deadlines and ages, wall milliseconds for timestamps.

Components that read the time take a `clock: Clock` (default `SYSTEM_CLOCK`) instead of calling
`time` themselves, so a test can hold time still or move it on with a `ManualClock` rather than
wait for it. Code with no component to hang a clock on calls `wall_ms()` / `monotonic()` here,
so there is one definition of "now in ms" (the integer `time_ns` gives, no float rounding).
Durations of work (`time.perf_counter()`) are measurements, not clock readings, and stay as they are.
"""

from __future__ import annotations

import time
from typing import Final, Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "ManualClock", "SystemClock", "monotonic", "wall_ms"]

monotonic: Final = time.monotonic


def wall_ms() -> int:
    """Milliseconds since the Unix epoch, now."""
    return time.time_ns() // 1_000_000


class Clock(Protocol):
    """Where a component reads the time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences mean anything)."""
        ...

    def wall_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The process's clocks. Its methods are `time`'s own functions, so reading it costs no extra call."""

    __slots__ = ()

    monotonic = staticmethod(time.monotonic)
    wall_ms = staticmethod(wall_ms)


SYSTEM_CLOCK: Final[Clock] = SystemClock()


class ManualClock:
    """A clock that moves only when told: `advance(s)` moves both readings together; tests use it."""

    __slots__ = ("_mono", "_wall_ms")

    def __init__(self, *, wall_ms: int = 1_700_000_000_000, monotonic: float = 1_000.0) -> None:
        self._wall_ms = wall_ms
        self._mono = monotonic

    def monotonic(self) -> float:
        return self._mono

    def wall_ms(self) -> int:
        return self._wall_ms

    def advance(self, seconds: float) -> None:
        """Move time on by `seconds` (never back)."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._mono += seconds
        self._wall_ms += round(seconds * 1000)

    def set_wall_ms(self, ms: int) -> None:
        """Set the wall reading alone (a test of a stale timestamp or a day boundary)."""
        self._wall_ms = ms
