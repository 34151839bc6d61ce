"""The one backoff function: base * 2^attempt with +-jitter, capped."""

from __future__ import annotations

import random

__all__ = ["backoff_s"]


def backoff_s(attempt: int, *, base_s: float, cap_s: float, jitter: float = 0.2,
              rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    The un-jittered delay is min(cap, base * 2**attempt); jitter spreads it by +-`jitter`
    (a fraction) and the result never exceeds `cap_s * (1 + jitter)` nor falls below
    `base_s * (1 - jitter)`, so many clients that failed together do not retry together.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    delay = min(cap_s, base_s * (2.0 ** min(attempt, 62)))
    r = (rng or random).uniform(-jitter, jitter)
    return max(0.0, delay * (1.0 + r))
