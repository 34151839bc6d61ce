"""Nonces for signed actions: millisecond timestamps, strictly increasing per signer.

The venue keeps the highest nonces it has seen per signer and refuses a reused one, so two
orders signed in the same millisecond (or after the clock stepped back) must still get
different, growing nonces. `next()` returns max(now_ms, last + 1).
"""

from __future__ import annotations

import threading

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock

__all__ = ["NonceSource"]


class NonceSource:
    """Strictly increasing nonces for any number of signers (keyed by address, case-insensitive)."""

    __slots__ = ("_clock_ms", "_last", "_lock")

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock_ms = clock.wall_ms
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def next(self, signer: str) -> int:
        key = signer.lower()
        now = self._clock_ms()
        with self._lock:
            last = self._last.get(key, 0)
            nonce = now if now > last else last + 1
            self._last[key] = nonce
        return nonce

    def last(self, signer: str) -> int | None:
        return self._last.get(signer.lower())
