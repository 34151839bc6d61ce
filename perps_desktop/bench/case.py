"""What a benchmark row is: a named case that measures its before and after sides in one run.

Each row lives in `bench/cases/<name>.py` and exposes `CASE = BenchCase(...)`. Its `run(ctx)`
builds the component twice from the same code — once with the optimisation switched off by
settings (batch 1, TTL 0, no coalescing, parallelism 1), once as built — and hands both
callables to `ctx.compare`, which warms up, interleaves and repeats them. A row may hand it two
more kinds of side, timed in the same interleaved rounds: a `floor` (the least work that gives
the same result on this machine: what the row's after side is judged against) and `peers` (what
a user would pick instead, by name).

The runner (`bench/runner.py`) runs each row on its own fresh asyncio loop in the bench process;
a row with `needs_qt=True` runs instead in a child process that owns a QApplication and a qasync
loop (so `run(ctx)` is awaited on the Qt loop). `ctx.settings` is the validated `Settings`: build
the "before" side with `ctx.settings.replace(name=value, ...)` (flat names, validated again).
`ctx.size(full, quick)` picks N.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BenchCase", "BenchContext", "Measurement"]

Side = Callable[[], Any] | Callable[[], Awaitable[Any]]
Settle = Callable[[str], Any] | Callable[[str], Awaitable[Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """Samples in ms (or `unit`) per repetition; `before` is None for rows with one side.

    `floor` holds the floor's samples (None for a row without one), `peers` each peer's, and
    `peer_info` what else is said of a peer in the JSON (e.g. the request weight it spent).
    """

    after: list[float]
    before: list[float] | None = None
    floor: list[float] | None = None
    peers: dict[str, list[float]] = field(default_factory=dict)
    peer_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchCase:
    name: str                                   # e.g. "trace_insert_100" (DESIGN.md names)
    title: str                                  # e.g. "TraceStore Batch Insert (100)"
    run: Callable[[BenchContext], Awaitable[Measurement]]
    unit: str = "ms"
    report_before_ms: float | None = None
    report_after_ms: float | None = None
    target_after: float | None = None           # after median must be <= this
    target_ratio: float | None = None           # before/after medians must be >= this
    target_text: str = ""
    target_floor_ratio: float | None = None     # after/floor medians must be <= this
    plain: str = ""                             # what the row measures, in plain words (the window's line)
    floor_text: str = ""                        # what the floor leaves out
    peers: tuple[str, ...] = ()                 # the peers it is measured against (dev dependencies)
    needs_qt: bool = False                      # run in a child process on a QApplication + qasync loop
    higher_is_better: bool = False              # e.g. a throughput row: target_after is then a floor
    timeout_s: float = 180.0                    # the row is failed (not the suite) past this


@dataclass(slots=True, kw_only=True)
class BenchContext:
    quick: bool = False
    repetitions: int = 9
    warmup: int = 2
    workdir: Path = field(default_factory=Path.cwd)
    settings: Any = None                        # perps_desktop.config.Settings (None in bare unit tests)
    smoke: bool = False                         # the smoke test: one repetition, smallest N
    on_sample: Callable[[str, float], None] | None = None   # (side, value) as each sample is taken

    def size(self, full: int, quick: int) -> int:
        """N for this run: `quick` under --quick (and in the smoke test), else `full`."""
        return quick if (self.quick or self.smoke) else full

    async def compare(self, after: Side, before: Side | None = None, *, floor: Side | None = None,
                      peers: dict[str, Side] | None = None, repetitions: int | None = None,
                      warmup: int | None = None, settle: Settle | None = None, scale: float = 1.0,
                      live: bool = True) -> Measurement:
        """Time every side, interleaved (before, after, floor, peers..., before, ...), after warm-up.

        Samples are ms times `scale` (a row reporting per item passes 1/items, and µs rows 1000/items);
        they stream to `on_sample` as taken unless `live` is False (a row's side measurements).
        `settle(side)` ("before" / "after" / "floor" / a peer's name) runs untimed before every call
        of that side: what one side leaves behind (a store's background work, garbage to collect, a
        cache to empty) is dealt with there, so the next sample, of whichever side, does not pay for it."""
        sides = [(name, fn) for name, fn in (("before", before), ("after", after), ("floor", floor)) if fn is not None]
        sides += list((peers or {}).items())
        samples: dict[str, list[float]] = {name: [] for name, _ in sides}
        warm = self.warmup if warmup is None else warmup
        for rep in range(warm + (repetitions or self.repetitions)):
            for name, fn in sides:
                if settle is not None:
                    await _call(lambda name=name: settle(name))
                if rep < warm:
                    await _call(fn)
                    continue
                value = await _timed(fn) * scale
                samples[name].append(value)
                if live and self.on_sample is not None:
                    self.on_sample(name, value)
        return Measurement(after=samples["after"], before=samples.get("before"), floor=samples.get("floor"),
                           peers={name: samples[name] for name in peers or {}})


async def _call(fn: Side) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return result


async def _timed(fn: Side) -> float:
    t0 = time.perf_counter()
    await _call(fn)
    return (time.perf_counter() - t0) * 1000.0
