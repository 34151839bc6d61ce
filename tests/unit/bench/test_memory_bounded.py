"""memory_bounded sees flat memory for bounded histories and growth for an unbounded one."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def _run(**overrides):
    (entry,) = discover(["memory_bounded"])
    return run_entry(entry, smoke=True, settings=load_settings(**overrides))


def test_bounded_structures_stay_at_their_bounds():
    row = _run()   # a smoke-sized run: too few events for a verdict, enough to fill every bound
    assert row.error is None and row.after is not None
    pieces = row.extra["pieces"]
    assert {"alert_history", "ttl_cache"} <= set(pieces)
    assert all(p["len"] <= p["bound"] for p in pieces.values()), pieces
    assert pieces["alert_history"]["len"] == 100 and pieces["ttl_cache"]["len"] == 1000


def test_an_alert_history_bounded_too_loosely_shows_as_growth():
    row = _run(alert_history_size=100_000)
    assert row.error is None
    assert row.after is not None and row.after.median > 1024   # KiB per 100k events
    assert row.extra["pieces"]["alert_history"]["growth_kib"][0] > 200    # 2,000 alerts kept, ~230 B each
    assert row.extra["pieces"]["alert_history"]["len"] > 100
