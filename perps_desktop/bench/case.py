"""What a benchmark row is: a named case that measures its before and after sides in one run.

Each row lives in `bench/cases/<name>.py` and exposes `CASE = BenchCase(...)`. Its `run(ctx)`
builds the component twice from the same code — once with the optimisation switched off by
settings (batch 1, TTL 0, no coalescing, parallelism 1), once as built — and hands both
callables to `ctx.compare`, which warms up, interleaves and repeats them.

The runner (`bench/runner.py`) runs each row on its own fresh asyncio loop in the bench process;
a row with `needs_qt=True` runs instead in a child process that owns a QApplication and a qasync
loop (so `run(ctx)` is awaited on the Qt loop). `ctx.settings` is the validated `Settings`: build
the "before" side with `ctx.settings.model_copy(update={...})`. `ctx.size(full, quick)` picks N.
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
    """Samples in ms (or `unit`) per repetition; `before` is None for rows with one side."""

    after: list[float]
    before: list[float] | None = None
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

    def size(self, full: int, quick: int) -> int:
        """N for this run: `quick` under --quick (and in the smoke test), else `full`."""
        return quick if (self.quick or self.smoke) else full

    async def compare(self, after: Side, before: Side | None = None, *, repetitions: int | None = None,
                      warmup: int | None = None, settle: Settle | None = None) -> Measurement:
        """Time both sides, interleaved (before, after, before, ...), after warm-up; ms samples.

        `settle(side)` ("before" / "after") runs untimed before every call of that side: what one
        side leaves behind (a store's background work, garbage to collect, a cache to empty) is
        dealt with there, so the next sample, of either side, does not pay for it."""
        sides = [(name, fn) for name, fn in (("before", before), ("after", after)) if fn is not None]
        samples: dict[str, list[float]] = {name: [] for name, _ in sides}
        warm = self.warmup if warmup is None else warmup
        for rep in range(warm + (repetitions or self.repetitions)):
            for name, fn in sides:
                if settle is not None:
                    await _call(lambda name=name: settle(name))
                if rep < warm:
                    await _call(fn)
                else:
                    samples[name].append(await _timed(fn))
        return Measurement(after=samples["after"], before=samples["before"] if before is not None else None)


async def _call(fn: Side) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return result


async def _timed(fn: Side) -> float:
    t0 = time.perf_counter()
    await _call(fn)
    return (time.perf_counter() - t0) * 1000.0
