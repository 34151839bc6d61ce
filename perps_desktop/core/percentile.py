"""percentile: the one estimator behind every p50/p95/p99 the project shows (bench, monitor, health, UI).

Linear interpolation between the closest ranks (numpy's default, R's type 7,
`statistics.quantiles(method="inclusive")`): the median of an even count is the mean of the two
middle values, as `statistics.median` gives, so a bench row's median and the monitor's p50 agree
for the same samples. It replaced a nearest-rank version in the monitor, which read the lower
middle value for even counts and jumped from sample to sample on small windows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Percentile `q` (0..100) of values already sorted ascending; 0.0 when there are none."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    pos = (n - 1) * min(100.0, max(0.0, q)) / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    low = float(sorted_values[lo])
    return low + (float(sorted_values[hi]) - low) * (pos - lo)
