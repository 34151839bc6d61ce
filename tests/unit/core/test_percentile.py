"""percentile: linear interpolation between closest ranks, the same figure as the standard library's."""

from __future__ import annotations

import random
import statistics

import pytest

from perps_desktop.core.percentile import percentile


def test_the_ends_the_middle_and_nothing() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 50.5                 # between the two middle values
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) == 0.0
    assert percentile([7.0], 99) == 7.0


def test_it_agrees_with_statistics_median_and_inclusive_quantiles() -> None:
    rng = random.Random(7)
    for n in (2, 3, 4, 5, 10, 101):
        xs = sorted(rng.uniform(0, 100) for _ in range(n))
        assert percentile(xs, 50) == pytest.approx(statistics.median(xs))
        cuts = statistics.quantiles(xs, n=100, method="inclusive")     # p1 .. p99
        assert [percentile(xs, q) for q in (5, 50, 95, 99)] == pytest.approx([cuts[4], cuts[49], cuts[94], cuts[98]])
