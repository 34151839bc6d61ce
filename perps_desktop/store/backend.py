"""Where the two backends meet: what `TraceStore` needs of a writer and a reader, and which to use.

`TraceStore` (lifecycle, caches, the reader threads, stats) is one; behind it a backend is a
writer (one thread owning the write connection: queue, batches, retries, retention) and a reader
(one connection per reader thread: by id, pages, text search). SQLite's are `writer.TraceWriter`
and `reader.TraceReader`; PostgreSQL's (`TraceStoreConfig.url`) are `pg_writer.PgTraceWriter`, a
TraceWriter whose database calls are PostgreSQL's, and `pg_reader.PgTraceReader`. psycopg is
imported only when a URL asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from perps_desktop.core.models import Alert, Trace, TracePage, TraceQuery
from perps_desktop.store.schema import SchemaInfo
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["TraceReaderPort", "TraceWriterPort", "make_reader", "make_writer"]


class TraceWriterPort(Protocol):
    """The writer thread as TraceStore drives it (counters readable from any thread)."""

    recorded: int
    flushed: int
    dropped: int
    lost: int
    batches: int
    retries: int
    pruned: int
    generation: int
    file_epoch: int     # +1 each time the writer opens a new file at the path (the old one went)
    failing: bool
    last_error: str | None

    @property
    def queued(self) -> int: ...

    @property
    def encode_errors(self) -> int: ...

    @property
    def text_behind(self) -> bool: ...

    def start(self) -> Future[SchemaInfo]: ...

    def record(self, trace: Trace) -> None: ...

    def record_mids(self, samples: Sequence[tuple[str, int, float]]) -> None: ...

    def command(self, kind: str, arg: Any = None) -> Future[Any]: ...

    def command_async(self, kind: str, arg: Any = None) -> asyncio.Future[Any]: ...

    def close(self) -> Future[Any]: ...


class TraceReaderPort(Protocol):
    """Reads, called on a reader thread; each thread keeps its own connection."""

    fts: bool
    version: int        # the SQLite schema whose columns the database has (an older one read-only)

    def check(self) -> SchemaInfo: ...

    def get_many(self, ids: Iterable[int]) -> list[Trace]: ...

    def query_many(self, queries: Sequence[TraceQuery]) -> list[TracePage]: ...

    def chain_of(self, trace_id: int, limit: int) -> list[Trace]: ...

    def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]: ...

    def time_span(self) -> tuple[int, int] | None: ...

    def reopen(self) -> None: ...

    def close(self) -> None: ...


def make_writer(config: TraceStoreConfig, *, on_alert: Callable[[Alert], object],
                on_pruned: Callable[[int], None]) -> TraceWriterPort:
    if config.url:
        from perps_desktop.store.pg_writer import PgTraceWriter
        return PgTraceWriter(config, on_alert=on_alert, on_pruned=on_pruned)
    from perps_desktop.store.writer import TraceWriter
    return TraceWriter(config, on_alert=on_alert, on_pruned=on_pruned)


def make_reader(config: TraceStoreConfig) -> TraceReaderPort:
    if config.url:
        from perps_desktop.store.pg_reader import PgTraceReader
        return PgTraceReader(config)
    from perps_desktop.store.reader import TraceReader
    return TraceReader(config)
