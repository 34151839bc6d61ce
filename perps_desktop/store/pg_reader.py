"""Reads on PostgreSQL: the SQLite reader's queries (`reader.query_sql`) in PostgreSQL's dialect.

Each reader thread keeps its own connection (autocommit: a lone page is one round trip); a
batch of pages, or a page with its total, reads in one REPEATABLE READ transaction, so every
page of the batch sees the same commits. Rows come in binary (0.34 ms for a 50-trace page here
against 0.44 ms as text). A connection that broke while idle (the server restarted) is
replaced and the read run again on the new one; while the server is down, reads fail with a
StoreError naming the database.
Text search: every word must appear in the reason (`word*` keeps a prefix), matched against the
generated `reason_tsv` column through its GIN index.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import psycopg

from perps_desktop.core.models import Trace, TracePage, TraceQuery
from perps_desktop.errors import StoreError
from perps_desktop.store.codec import traces_from_rows
from perps_desktop.store.mid_samples import read_mids
from perps_desktop.store.pg_schema import connect, identify, pg_errors
from perps_desktop.store.reader import CHAIN_SQL, Dialect, query_sql, search_terms
from perps_desktop.store.schema import SCHEMA_VERSION, SchemaInfo, select_columns
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["POSTGRES", "PgTraceReader", "tsquery_expression"]

T = TypeVar("T")
_BY_IDS = "SELECT {} FROM traces WHERE id = ANY(%s)"
_CHAIN = CHAIN_SQL.replace("?", "%s")
# the SQLite schema whose columns a PostgreSQL schema version has (`reader.query_sql` speaks SQLite's)
_AS_SQLITE = {1: 3, 2: 4}


def tsquery_expression(text: str) -> str | None:
    """User text -> a to_tsquery('simple', …) text: every word (AND); a trailing * keeps a prefix.
    Each word is quoted, so the operators of tsquery's syntax in it are plain text."""
    terms = []
    for word, prefix in search_terms(text):
        word = word.replace("'", " ").replace("\\", " ").strip()
        if word:
            terms.append(f"'{word}':*" if prefix else f"'{word}'")
    return " & ".join(terms) or None


POSTGRES = Dialect(text_clause="reason_tsv @@ to_tsquery('simple', ?)", text_expression=tsquery_expression,
                   mark="%s")


class PgTraceReader:
    """The reader threads' side on PostgreSQL: one connection per thread, opened on first use."""

    def __init__(self, config: TraceStoreConfig) -> None:
        self._config = config
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[psycopg.Connection[Any]] = []
        self.fts = True
        self.version = SCHEMA_VERSION       # as the SQLite schema with the same columns (`_AS_SQLITE`)

    def check(self) -> SchemaInfo:
        """Open this thread's connection and identify the database (read-only mode's open)."""
        cfg = self._config
        with pg_errors(cfg):
            conn = self._conn()
            version = identify(conn, cfg)
        if version == 0:
            raise StoreError(f"trace database {cfg.where} is empty (no traces recorded yet)")
        self.version = _AS_SQLITE.get(version, SCHEMA_VERSION)
        return SchemaInfo(version=version, fts=True)

    def reopen(self) -> None:
        """Nothing to do: a server's database cannot be taken away from under a file path."""

    def _conn(self, *, fresh: bool = False) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if fresh or conn is None or conn.closed or conn.broken:
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
            conn = connect(self._config, autocommit=True)
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def _read(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        """fn(this thread's connection). A connection that went stale while idle (the server
        restarted) fails its first statement: the read then runs once more on a new one, so only
        a server that is down now fails a read."""
        with pg_errors(self._config):
            conn = self._conn()
            try:
                return fn(conn)
            except psycopg.OperationalError:
                if not conn.broken:
                    raise
            return fn(self._conn(fresh=True))

    def get_many(self, ids: Iterable[int]) -> list[Trace]:
        """The traces with these ids (missing ones left out, any order), payloads decoded."""
        wanted = [int(i) for i in ids]
        sql = _BY_IDS.format(select_columns(self.version))
        return self._read(lambda conn: traces_from_rows(conn.execute(sql, (wanted,), binary=True),
                                                        decode=True))

    def time_span(self) -> tuple[int, int] | None:
        """(first, last) time_ms of the traces; None when there are none."""
        row = self._read(lambda conn: conn.execute("SELECT min(time_ms), max(time_ms) FROM traces").fetchone())
        return None if row is None or row[0] is None else (int(row[0]), int(row[1]))

    def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
        """(time_ms, px) of `symbol`'s mid samples in [since_ms, until_ms), oldest first."""
        if self.version < 4:
            return []
        return self._read(lambda conn: read_mids(conn, symbol, since_ms, until_ms, mark="%s"))

    def chain_of(self, trace_id: int, limit: int) -> list[Trace]:
        """The whole chain `trace_id` belongs to, oldest first (see `reader.TraceReader.chain_of`)."""
        if self.version >= 4:
            found = self._read(lambda conn: traces_from_rows(
                conn.execute(_CHAIN, (int(trace_id), int(limit)), binary=True), decode=True))
            if found:
                return found
        return self.get_many((trace_id,))

    def query_many(self, queries: Sequence[TraceQuery]) -> list[TracePage]:
        """One page per query, all from one snapshot when there are several (or a count)."""
        return self._read(lambda conn: self._pages(conn, queries))

    def _pages(self, conn: psycopg.Connection[Any], queries: Sequence[TraceQuery]) -> list[TracePage]:
        """Several queries go out in one pipeline (one round trip for the lot, not one each:
        50 pages of 50 in ~15 ms here against ~22 ms one by one), inside one transaction."""
        cursors = []
        snapshot = len(queries) > 1 or any(q.count_total for q in queries)
        with conn.pipeline() if snapshot else contextlib.nullcontext(), \
                conn.transaction() if snapshot else contextlib.nullcontext():
            for q in queries:
                sql, count_sql, params = query_sql(q, fts=True, version=self.version, dialect=POSTGRES)
                page = conn.execute(sql, (*params, int(q.limit), int(q.offset)), binary=True)
                count = conn.execute(count_sql, params) if q.count_total else None
                cursors.append((q, page, count))
        lazy = self._config.lazy_payload
        pages = []
        for q, page, count in cursors:
            traces = tuple(traces_from_rows(page, decode=not lazy))
            row = count.fetchone() if count is not None else None
            total = (int(row[0]) if row else 0) if count is not None else None
            pages.append(TracePage(traces=traces, offset=q.offset, limit=q.limit, total=total))
        return pages

    def close(self) -> None:
        """Close every reader connection (after the reader threads have stopped)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(psycopg.Error):
                conn.close()

