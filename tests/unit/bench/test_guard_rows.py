"""The guards' benchmark rows run (smoke-sized) and measure what they say they measure."""

from __future__ import annotations

from perps_desktop.bench import discover, run_entry
from perps_desktop.config import load_settings


def _smoke(name: str):
    (entry,) = discover([name])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.before is not None and row.after is not None
    return row


def test_risk_signal_row_serves_repeats_from_the_cache() -> None:
    row = _smoke("risk_signal_1000")
    assert row.extra["signals"] == 50 and row.extra["positions"] == 10
    assert row.extra["signal_cache"]["misses"] == 10          # one per distinct signal; the rest hit


def test_portfolio_risk_row_hits_by_version() -> None:
    row = _smoke("portfolio_risk_1000")
    assert row.extra["cache"]["misses"] == 1 and row.extra["cache"]["hits"] > 0


def test_breaker_health_row_probes_the_simulator() -> None:
    row = _smoke("breaker_health_50")
    assert row.extra["probes"] == 5
    assert row.extra["after_probe_latency_ms_median"] >= 30   # the injected latency is really there
    assert row.extra["requests_served"] >= 10                 # both sides, every probe a real request
