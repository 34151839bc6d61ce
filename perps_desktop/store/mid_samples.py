"""Mid prices kept beside the traces: at most one sample per symbol per second, for the timeline
and the replay, so neither needs the venue to draw the price a trace was decided at.

A sample is (symbol, second, price) in `mid_samples`, keyed by (symbol, second): ~20 bytes a row
in SQLite (WITHOUT ROWID), three symbols for 30 days ~7.8 M rows (~160 MB). The writer thread
inserts what was queued with each timed flush (samples are not precious: a failed insert drops
them and says so at debug level) and deletes them with the traces at retention, symbol by
symbol along the key. Reads run on the reader threads like any trace query.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

__all__ = ["MID_INSERT_SQL", "MID_INSERT_SQL_PG", "MID_RANGE_SQL", "MID_SYMBOLS_SQL", "MidSample", "prune_mids",
           "read_mids"]

log = logging.getLogger(__name__)

MidSample = tuple[str, int, float]          # (symbol, time_s, px)

# a second's sample taken again (a restart within it) keeps the first
MID_INSERT_SQL = "INSERT OR IGNORE INTO mid_samples (symbol, time_s, px) VALUES (?, ?, ?)"
MID_INSERT_SQL_PG = "INSERT INTO mid_samples (symbol, time_s, px) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
MID_RANGE_SQL = "SELECT time_s, px FROM mid_samples WHERE symbol = ? AND time_s >= ? AND time_s < ? ORDER BY time_s"
# the distinct symbols along the key, one index probe each (a skip-scan that needs no statistics)
MID_SYMBOLS_SQL = """
    WITH RECURSIVE s(x) AS (
        SELECT min(symbol) FROM mid_samples
        UNION ALL SELECT (SELECT min(symbol) FROM mid_samples WHERE symbol > x) FROM s WHERE x IS NOT NULL)
    SELECT x FROM s WHERE x IS NOT NULL"""
_MID_PRUNE_SQL = "DELETE FROM mid_samples WHERE symbol = ? AND time_s < ?"


def prune_mids(conn: sqlite3.Connection, cutoff_s: int) -> int:
    """Delete the samples older than `cutoff_s`, one transaction per symbol; returns how many."""
    total = 0
    for (symbol,) in conn.execute(MID_SYMBOLS_SQL).fetchall():
        conn.execute("BEGIN IMMEDIATE")
        total += conn.execute(_MID_PRUNE_SQL, (symbol, cutoff_s)).rowcount
        conn.execute("COMMIT")
    return total


def read_mids(conn: Any, symbol: str, since_ms: int, until_ms: int, *, mark: str = "?") -> list[tuple[int, float]]:
    """(time_ms, px) of `symbol`'s samples in [since_ms, until_ms), oldest first; [] on a file
    from before samples were kept."""
    sql = MID_RANGE_SQL if mark == "?" else MID_RANGE_SQL.replace("?", mark)
    try:
        bounds = (symbol, -(-since_ms // 1000), -(-until_ms // 1000))   # the seconds whose ms fall in the range
        rows: Sequence[tuple[int, float]] = conn.execute(sql, bounds).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    return [(int(t) * 1000, float(px)) for t, px in rows]
