"""The venue's IP rate limit: a weight budget per IP per minute, refilled continuously."""

from __future__ import annotations

import time

__all__ = ["IpRateLimiter"]


class IpRateLimiter:
    """Token bucket per IP: `weight_per_min` capacity (0 = unlimited), refilled at that rate per minute."""

    def __init__(self, weight_per_min: int) -> None:
        self.weight_per_min = weight_per_min
        self._buckets: dict[str, tuple[float, float]] = {}
        self.rejected = 0
        self.spent = 0                  # weight taken so far (also while unlimited): `/sim stats` "weight"

    def allow(self, ip: str, weight: int) -> bool:
        """Spend `weight` for `ip`; False (and nothing spent) when the budget is exhausted."""
        cap = self.weight_per_min
        if cap <= 0:
            self.spent += weight
            return True
        now = time.monotonic()
        tokens, last = self._buckets.get(ip, (float(cap), now))
        tokens = min(float(cap), tokens + (now - last) * cap / 60.0)
        if tokens < weight:
            self._buckets[ip] = (tokens, now)
            self.rejected += 1
            return False
        self._buckets[ip] = (tokens - weight, now)
        self.spent += weight
        return True

    def charge(self, ip: str, weight: int) -> None:
        """Spend extra weight after the fact (per-item surcharges); may go negative."""
        if weight > 0:
            self.spent += weight
        if self.weight_per_min <= 0 or weight <= 0:
            return
        tokens, last = self._buckets.get(ip, (float(self.weight_per_min), time.monotonic()))
        self._buckets[ip] = (tokens - weight, last)

    def set_limit(self, weight_per_min: int) -> None:
        self.weight_per_min = weight_per_min
        self._buckets.clear()

    def reset(self) -> None:
        self._buckets.clear()
        self.rejected = 0
        self.spent = 0
