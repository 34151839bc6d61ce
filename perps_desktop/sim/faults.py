"""Fault injection for `/sim`: errors, timeouts, latency, rate limits and dropped WebSockets.

A fault's `target` names the parts of the venue it hits: `info` (POST /info), `exchange`
(POST /exchange), `ws` (GET /ws: the stream) — one name, a list of them (`["info", "ws"]` or
`"info,ws"`), or `all`, the whole venue, stream included. What each kind does to the stream:
`error` closes open streams and refuses new handshakes (500); `timeout` makes it go silent (no
push, no pong, a handshake that hangs) until the fault ends; `latency` delays every push (and
pong) by `latencyMs`; `wsDrop` cuts streams; `rateLimit` leaves it alone (the venue's IP limit
is HTTP's).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "FAULT_TARGETS", "Fault", "FaultInjector", "parse_targets"]

FAULT_KINDS = ("error", "timeout", "latency", "rateLimit", "wsDrop")
FAULT_TARGETS = ("info", "exchange", "ws", "all")
_PARTS = frozenset(FAULT_TARGETS[:-1])


def parse_targets(target: object) -> frozenset[str]:
    """`"all"`, one part, a comma-separated string or a list of parts -> the parts; ValueError else."""
    names: Iterable[object]
    if isinstance(target, str):
        names = [t.strip() for t in target.split(",")]
    elif isinstance(target, list | tuple | frozenset | set):
        names = target
    else:
        raise ValueError(f"target must be one of {', '.join(FAULT_TARGETS)} or a list of them, got {target!r}")
    parts: set[str] = set()
    for name in names:
        if name == "all":
            parts |= _PARTS
        elif isinstance(name, str) and name in _PARTS:
            parts.add(name)
        else:
            raise ValueError(f"target must be one of {', '.join(FAULT_TARGETS)} or a list of them, got {name!r}")
    if not parts:
        raise ValueError(f"target must name at least one of {', '.join(FAULT_TARGETS)}")
    return frozenset(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One active fault: applies to a share `rate` of matching requests until `until` (monotonic s),
    and, with a `count`, to that many of them at most (the injector counts them down)."""

    kind: str
    rate: float = 1.0
    latency_ms: int = 0
    targets: frozenset[str] = _PARTS
    until: float | None = None
    count: int | None = None

    def live(self, now: float) -> bool:
        return self.until is None or now < self.until

    @property
    def target(self) -> str | list[str]:
        """As `/sim` takes it: "all" for the whole venue, else the parts (sorted)."""
        return "all" if self.targets == _PARTS else sorted(self.targets)

    def describe(self, hits_left: int | None = None) -> dict[str, object]:
        left = None if self.until is None else max(0.0, round(self.until - time.monotonic(), 3))
        return {"kind": self.kind, "rate": self.rate, "latencyMs": self.latency_ms, "target": self.target,
                "remainingS": left, "remainingCount": hits_left}


class FaultInjector:
    """Holds at most one fault per kind; `draw` says which ones hit a given request."""

    def __init__(self, seed: int) -> None:
        self._faults: dict[str, Fault] = {}
        self._hits_left: dict[str, int] = {}     # kind -> requests a counted fault still hits
        self._rng = random.Random(seed * 97 + 3)
        self.injected = 0

    def set(self, kind: str, *, rate: float = 1.0, latency_ms: int = 0, duration_s: float | None = None,
            target: object = "all", count: int | None = None) -> Fault | None:
        """Install (or with kind "none", clear) a fault; ValueError for a bad argument. `count`: it hits
        that many requests and is gone (the next request, however late it comes: `count=1`)."""
        if kind == "none":
            self.clear()
            return None
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join((*FAULT_KINDS, 'none'))}, got {kind!r}")
        targets = parse_targets(target)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        if latency_ms < 0:
            raise ValueError(f"latencyMs must be >= 0, got {latency_ms}")
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"durationS must be > 0, got {duration_s}")
        if count is not None and count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        until = None if duration_s is None else time.monotonic() + duration_s
        fault = Fault(kind=kind, rate=rate, latency_ms=latency_ms, targets=targets, until=until, count=count)
        self._faults[kind] = fault
        self._hits_left.pop(kind, None)
        if count is not None:
            self._hits_left[kind] = count
        return fault

    def clear(self) -> None:
        self._faults.clear()
        self._hits_left.clear()

    def hits_left(self, kind: str) -> int | None:
        """How many more requests the counted fault of `kind` hits (None: it is not counted)."""
        return self._hits_left.get(kind)

    def active(self) -> list[Fault]:
        now = time.monotonic()
        for kind in [k for k, f in self._faults.items() if not f.live(now)]:
            del self._faults[kind]
            self._hits_left.pop(kind, None)
        return list(self._faults.values())

    def draw(self, target: str, kinds: tuple[str, ...] = FAULT_KINDS) -> list[Fault]:
        """The faults of `kinds` that hit one request to `target` ("info", "exchange" or "ws")."""
        if not self._faults:
            return []
        hits = [f for f in self.active()
                if f.kind in kinds and target in f.targets and self._rng.random() < f.rate]
        for f in hits:
            if f.kind in self._hits_left:
                self._hits_left[f.kind] -= 1
                if self._hits_left[f.kind] <= 0:         # its last hit: gone
                    del self._hits_left[f.kind], self._faults[f.kind]
        self.injected += len(hits)
        return hits
