"""Bench history in SQLite: rows are charted per kind of run, and a >20% slower row raises an alert."""

from __future__ import annotations

import json

import pytest

from perps_desktop.bench import RowResult, SideStats
from perps_desktop.bench.compare import compare_rows, load_saved, regression_alert, worse_by
from perps_desktop.bench.history import BenchHistory
from perps_desktop.core.models import Severity


def _row(name: str, after: float, before: float | None = None, **kw) -> RowResult:
    def s(v: float | None) -> SideStats | None:
        return None if v is None else SideStats(median=v, p95=v * 1.1, n=5)
    return RowResult(name=name, before=s(before), after=s(after), **kw)


def test_series_keeps_quick_and_full_runs_apart_and_skips_failed_rows(tmp_path):
    with BenchHistory(tmp_path / "h.sqlite3") as h:
        r1 = h.start_run(quick=True, machine={"cpu": "x"})
        h.record(r1, _row("a", 2.0, 10.0))
        r2 = h.start_run(quick=False, machine={"cpu": "x"})
        h.record(r2, _row("a", 1.0, 9.0))
        r3 = h.start_run(quick=True, machine={"cpu": "x"})
        h.record(r3, _row("a", 3.0, 10.0))
        h.record(r3, RowResult(name="b", error="boom"))
        quick = h.series("a", quick=True)
        assert [(p["run"], p["after"], p["before"]) for p in quick] == [(r1, 2.0, 10.0), (r3, 3.0, 10.0)]
        assert quick[0]["ratio"] == 5.0
        assert [p["after"] for p in h.series("a", quick=False)] == [1.0]
        assert h.last("a", quick=True, before_run=r3)["after"] == 2.0
        assert h.last("a", quick=True)["after"] == 3.0
        assert h.series("b", quick=True) == [] and h.last("nope", quick=True) is None
        assert len(h.series("a", quick=True, limit=1)) == 1
    h.close()   # idempotent
    with BenchHistory(tmp_path / "h.sqlite3") as again:   # kept on disk
        assert len(again.series("a", quick=True)) == 2


def test_a_row_more_than_20_percent_slower_than_the_last_run_raises_an_alert():
    last = {"after": 1.0}
    assert regression_alert(_row("a", 1.19), last) is None
    alert = regression_alert(_row("a", 1.5, unit="ms"), last)
    assert alert is not None and alert.severity is Severity.WARNING and alert.source == "bench"
    assert alert.key == "bench.regression.a" and "50%" in alert.message
    assert regression_alert(_row("a", 5.0), None) is None                    # nothing to compare with
    # throughput: lower is worse
    assert regression_alert(_row("t", 70.0, higher_is_better=True), {"after": 100.0}) is not None
    assert regression_alert(_row("t", 130.0, higher_is_better=True), {"after": 100.0}) is None
    assert worse_by(1.0, 0.0) is None


def test_compare_flags_rows_slower_than_a_saved_run(tmp_path):
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"machine": {}, "rows": [
        {"name": "a", "after_ms": {"median": 1.0, "p95": 1.0}},
        {"name": "b", "after_ms": {"median": 1.0, "p95": 1.0}},
        {"name": "c", "after_ms": None}]}))
    rows = load_saved(saved)
    out = compare_rows([_row("a", 1.1), _row("b", 1.3), _row("c", 1.0), _row("d", 9.0)], rows)
    assert out["a"] == {"saved_after_median": 1.0, "change_pct": 10.0, "regressed": False}
    assert out["b"]["regressed"] is True and out["b"]["change_pct"] == 30.0
    assert "c" not in out and "d" not in out


def test_a_file_that_is_not_a_saved_run_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="not a saved"):
        load_saved(bad)
    with pytest.raises(ValueError):
        load_saved(tmp_path / "missing.json")
