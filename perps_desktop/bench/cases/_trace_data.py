"""Realistic traces for the two TraceStore rows: float-heavy JSON payloads, ~60% over 1 KB.

Shaped like the data research/perf-limits.md measured its floors on (so the targets derived from
those floors apply): payloads of 0.5-2 KB of float-heavy JSON, about 60 of 100 over the 1 KB
compression threshold; reasons of a few words; 50 symbols. `settle_files` puts the rows' fixture
databases on disk before the clock starts. `InsertFloor` and `ReadFloor` are the two rows'
floors: the least work that gives the same rows on disk, or the same rows read.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import zstandard

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Trace

__all__ = ["SYMBOLS", "InsertFloor", "ReadFloor", "make_payloads", "make_traces", "settle_files"]

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
    end = start_ms if start_ms is not None else wall_ms()
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


def _open_floor(path: Path) -> sqlite3.Connection:
    """A bare connection as the store tunes its writer (WAL, synchronous=NORMAL), statements cached."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA synchronous = normal")
    return conn


class InsertFloor:
    """The insert row's floor: pre-encoded rows, one `executemany` and one commit, on this thread.

    The rows are encoded beforehand (orjson; zstd-1 for payloads of 1 KB and more, as the store
    does), and go into a copy of the row's fixture file, so they meet the same table and the same
    indices. It leaves out what the store does besides: turning Traces into rows, serialising and
    compressing the payloads, and handing the batch to its writer thread and the answer back.
    """

    def __init__(self, path: Path, traces: list[Trace], *, min_bytes: int = 1024) -> None:
        self.conn = _open_floor(path)
        self._columns = [c[1] for c in self.conn.execute("PRAGMA table_info(traces)").fetchall() if c[1] != "id"]
        self.sql = f"INSERT INTO traces ({', '.join(self._columns)}) VALUES ({', '.join('?' * len(self._columns))})"
        self._min_bytes = min_bytes
        self._zstd = zstandard.ZstdCompressor(level=1)
        self.rows = self.encode(traces)

    def encode(self, traces: list[Trace]) -> list[tuple[Any, ...]]:
        """The rows of `traces`, as the floor is given them."""
        columns = self._columns
        return [tuple(blob if c == "payload" else getattr(t, c) for c in columns)
                for t, blob in zip(traces, self.blobs(traces), strict=True)]

    def blobs(self, traces: list[Trace]) -> list[bytes | None]:
        """The payloads serialised, the big ones compressed, as plainly as it can be done: the
        encoding the floor is spared (the row times it in its untimed settle step)."""
        compress, min_bytes, dumps = self._zstd.compress, self._min_bytes, orjson.dumps
        out: list[bytes | None] = []
        for t in traces:
            if t.payload is None:
                out.append(None)
                continue
            data = dumps(t.payload)
            out.append(compress(data) if len(data) >= min_bytes else data)
        return out

    def insert(self, start: int, count: int) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        conn.executemany(self.sql, self.rows[start:start + count])
        conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """What the store's idle-time upkeep does for its WAL, untimed (the settle step)."""
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self.conn.close()


class ReadFloor:
    """The read row's floor: the same queries through a bare connection, rows left as raw tuples.

    It leaves out making Traces of the rows, the LRU in front of them, and the hop to a reader
    thread and back: what is left is SQLite finding and copying out the same rows.
    """

    def __init__(self, path: Path, ids: list[int], symbols: list[str], limit: int) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        columns = ", ".join(c[1] for c in self.conn.execute("PRAGMA table_info(traces)").fetchall())
        self.by_id = f"SELECT {columns} FROM traces WHERE id IN ({', '.join('?' * len(ids))})"
        self.recent = f"SELECT {columns} FROM traces WHERE symbol = ? ORDER BY time_ms DESC, id DESC LIMIT ?"
        self.ids, self.symbols, self.limit = ids, symbols, limit

    def read(self) -> tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]:
        execute = self.conn.execute
        found = execute(self.by_id, self.ids).fetchall()
        pages = [execute(self.recent, (s, self.limit)).fetchall() for s in self.symbols]
        return found, pages

    def close(self) -> None:
        self.conn.close()
