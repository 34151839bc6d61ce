"""Runs benchmark rows one by one and turns their samples into medians, p95s, ratios and verdicts.

Each row runs on its own fresh asyncio loop in this process, in a fresh temporary working
directory; a row that needs Qt (`needs_qt=True`) runs in a child process (`bench/isolated.py`)
that owns a QApplication and a qasync loop. An error or timeout fails that row only.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.registry import CaseEntry
from perps_desktop.core.percentile import percentile

__all__ = ["RESULT_MARKER", "RowResult", "SideStats", "make_context", "run_entry", "run_suite", "side_stats"]

RESULT_MARKER = "BENCH-RESULT "   # the line a child process prints its Measurement on
_CHILD_STARTUP_S = 60.0           # a child's import and QApplication start, on top of the row's timeout


@dataclass(frozen=True, slots=True, kw_only=True)
class SideStats:
    median: float
    p95: float
    n: int

    def to_json(self) -> dict[str, float]:
        return {"median": self.median, "p95": self.p95}


@dataclass(frozen=True, slots=True, kw_only=True)
class RowResult:
    """One row's outcome: what the JSON, the table, the history and the window show."""

    name: str
    title: str = ""
    unit: str = "ms"
    before: SideStats | None = None
    after: SideStats | None = None
    report_before_ms: float | None = None
    report_after_ms: float | None = None
    target_after: float | None = None
    target_ratio: float | None = None
    target_text: str = ""
    target_floor_ratio: float | None = None
    plain: str = ""
    floor_text: str = ""
    floor: SideStats | None = None
    peers: dict[str, SideStats] = field(default_factory=dict)
    peers_expected: tuple[str, ...] = ()     # the peers the row must be ahead of (a missing one is a miss)
    peer_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    higher_is_better: bool = False
    error: str | None = None
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    smoke: bool = False                      # a tiny-N check run: no verdict

    @property
    def ratio(self) -> float | None:
        """before/after medians (DESIGN.md), None without both sides."""
        if self.before is None or self.after is None or self.after.median <= 0:
            return None
        return self.before.median / self.after.median

    @property
    def floor_ratio(self) -> float | None:
        """after/floor medians: how many times the least possible work the row's after side costs."""
        if self.floor is None or self.after is None or self.floor.median <= 0:
            return None
        return self.after.median / self.floor.median

    @property
    def best_peer(self) -> str | None:
        """The fastest peer by median (the highest, for a throughput row), or None without peers."""
        if not self.peers:
            return None
        pick = max if self.higher_is_better else min
        return pick(self.peers, key=lambda name: self.peers[name].median)

    @property
    def peer_margin(self) -> float | None:
        """How many times better the after median is than the best peer's (> 1: ahead)."""
        best = self.best_peer
        if best is None or self.after is None or self.after.median <= 0 or self.peers[best].median <= 0:
            return None
        peer, ours = self.peers[best].median, self.after.median
        return ours / peer if self.higher_is_better else peer / ours

    @property
    def report_ratio(self) -> float | None:
        if not self.report_before_ms or not self.report_after_ms:
            return None
        return self.report_before_ms / self.report_after_ms

    @property
    def target_summary(self) -> str:
        """The numeric targets, compactly (`<= 2 ms, >= 7x`); the row's prose when it has none."""
        parts = []
        if self.target_after is not None:
            parts.append(f"{'>=' if self.higher_is_better else '<='} {self.target_after:g} {self.unit}")
        if self.target_ratio is not None:
            parts.append(f">= {self.target_ratio:g}x")
        if self.target_floor_ratio is not None:
            parts.append(f"<= {self.target_floor_ratio:g}x floor")
        if self.peers or self.peers_expected:
            parts.append("ahead of peers")
        return ", ".join(parts) or self.target_text or "-"

    @property
    def passed(self) -> bool | None:
        """Against the row's own targets; None when it has none (or in a smoke run); False when it failed."""
        if self.error is not None or self.after is None:
            return False
        if self.smoke or (self.target_after is None and self.target_ratio is None
                          and self.target_floor_ratio is None and not self.peers and not self.peers_expected):
            return None
        ok = True
        if self.target_after is not None:
            ok &= (self.after.median >= self.target_after) if self.higher_is_better \
                else (self.after.median <= self.target_after)
        if self.target_ratio is not None:
            ratio = self.ratio
            if ratio is not None and self.higher_is_better:
                ratio = 1.0 / ratio if ratio > 0 else None
            ok &= ratio is not None and ratio >= self.target_ratio
        if self.target_floor_ratio is not None:
            floor_ratio = self.floor_ratio
            ok &= floor_ratio is not None and floor_ratio <= self.target_floor_ratio
        if self.peers or self.peers_expected:
            margin = self.peer_margin
            ok &= margin is not None and margin > 1.0 and set(self.peers_expected) <= set(self.peers)
        return ok

    def peers_json(self) -> dict[str, dict[str, Any]]:
        """{peer: {"median", "p95", ...what else the row says of it}}."""
        return {name: {**stats.to_json(), **self.peer_info.get(name, {})} for name, stats in self.peers.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "before_ms": self.before.to_json() if self.before else None,
            "after_ms": self.after.to_json() if self.after else None,
            "ratio": self.ratio,
            "report_before_ms": self.report_before_ms,
            "report_after_ms": self.report_after_ms,
            "report_ratio": self.report_ratio,
            "unit": self.unit,
            "floor_ms": self.floor.to_json() if self.floor else None,
            "floor_ratio": self.floor_ratio,
            "floor_text": self.floor_text,
            "peers": self.peers_json(),
            "peers_missing": {name: str(self.peer_info.get(name, {}).get("missing") or "not measured")
                              for name in self.peers_expected if name not in self.peers},
            "best_peer": self.best_peer,
            "peer_margin": self.peer_margin,
            "plain": self.plain,
            "target": {"after": self.target_after, "ratio": self.target_ratio, "floor_ratio": self.target_floor_ratio,
                       "text": self.target_text, "summary": self.target_summary,
                       "higher_is_better": self.higher_is_better},
            "passed": self.passed,
            "error": self.error,
            "samples": self.after.n if self.after else 0,
            "elapsed_s": round(self.elapsed_s, 3),
            "extra": self.extra,
        }


