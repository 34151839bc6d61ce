"""The runner turns samples into medians, ratios and verdicts, and one bad row never stops the suite."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from perps_desktop.bench import (
    BenchCase,
    BenchContext,
    CaseEntry,
    Measurement,
    RowResult,
    SideStats,
    discover,
    row_names,
    run_entry,
    run_suite,
    side_stats,
)
from perps_desktop.bench.runner import make_context
from perps_desktop.config import load_settings

ONE_SIDED = {"ui_loop_lag", "sim_throughput", "memory_bounded", "manual_close_under_load", "timeline_10k",
             "attach_5_cores"}
# rows judged against a floor measured in the same run, and rows measured against peers (issue #20)
FLOORED = {"trace_insert_100", "trace_read_100", "risk_signal_1000", "portfolio_risk_1000", "order_sign",
           "trace_insert_100_pg"}
PEERED = {"api_calls_10": {"hyperliquid-python-sdk", "ccxt"}, "order_sign": {"hyperliquid-python-sdk"},
          "trace_insert_100_pg": {"asyncpg"}}
# rows cheap enough for a subprocess run of the CLI in a unit test; memory_bounded is always there
CHEAP = ("risk_signal_1000", "portfolio_risk_1000", "order_sign", "breaker_health_50")


def _case(name: str, run, **kw) -> CaseEntry:
    return CaseEntry(name=name, case=BenchCase(name=name, title=name.title(), run=run, **kw))


def test_side_stats_give_median_and_interpolated_p95():
    s = side_stats([5.0, 1.0, 3.0, 2.0, 4.0])
    assert s == SideStats(median=3.0, p95=4.8, n=5)
    assert side_stats([]) is None and side_stats(None) is None
    assert side_stats([7.0]) == SideStats(median=7.0, p95=7.0, n=1)


def _row(before: float | None, after: float | None, **kw) -> RowResult:
    b = SideStats(median=before, p95=before, n=1) if before is not None else None
    a = SideStats(median=after, p95=after, n=1) if after is not None else None
    return RowResult(name="r", before=b, after=a, **kw)


def test_ratio_is_before_over_after_and_verdicts_follow_the_targets():
    assert _row(10.0, 2.0).ratio == 5.0
    assert _row(None, 2.0).ratio is None
    assert _row(10.0, 2.0).passed is None                          # no target: no verdict
    assert _row(10.0, 2.0, target_after=2.5, target_ratio=4).passed is True
    assert _row(10.0, 2.0, target_after=1.5).passed is False
    assert _row(10.0, 2.0, target_ratio=6).passed is False
    assert _row(None, 2.0, target_ratio=2).passed is False         # a ratio target needs both sides
    # throughput rows: the target is a floor and the ratio is read the other way round
    assert _row(100.0, 400.0, target_after=300, target_ratio=3, higher_is_better=True).passed is True
    assert _row(100.0, 200.0, target_after=300, higher_is_better=True).passed is False
    assert _row(10.0, 2.0, error="boom").passed is False
    assert _row(10.0, 2.0, target_after=1.5, smoke=True).passed is None   # smoke numbers mean nothing


def test_floor_and_peer_targets_join_the_verdict():
    floor = SideStats(median=1.0, p95=1.2, n=3)
    near = _row(10.0, 1.5, floor=floor, target_floor_ratio=1.6)
    assert near.floor_ratio == 1.5 and near.passed is True
    far = _row(10.0, 1.7, floor=floor, target_floor_ratio=1.6)
    assert far.floor_ratio == 1.7 and far.passed is False
    assert _row(10.0, 1.5, target_floor_ratio=1.6).passed is False        # a floor target needs a floor
    peers = {"sdk": SideStats(median=3.0, p95=3.0, n=3), "ccxt": SideStats(median=2.0, p95=2.5, n=3)}
    ahead = _row(10.0, 1.0, peers=peers)
    assert ahead.best_peer == "ccxt" and ahead.peer_margin == 2.0 and ahead.passed is True
    behind = _row(10.0, 2.5, peers=peers)
    assert behind.peer_margin == 0.8 and behind.passed is False
    fast_peer = {"other": SideStats(median=500.0, p95=500.0, n=1)}    # throughput: the higher peer is the best
    assert _row(None, 400.0, peers=fast_peer, higher_is_better=True).passed is False


def test_a_missing_peer_is_named_and_misses_the_peer_target(monkeypatch):
    monkeypatch.setitem(sys.modules, "hyperliquid.utils.signing", None)   # the SDK not installed
    (entry,) = discover(["order_sign"])
    row = run_entry(entry, quick=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.after is not None and row.floor is not None and row.peers == {}   # the row still ran
    doc = row.to_json()
    assert "pip install -e '.[dev]'" in doc["peers_missing"]["hyperliquid-python-sdk"]
    assert row.passed is False and "ahead of peers" in row.target_summary


def test_json_row_carries_floor_and_peers():
    row = _row(10.0, 1.5, floor=SideStats(median=1.0, p95=1.25, n=3), target_floor_ratio=1.6,
               peers={"sdk": SideStats(median=3.0, p95=4.0, n=3)}, peer_info={"sdk": {"weight_per_tick": 74}},
               plain="what it measures", floor_text="what the floor leaves out")
    doc = json.loads(json.dumps(row.to_json()))
    assert doc["floor_ms"] == {"median": 1.0, "p95": 1.25} and doc["floor_ratio"] == 1.5
    assert doc["peers"] == {"sdk": {"median": 3.0, "p95": 4.0, "weight_per_tick": 74}}
    assert doc["best_peer"] == "sdk" and doc["peer_margin"] == 2.0
    assert doc["target"]["floor_ratio"] == 1.6 and doc["passed"] is True
    assert doc["plain"] == "what it measures" and doc["floor_text"] == "what the floor leaves out"
    bare = _row(10.0, 2.0).to_json()
    assert bare["floor_ms"] is None and bare["peers"] == {} and bare["peer_margin"] is None


def test_json_row_has_the_design_shape():
    doc = _row(10.0, 2.0, report_before_ms=250.0, report_after_ms=35.0, unit="ms").to_json()
    assert doc["before_ms"] == {"median": 10.0, "p95": 10.0}
    assert doc["after_ms"] == {"median": 2.0, "p95": 2.0}
    assert doc["ratio"] == 5.0 and doc["report_before_ms"] == 250.0 and doc["report_after_ms"] == 35.0
    assert doc["unit"] == "ms" and doc["name"] == "r"
    assert _row(None, 2.0).to_json()["before_ms"] is None


def test_contexts_scale_with_quick_and_smoke(tmp_path):
    full = make_context(quick=False, smoke=False, settings=None, workdir=tmp_path)
    quick = make_context(quick=True, smoke=False, settings=None, workdir=tmp_path)
    smoke = make_context(quick=False, smoke=True, settings=None, workdir=tmp_path)
    assert full.repetitions > quick.repetitions > smoke.repetitions == 1
    assert (full.size(1000, 10), quick.size(1000, 10), smoke.size(1000, 10)) == (1000, 10, 10)


def test_a_failing_row_is_marked_failed_and_the_next_row_still_runs():
    async def boom(ctx: BenchContext) -> Measurement:
        raise RuntimeError("the component is not there")

    async def fine(ctx: BenchContext) -> Measurement:
        calls = []
        return await ctx.compare(lambda: calls.append(1), lambda: calls.append(0))

    seen: list[str] = []
    rows = run_suite([_case("bad", boom), CaseEntry(name="broken", error="import failed: X"), _case("good", fine)],
                     quick=True, on_row=lambda r: seen.append(r.name))
    assert seen == ["bad", "broken", "good"]
    bad, broken, good = rows
    assert bad.error == "RuntimeError: the component is not there" and bad.passed is False
    assert broken.error == "import failed: X"
    assert good.error is None and good.before is not None and good.after is not None and good.after.n == 5


def test_a_hanging_row_times_out_alone():
    async def hang(ctx: BenchContext) -> Measurement:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")

    row = run_entry(_case("hang", hang, timeout_s=0.2), quick=True)
    assert row.error is not None and row.error.startswith("TimeoutError")


def test_each_row_gets_its_own_loop_and_workdir():
    seen: list[tuple[int, Path]] = []

    async def where(ctx: BenchContext) -> Measurement:
        seen.append((id(asyncio.get_running_loop()), ctx.workdir))
        assert ctx.workdir.is_dir()
        return Measurement(after=[1.0])

    run_suite([_case("a", where), _case("b", where)])
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
    assert not seen[0][1].exists()   # cleaned up after the row


def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perps_desktop", "bench", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=240, check=False)


def test_bench_quick_json_has_the_design_shape_and_both_sides(tmp_path):
    names = [n for n in row_names() if n in CHEAP] or ["memory_bounded"]
    saved = tmp_path / "saved.json"   # a "saved run" 1000x faster than anything: every row regresses
    saved.write_text(json.dumps({"machine": {}, "rows": [{"name": n, "after_ms": {"median": 1e-9, "p95": 1e-9}}
                                                         for n in names]}))
    out = tmp_path / "out.json"
    only = [a for n in names for a in ("--only", n)]
    proc = _bench("--quick", "--json", str(out), "--jsonl", "--compare", str(saved), *only, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr   # 1: the compare found regressions
    doc = json.loads(out.read_text())
    assert set(doc["machine"]) >= {"cpu", "cores", "python", "os"}
    assert [r["name"] for r in doc["rows"]] == names
    for r in doc["rows"]:
        assert r["error"] is None, r
        assert {"name", "before_ms", "after_ms", "ratio", "report_before_ms", "report_after_ms", "unit"} <= set(r)
        assert set(r["after_ms"]) == {"median", "p95"} and r["after_ms"]["median"] > 0
        if r["name"] in ONE_SIDED:
            assert r["before_ms"] is None and r["ratio"] is None
        else:
            assert set(r["before_ms"]) == {"median", "p95"} and r["ratio"] > 0
        assert r["compare"]["regressed"] is True
        if r["name"] in FLOORED:
            assert set(r["floor_ms"]) == {"median", "p95"} and r["floor_ms"]["median"] > 0
            assert r["floor_ratio"] == r["after_ms"]["median"] / r["floor_ms"]["median"] and r["floor_text"]
            assert r["target"]["floor_ratio"] == 1.6
        else:
            assert r["floor_ms"] is None
        assert set(r["peers"]) == PEERED.get(r["name"], set())
        for peer in r["peers"].values():
            assert peer["median"] > 0 and peer["p95"] >= peer["median"]
    assert doc["compare"]["regressed"] == sorted(names)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    events = [m for m in lines if m["event"] != "sample"]
    assert [m["event"] for m in events] == ["start", *["row"] * len(names), "done"]
    assert lines[0]["rows"] == names
    assert all(len(m["history"]) == 1 for m in events[1:-1])   # this run, read back from the history
    # every timed sample streams as it is taken, before its row's result
    for row in events[1:-1]:
        samples = [m for m in lines[:lines.index(row)] if m["event"] == "sample" and m["name"] == row["name"]]
        sides = {"after", "before"} - ({"before"} if row["name"] in ONE_SIDED else set())
        sides |= ({"floor"} if row["name"] in FLOORED else set()) | PEERED.get(row["name"], set())
        assert {m["side"] for m in samples} == sides
        assert len([m for m in samples if m["side"] == "after"]) == row["samples"]


def test_bench_prints_the_table_and_refuses_unknown_rows(tmp_path, fresh_dirs):
    proc = _bench("--only", "no_such_row", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown row" in proc.stderr and "memory_bounded" in proc.stderr
    proc = _bench("--smoke", "--only", "memory_bounded", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header, rule, line = proc.stdout.splitlines()[1:4]
    assert header.split()[:4] == ["row", "before", "after", "ratio"] and set(rule) == {"-"}
    assert line.startswith("memory_bounded") and line.split()[-1] == "-"   # smoke: no verdict
    assert "1 row(s) in" in proc.stdout
    assert not (fresh_dirs / "bench_history.sqlite3").exists()   # smoke runs are not history


@pytest.mark.parametrize("name", row_names())
def test_every_row_runs_once_with_a_tiny_n(name):
    """The house rule: a smoke test runs every case once, so benchmark code cannot rot."""
    (entry,) = discover([name])
    row = run_entry(entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.after is not None and row.after.median >= 0
    assert (row.before is None) == (name in ONE_SIDED), name
    assert (row.floor is not None) == (name in FLOORED), name
    assert set(row.peers) == PEERED.get(name, set()), name
    if name == "api_calls_10":   # the request weight each side spent, counted by the simulator
        assert row.extra["weight_per_tick_after"] < row.extra["weight_per_tick_before"]
        assert all(row.peer_info[p]["weight_per_tick"] > row.extra["weight_per_tick_after"] for p in row.peers)


def test_a_row_that_needs_qt_runs_in_a_child_process_on_a_qt_loop():
    (entry,) = discover(["memory_bounded"])
    assert entry.case is not None
    qt_entry = CaseEntry(name=entry.name, case=dataclasses.replace(entry.case, needs_qt=True))
    row = run_entry(qt_entry, smoke=True, settings=load_settings())
    assert row.error is None, row.error
    assert row.after is not None and row.extra["events_per_repetition"] > 0   # the child's Measurement came back


async def test_compare_settles_each_side_untimed_before_every_call():
    events: list[str] = []

    async def settle(side: str) -> None:
        events.append(f"settle-{side}")

    ctx = BenchContext(repetitions=2, warmup=1)
    m = await ctx.compare(after=lambda: events.append("after"), before=lambda: events.append("before"),
                          settle=settle)
    assert events == ["settle-before", "before", "settle-after", "after"] * 3
    assert len(m.after) == 2 and m.before is not None and len(m.before) == 2


async def test_compare_interleaves_the_floor_and_the_peers_and_streams_scaled_samples():
    events: list[str] = []
    streamed: list[tuple[str, float]] = []
    ctx = BenchContext(repetitions=2, warmup=1, on_sample=lambda side, value: streamed.append((side, value)))
    m = await ctx.compare(after=lambda: events.append("after"), before=lambda: events.append("before"),
                          floor=lambda: events.append("floor"), peers={"p": lambda: events.append("p")},
                          scale=1000.0)
    assert events == ["before", "after", "floor", "p"] * 3
    assert m.floor is not None and len(m.floor) == 2 and len(m.peers["p"]) == 2
    assert [side for side, _ in streamed] == ["before", "after", "floor", "p"] * 2   # timed samples only
    assert [v for side, v in streamed if side == "after"] == m.after            # in the row's unit (scaled)
    await ctx.compare(after=lambda: None, live=False)
    assert len(streamed) == 8
