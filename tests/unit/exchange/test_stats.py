"""Per-endpoint round-trip histograms: le buckets, cumulative snapshot, failures counted apart."""

from __future__ import annotations

import math

from perps_desktop.exchange import LATENCY_BUCKETS_S, LatencySnapshot
from perps_desktop.exchange.stats import ClientCounters, LatencyHistogram


def test_a_sample_lands_in_the_first_bucket_it_does_not_exceed():
    h = LatencyHistogram()
    h.observe(0.005)                # on a bound: counted under it (le)
    h.observe(0.0051)
    h.observe(0.3)
    h.observe(60.0)                 # past the last bound: only +Inf
    snap = h.snapshot()
    buckets = dict(snap.buckets)
    assert buckets[0.005] == 1 and buckets[0.01] == 2 and buckets[0.25] == 2 and buckets[0.5] == 3
    assert buckets[10.0] == 3 and buckets[math.inf] == 4 == snap.count
    assert [b for b, _ in snap.buckets] == [*LATENCY_BUCKETS_S, math.inf]
    assert snap.sum_s == 0.005 + 0.0051 + 0.3 + 60.0 and snap.failed == 0


def test_counts_are_cumulative_and_never_fall():
    h = LatencyHistogram()
    for s in (0.2, 0.001, 3.0, 0.04, 0.04):
        h.observe(s)
    counts = [n for _, n in h.snapshot().buckets]
    assert counts == sorted(counts) and counts[-1] == 5


def test_counters_keep_one_histogram_per_label_and_count_failures():
    c = ClientCounters()
    c.observe("info:allMids", 0.002, True)
    c.observe("info:allMids", 0.004, False)
    c.observe("exchange:order", 0.02, True)
    assert set(c.latency) == {"info:allMids", "exchange:order"}
    mids = c.latency["info:allMids"].snapshot()
    assert isinstance(mids, LatencySnapshot)
    assert (mids.count, mids.failed) == (2, 1) and math.isclose(mids.sum_s, 0.006)
    assert c.latency["exchange:order"].snapshot().failed == 0