def side_stats(samples: Iterable[float] | None) -> SideStats | None:
    """Median and p95 (`core.percentile`: linear interpolation between closest ranks) of one side's samples."""
    xs = sorted(float(x) for x in samples or ())
    if not xs:
        return None
    return SideStats(median=percentile(xs, 50), p95=percentile(xs, 95), n=len(xs))


def make_context(*, quick: bool, smoke: bool, settings: Any, workdir: Path,
                 on_sample: Callable[[str, float], None] | None = None) -> BenchContext:
    if smoke:
        return BenchContext(quick=True, smoke=True, repetitions=1, warmup=0, workdir=workdir, settings=settings,
                            on_sample=on_sample)
    if quick:
        return BenchContext(quick=True, repetitions=5, warmup=1, workdir=workdir, settings=settings,
                            on_sample=on_sample)
    return BenchContext(quick=False, repetitions=9, warmup=2, workdir=workdir, settings=settings, on_sample=on_sample)


def _result(case: BenchCase, m: Measurement | None, error: str | None, elapsed: float, smoke: bool) -> RowResult:
    after = side_stats(m.after) if m is not None else None
    if m is not None and error is None and after is None:
        error = "the row returned no samples"
    peers = {name: stats for name, samples in (m.peers if m is not None else {}).items()
             if (stats := side_stats(samples)) is not None}
    return RowResult(
        name=case.name, title=case.title, unit=case.unit,
        before=side_stats(m.before) if m is not None else None, after=after,
        floor=side_stats(m.floor) if m is not None else None, peers=peers,
        peer_info=_jsonable(m.peer_info) if m is not None else {},
        target_floor_ratio=case.target_floor_ratio, plain=case.plain, floor_text=case.floor_text,
        peers_expected=case.peers,
        report_before_ms=case.report_before_ms, report_after_ms=case.report_after_ms,
        target_after=case.target_after, target_ratio=case.target_ratio, target_text=case.target_text,
        higher_is_better=case.higher_is_better, error=error, elapsed_s=elapsed,
        extra=_jsonable(m.extra) if m is not None else {}, smoke=smoke,
    )


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(extra, default=str))
    return result


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


