"""Reads on their own threads and connections: by id, filtered pages, full text.

Every function here runs on a reader thread (never the loop); each reader thread has its own
read-only connection, so reads never wait for the writer in WAL mode. A batch of lookups goes
in one call (`get_many`, `query_many`): one thread hop (~50 µs here) for the lot, not one each.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from perps_desktop.core.models import Trace, TracePage, TraceQuery
from perps_desktop.store.codec import traces_from_rows
from perps_desktop.store.mid_samples import read_mids
from perps_desktop.store.schema import SCHEMA_VERSION, SchemaInfo, open_reader, select_columns, store_errors
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["CHAIN_SQL", "SQLITE", "Dialect", "TraceReader", "fts_expression", "query_sql", "search_terms"]

# one statement for any number of ids (the list goes in as one JSON parameter): 0.09 ms for 50
# ids here against 0.31 ms for 50 single-row SELECTs
# (a file of an older schema opened read-only is never migrated: `select_columns` reads what it
# lacks as the default, bot '' and chain NULL)
_BY_IDS = "SELECT {} FROM traces WHERE id IN (SELECT value FROM json_each(?))"
# every trace of the chain trace ? belongs to, oldest first (nothing when its chain is NULL)
CHAIN_SQL = (f"SELECT {select_columns(SCHEMA_VERSION)} FROM traces WHERE chain = (SELECT chain FROM traces "
             "WHERE id = ?) ORDER BY time_ms, id LIMIT ?")
_TOKEN = re.compile(r"[^\s\"]+\*?")


def search_terms(text: str) -> list[tuple[str, bool]]:
    """The words of a text search, each with whether it keeps a prefix (a trailing *)."""
    terms = []
    for raw in _TOKEN.findall(text):
        word = raw.rstrip("*")
        if word:
            terms.append((word, raw.endswith("*")))
    return terms


def fts_expression(text: str) -> str | None:
    """User text -> an FTS5 query: every word must appear (AND); a trailing * keeps a prefix."""
    return " ".join(f'"{w}"*' if prefix else f'"{w}"' for w, prefix in search_terms(text)) or None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """How a database spells the two things `query_sql` cannot write the same for both backends."""

    text_clause: str                                  # the WHERE term of a full-text match (one parameter)
    text_expression: Callable[[str], str | None]      # user text -> that parameter (None: nothing to match)
    mark: str = "?"                                   # the parameter placeholder


SQLITE = Dialect(text_clause="id IN (SELECT rowid FROM traces_fts WHERE traces_fts MATCH ?)",
                 text_expression=fts_expression)


def _like_terms(text: str) -> list[str]:
    out = []
    for raw in text.split():
        word = raw.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if word:
            out.append(f"%{word}%")
    return out


def query_sql(q: TraceQuery, *, fts: bool, version: int = SCHEMA_VERSION,
              dialect: Dialect = SQLITE) -> tuple[str, str, list[Any]]:
    """(page SQL, count SQL, WHERE parameters) for a query; the newest first (time, then id).

    The SQL text depends only on which filters are set, so it is built once per shape and the
    connection's statement cache reuses the compiled statement.
    """
    params: list[Any] = []
    for value in (q.symbol, q.kind, q.strategy, q.bot):
        if value:
            params.append(str(value))
    if q.chain is not None:
        params.append(int(q.chain))
    if q.since_ms is not None:
        params.append(int(q.since_ms))
    if q.until_ms is not None:
        params.append(int(q.until_ms))
    like = 0
    text_filter = False
    if q.text:
        if fts:
            expr = dialect.text_expression(q.text)
            if expr is not None:
                params.append(expr)
                text_filter = True
        else:
            terms = _like_terms(q.text)
            params.extend(terms)
            like = len(terms)
    shape = (bool(q.symbol), bool(q.kind), bool(q.strategy), bool(q.bot), q.since_ms is not None,
             q.until_ms is not None, text_filter, like, q.with_payload, q.chain is not None, version, dialect)
    sql = _SHAPES.get(shape)
    if sql is None:
        sql = _SHAPES[shape] = _build_sql(shape)
    return sql[0], sql[1], params


_SHAPES: dict[tuple[Any, ...], tuple[str, str]] = {}


def _build_sql(shape: tuple[Any, ...]) -> tuple[str, str]:
    symbol, kind, strategy, bot, since, until, fts_match, like, with_payload, chain, version, dialect = shape
    # before schema 4 every trace is a chain of its own: `chain = ?` is `id = ?`
    where = [c for c, on in (("symbol = ?", symbol), ("kind = ?", kind), ("strategy = ?", strategy),
                             ("bot = ?" if version >= 3 else "'' = ?", bot),
                             ("chain = ?" if version >= 4 else "id = ?", chain),
                             ("time_ms >= ?", since), ("time_ms < ?", until)) if on]
    if fts_match:
        where.append(dialect.text_clause)
    where.extend(["reason LIKE ? ESCAPE '\\'"] * like)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    columns = select_columns(version, payload=with_payload)
    page = f"SELECT {columns} FROM traces{clause} ORDER BY time_ms DESC, id DESC LIMIT ? OFFSET ?"
    count = f"SELECT count(*) FROM traces{clause}"
    if dialect.mark != "?":
        page, count = page.replace("?", dialect.mark), count.replace("?", dialect.mark)
    return page, count


class TraceReader:
    """The reader threads' side: one read-only connection per thread, opened on first use."""

    def __init__(self, config: TraceStoreConfig) -> None:
        self._config = config
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self.fts = False
        self.version = SCHEMA_VERSION   # older: a file opened read-only, read as it is
        self._epoch = 0                 # +1 by reopen(): each thread's connection is opened again

    def check(self) -> SchemaInfo:
        """Open this thread's connection, identifying the file (read-only mode's open)."""
        conn, info = open_reader(self._config, check=True)
        self._keep(conn)
        self.fts = info.fts
        self.version = info.version
        return info

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.epoch != self._epoch:
            with self._lock:
                self._conns.remove(conn)
            with contextlib.suppress(sqlite3.Error):
                conn.close()                # the old file's: the writer has left it
            conn = None
        if conn is None:
            conn, _ = open_reader(self._config)
            self._keep(conn)
        return conn

    def reopen(self) -> None:
        """The file at the path is a new one: each thread reads it from its next read on."""
        self._epoch += 1

    def _keep(self, conn: sqlite3.Connection) -> None:
        self._local.conn = conn
        self._local.epoch = self._epoch
        with self._lock:
            self._conns.append(conn)

    def get_many(self, ids: Iterable[int]) -> list[Trace]:
        """The traces with these ids (missing ones left out, any order), payloads decoded."""
        wanted = orjson.dumps([int(i) for i in ids]).decode()
        with store_errors(self._config.path):
            sql = _BY_IDS.format(select_columns(self.version))
            return traces_from_rows(self._conn().execute(sql, (wanted,)), decode=True)

    def time_span(self) -> tuple[int, int] | None:
        """(first, last) time_ms of the traces; None when there are none."""
        with store_errors(self._config.path):
            row = self._conn().execute("SELECT min(time_ms), max(time_ms) FROM traces").fetchone()
        return None if row is None or row[0] is None else (int(row[0]), int(row[1]))

    def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
        """(time_ms, px) of `symbol`'s mid samples in [since_ms, until_ms), oldest first."""
        with store_errors(self._config.path):
            return read_mids(self._conn(), symbol, since_ms, until_ms)

    def chain_of(self, trace_id: int, limit: int) -> list[Trace]:
        """The whole chain `trace_id` belongs to, oldest first, payloads decoded (one statement:
        one snapshot); [] when no such trace. A trace from before chains is a chain of its own."""
        if self.version >= 4:
            with store_errors(self._config.path):
                found = traces_from_rows(self._conn().execute(CHAIN_SQL, (int(trace_id), int(limit))), decode=True)
            if found:
                return found
        return self.get_many((trace_id,))

    def query_many(self, queries: Sequence[TraceQuery]) -> list[TracePage]:
        """One page per query, all from one snapshot of the file (one read transaction, so a
        commit landing mid-batch is in all pages or none, and the batch takes the WAL read lock
        once, not per statement). Payloads stay bytes (`payload_blob`) unless lazy_payload is off."""
        lazy = self._config.lazy_payload
        fts, version = self.fts, self.version
        pages = []
        with store_errors(self._config.path):
            conn = self._conn()
            execute = conn.execute
            snapshot = len(queries) > 1 or any(q.count_total for q in queries)
            if snapshot:
                execute("BEGIN")
            try:
                for q in queries:
                    sql, count_sql, params = query_sql(q, fts=fts, version=version)
                    traces = tuple(traces_from_rows(execute(sql, (*params, int(q.limit), int(q.offset))),
                                                    decode=not lazy))
                    total = execute(count_sql, params).fetchone()[0] if q.count_total else None
                    pages.append(TracePage(traces=traces, offset=q.offset, limit=q.limit, total=total))
            finally:
                if snapshot and conn.in_transaction:
                    conn.rollback()       # nothing to keep: it only ends the read transaction
        return pages

    def close(self) -> None:
        """Close every reader connection (after the reader threads have stopped)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
