"""Fault injection for `/sim`: errors, timeouts, latency, rate limits and dropped WebSockets."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "FAULT_TARGETS", "Fault", "FaultInjector"]

FAULT_KINDS = ("error", "timeout", "latency", "rateLimit", "wsDrop")
FAULT_TARGETS = ("info", "exchange", "ws", "all")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One active fault: applies to a share `rate` of matching requests until `until` (monotonic s)."""

    kind: str
    rate: float = 1.0
    latency_ms: int = 0
    target: str = "all"
    until: float | None = None

    def live(self, now: float) -> bool:
        return self.until is None or now < self.until

    def describe(self) -> dict[str, object]:
        left = None if self.until is None else max(0.0, round(self.until - time.monotonic(), 3))
        return {"kind": self.kind, "rate": self.rate, "latencyMs": self.latency_ms, "target": self.target,
                "remainingS": left}


class FaultInjector:
    """Holds at most one fault per kind; `draw` says which ones hit a given request."""

    def __init__(self, seed: int) -> None:
        self._faults: dict[str, Fault] = {}
        self._rng = random.Random(seed * 97 + 3)
        self.injected = 0

    def set(self, kind: str, *, rate: float = 1.0, latency_ms: int = 0, duration_s: float | None = None,
            target: str = "all") -> Fault | None:
        """Install (or with kind "none", clear) a fault; ValueError for a bad argument."""
        if kind == "none":
            self.clear()
            return None
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join((*FAULT_KINDS, 'none'))}, got {kind!r}")
        if target not in FAULT_TARGETS:
            raise ValueError(f"target must be one of {', '.join(FAULT_TARGETS)}, got {target!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        if latency_ms < 0:
            raise ValueError(f"latencyMs must be >= 0, got {latency_ms}")
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"durationS must be > 0, got {duration_s}")
        until = None if duration_s is None else time.monotonic() + duration_s
        fault = Fault(kind=kind, rate=rate, latency_ms=latency_ms, target=target, until=until)
        self._faults[kind] = fault
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[Fault]:
        now = time.monotonic()
        for kind in [k for k, f in self._faults.items() if not f.live(now)]:
            del self._faults[kind]
        return list(self._faults.values())

    def draw(self, target: str) -> list[Fault]:
        """The faults that hit one request to `target` ("info", "exchange" or "ws")."""
        if not self._faults:
            return []
        hits = [f for f in self.active() if f.target in (target, "all") and self._rng.random() < f.rate]
        self.injected += len(hits)
        return hits