async def _run_bounded(case: BenchCase, ctx: BenchContext) -> Measurement:
    return await asyncio.wait_for(case.run(ctx), timeout=case.timeout_s)


def _in_process(case: BenchCase, ctx: BenchContext) -> Measurement:
    gc.collect()
    return asyncio.run(_run_bounded(case, ctx))


def _in_child(case: BenchCase, *, quick: bool, smoke: bool, workdir: Path) -> Measurement:
    cmd = [sys.executable, "-m", "perps_desktop.bench.isolated", case.name, "--workdir", str(workdir)]
    if quick:
        cmd.append("--quick")
    if smoke:
        cmd.append("--smoke")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=case.timeout_s + _CHILD_STARTUP_S,
                              check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"child process ran past {case.timeout_s + _CHILD_STARTUP_S:.0f}s") from None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            payload = json.loads(line[len(RESULT_MARKER):])
            if payload.get("error"):
                raise RuntimeError(payload["error"])
            return Measurement(after=payload["after"], before=payload.get("before"), floor=payload.get("floor"),
                               peers=payload.get("peers") or {}, peer_info=payload.get("peer_info") or {},
                               extra=payload.get("extra") or {})
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"child process exited {proc.returncode} without a result: {tail}")


def run_entry(entry: CaseEntry, *, quick: bool = False, smoke: bool = False, settings: Any = None,
              on_sample: Callable[[str, float], None] | None = None) -> RowResult:
    """Run one row to a RowResult; never raises for the row's own failures.

    `on_sample(side, value)` sees each timed sample as it is taken; a row that takes its samples
    its own way (not through `ctx.compare`), or in a child process, sends them when it is done."""
    case = entry.case
    if case is None:
        return RowResult(name=entry.name, error=entry.error or "not loaded")
    streamed = 0

    def count(side: str, value: float) -> None:
        nonlocal streamed
        streamed += 1
        if on_sample is not None:
            on_sample(side, value)

    t0 = time.perf_counter()
    m: Measurement | None = None
    error: str | None = None
    with tempfile.TemporaryDirectory(prefix=f"bench-{case.name}-") as tmp:
        workdir = Path(tmp)
        try:
            if case.needs_qt:
                m = _in_child(case, quick=quick, smoke=smoke, workdir=workdir)
            else:
                ctx = make_context(quick=quick, smoke=smoke, settings=settings, workdir=workdir, on_sample=count)
                m = _in_process(case, ctx)
        except TimeoutError as exc:
            error = _describe(exc) if str(exc) else f"TimeoutError: ran past {case.timeout_s:.0f}s"
        except Exception as exc:
            error = _describe(exc)
    if on_sample is not None and m is not None and not streamed:
        sides = {"before": m.before or [], "after": m.after, "floor": m.floor or [], **m.peers}
        for side, samples in sides.items():
            for value in samples:
                on_sample(side, float(value))
    return _result(case, m, error, time.perf_counter() - t0, smoke)


def run_suite(entries: Iterable[CaseEntry], *, quick: bool = False, smoke: bool = False, settings: Any = None,
              on_row: Callable[[RowResult], None] | None = None,
              on_sample: Callable[[str, str, float], None] | None = None) -> list[RowResult]:
    """Run every entry in order; `on_row` sees each result as soon as it is ready, and
    `on_sample(row, side, value)` each timed sample as it is taken."""
    results: list[RowResult] = []
    for entry in entries:
        per_row = None if on_sample is None else (lambda side, value, name=entry.name: on_sample(name, side, value))
        result = run_entry(entry, quick=quick, smoke=smoke, settings=settings, on_sample=per_row)
        results.append(result)
        if on_row is not None:
            on_row(result)
    return results
