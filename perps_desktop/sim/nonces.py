"""The venue's nonce rules: per signer, the 100 highest nonces kept, no reuse, a time window."""

from __future__ import annotations

import heapq

__all__ = ["NonceBook"]

KEEP = 100
_BEHIND_MS = 2 * 86_400_000
_AHEAD_MS = 86_400_000


class NonceBook:
    """Accepts a nonce once per signer if it is recent, unused and above the smallest kept one."""

    def __init__(self) -> None:
        self._kept: dict[str, list[int]] = {}
        self._seen: dict[str, set[int]] = {}

    def check(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """None if acceptable, else the venue's `Invalid nonce: ...` message."""
        if nonce <= now_ms - _BEHIND_MS:
            return f"Invalid nonce: nonce {nonce} is too far in the past (more than 2 days before {now_ms})."
        if nonce >= now_ms + _AHEAD_MS:
            return f"Invalid nonce: nonce {nonce} is too far in the future (more than 1 day after {now_ms})."
        if nonce in self._seen.get(signer, ()):
            return f"Invalid nonce: duplicate nonce {nonce}."
        kept = self._kept.get(signer)
        if kept and len(kept) >= KEEP and nonce <= kept[0]:
            return f"Invalid nonce: nonce {nonce} is smaller than the lowest of the last {KEEP} ({kept[0]})."
        return None

    def commit(self, signer: str, nonce: int) -> None:
        kept = self._kept.setdefault(signer, [])
        seen = self._seen.setdefault(signer, set())
        heapq.heappush(kept, nonce)
        seen.add(nonce)
        while len(kept) > KEEP:
            seen.discard(heapq.heappop(kept))

    def use(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """Check and, if acceptable, record; returns the error message or None."""
        err = self.check(signer, nonce, now_ms)
        if err is None:
            self.commit(signer, nonce)
        return err

    def clear(self) -> None:
        self._kept.clear()
        self._seen.clear()
