"""Realistic traces for the two TraceStore rows: float-heavy JSON payloads, ~60% over 1 KB.

Shaped like the data research/perf-limits.md measured its floors on (so the targets derived from
those floors apply): payloads of 0.5-2 KB of float-heavy JSON, about 60 of 100 over the 1 KB
compression threshold; reasons of a few words; 50 symbols. `settle_files` puts the rows' fixture
databases on disk before the clock starts.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from pathlib import Path
from typing import Any

from perps_desktop.core.models import Trace

__all__ = ["SYMBOLS", "make_payloads", "make_traces", "settle_files"]

SYMBOLS = tuple(f"SYM{i:02d}" for i in range(50))
_KINDS = ("signal", "risk", "order", "fill")
_WORDS = ("momentum", "breakout", "above", "vwap", "with", "rising", "volume", "spread", "funding", "mean",
          "reversion", "risk", "approved", "rejected", "size", "capped", "leverage", "drawdown", "exposure",
          "limit", "filled", "partial", "resting", "canceled")


def make_payloads(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Payloads of 0.5-2 KB of JSON: indicators (6-decimal floats), book levels, reasons, model info."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = max(4, (rng.randint(500, 2000) - 150) // 31)
        out.append({"indicators": {f"ind_{k}": round(rng.uniform(-100, 100), 6) for k in range(n)},
                    "book": [[round(rng.uniform(10, 60_000), 4), round(rng.uniform(0, 50), 4)] for _ in range(n // 2)],
                    "reasons": ["momentum_ok", "spread_ok", "vol_regime=normal"],
                    "model": {"name": "ensemble_v3", "score": rng.random(), "features": n}})
    return out


def make_traces(count: int, *, seed: int = 7, payload_pool: int = 256, start_ms: int | None = None,
                span_ms: int = 2 * 86_400_000) -> list[Trace]:
    """`count` traces spread evenly over the `span_ms` before `start_ms` (default now), oldest first."""
    rng = random.Random(seed)
    payloads = make_payloads(min(count, payload_pool), seed)
    end = start_ms if start_ms is not None else int(time.time() * 1000)
    step = max(1, span_ms // max(1, count))
    first = end - step * count
    return [Trace(kind=_KINDS[i % 4], time_ms=first + i * step, symbol=SYMBOLS[i % 50], strategy=f"strat{i % 5}",
                  side="B" if i % 2 else "A", size=round(rng.random() * 3, 4), price=round(rng.random() * 65_000, 2),
                  decision="approve" if i % 3 else "reject", reason=" ".join(rng.choices(_WORDS, k=7)),
                  latency_ms=rng.random() * 5, payload=payloads[i % len(payloads)])
            for i in range(count)]


def settle_files(*paths: Path) -> None:
    """fsync the fixture files (and their -wal) just written: otherwise the kernel writes the
    ~200 MB of the read row's fixture back to disk while the samples run, and both sides' samples
    pay for it (measured: read row after median 13.7 -> 10.9 ms once the files are on disk)."""
    for path in paths:
        for name in (path, Path(f"{path}-wal")):
            with contextlib.suppress(FileNotFoundError):
                fd = os.open(name, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
