"""Every bench run kept in `bench_history.sqlite3` (in the data directory), so rows can be charted.

Only the bench command (a process of its own) opens this file; the window reads history from the
bench subprocess's JSON lines, never from SQLite. Quick and full runs use different N, so each is
compared and charted only against runs of the same kind.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from perps_desktop.bench.runner import RowResult
from perps_desktop.core.clock import wall_ms
from perps_desktop.errors import StoreError

__all__ = ["HISTORY_FILE", "BenchHistory", "HistoryPoint"]

HISTORY_FILE = "bench_history.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    quick INTEGER NOT NULL,
    machine TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    before_median REAL, before_p95 REAL,
    after_median REAL, after_p95 REAL,
    ratio REAL,
    passed INTEGER,
    error TEXT,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX IF NOT EXISTS results_by_name ON results(name, run_id);
"""

HistoryPoint = dict[str, Any]   # {"run": id, "time_ms", "before", "after", "ratio"}


@contextmanager
def _mapped(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"bench history {path}: {exc}") from exc


class BenchHistory:
    """The bench history database; a context manager with an idempotent `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _mapped(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db: sqlite3.Connection | None = sqlite3.connect(path, timeout=10.0)
            self._db.executescript(_SCHEMA)

    def __enter__(self) -> BenchHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("bench history is closed")
        return self._db

    def start_run(self, *, quick: bool, machine: dict[str, Any]) -> int:
        with _mapped(self.path), self.db:
            cur = self.db.execute("INSERT INTO runs (started_ms, quick, machine) VALUES (?, ?, ?)",
                                  (wall_ms(), int(quick), json.dumps(machine)))
        return int(cur.lastrowid or 0)

    def record(self, run_id: int, row: RowResult) -> None:
        b, a = row.before, row.after
        passed = row.passed
        with _mapped(self.path), self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, row.name, row.unit, b.median if b else None, b.p95 if b else None,
                 a.median if a else None, a.p95 if a else None, row.ratio,
                 None if passed is None else int(passed), row.error))

    def last(self, name: str, *, quick: bool, before_run: int | None = None) -> HistoryPoint | None:
        """The latest successful result of `name` from a run of the same kind before `before_run`."""
        points = self.series(name, quick=quick, limit=1, before_run=before_run)
        return points[-1] if points else None

    def series(self, name: str, *, quick: bool, limit: int = 30, before_run: int | None = None) -> list[HistoryPoint]:
        """Up to `limit` latest successful results of `name`, oldest first."""
        sql = ("SELECT r.id, r.started_ms, s.before_median, s.after_median, s.ratio FROM results s "
               "JOIN runs r ON r.id = s.run_id WHERE s.name = ? AND r.quick = ? AND s.error IS NULL "
               "AND s.after_median IS NOT NULL AND r.id < ? ORDER BY r.id DESC LIMIT ?")
        bound = before_run if before_run is not None else 2**62
        with _mapped(self.path):
            rows = self.db.execute(sql, (name, int(quick), bound, limit)).fetchall()
        return [{"run": r[0], "time_ms": r[1], "before": r[2], "after": r[3], "ratio": r[4]} for r in reversed(rows)]
