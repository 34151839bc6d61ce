"""TraceStore: every decision recorded to SQLite off the loop, read back through a cache.

    async with TraceStore(TraceStoreConfig.from_settings(settings), on_alert=alerts.raise_) as store:
        store.record(trace)                       # the core's TraceSink: ~1 µs, never blocks
        page = await store.query(TraceQuery(symbol="BTC", limit=50))
        full = await store.get(page.traces[0].id) # payload decoded; LRU of TRACE_CACHE_SIZE in front
    # leaving the block (or `await store.aclose()`) commits every queued trace first

Writes: one writer thread owns the write connection (`writer.py`). Reads: `read_threads` reader
threads (a `ThreadPoolExecutor`; a batch of lookups is one call, so one hop), each with its
own read-only connection (`reader.py`), results cached on the loop side in
`core.caching.TTLCache`s ("traces.by_id", and "traces.pages" which each commit makes stale).
The writer and reader are SQLite's, or PostgreSQL's when the config has a URL (`backend.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from perps_desktop.core.caching import CacheRegistry, TTLCache
from perps_desktop.core.models import Alert, Trace, TracePage, TraceQuery
from perps_desktop.errors import StoreError
from perps_desktop.store.backend import make_reader, make_writer
from perps_desktop.store.schema import SchemaInfo
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["StoreState", "TraceStore", "TraceStoreStats"]

T = TypeVar("T")
_MAX_LIMIT = 100_000


class StoreState(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceStoreStats:
    """Counters for the monitor, metrics and the window; `queued` = recorded - flushed - lost."""

    path: str
    state: str
    recorded: int
    flushed: int
    queued: int
    dropped: int              # refused: queue full, or recorded after close
    lost: int                 # queued but never written (writes still failing at close)
    batches: int
    write_retries: int
    write_failing: bool
    last_error: str | None
    encode_errors: int
    pruned: int
    schema_version: int | None
    full_text: bool


class TraceStore:
    """The trace store (implements `core.ports.TraceSink`). An async context manager; opens once."""

    def __init__(self, config: TraceStoreConfig, *, on_alert: Callable[[Alert], object] | None = None,
                 caches: CacheRegistry | None = None) -> None:
        self.config = config
        self._on_alert = on_alert
        self._state = StoreState.NEW
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._threads = ThreadPoolExecutor(max(1, config.read_threads), thread_name_prefix="trace-read")
        self._info: SchemaInfo | None = None
        self._close_task: asyncio.Future[None] | None = None
        self._refused = 0
        self._writer = None if config.read_only else make_writer(
            config, on_alert=self._alert_from_writer, on_pruned=self._pruned_from_writer)
        self._file_epoch = 0
        self._reader = make_reader(config)   # SQLite's, or PostgreSQL's for a URL (backend.py)
        on = config.cache_ttl_s
        self._by_id: TTLCache[int, Trace] = TTLCache(
            "traces.by_id", ttl_s=on if config.cache_size else 0.0, maxsize=max(1, config.cache_size))
        self._pages: TTLCache[tuple[TraceQuery, int], TracePage] = TTLCache(
            "traces.pages", ttl_s=on if config.query_cache_size else 0.0, maxsize=max(1, config.query_cache_size))
        if caches is not None:
            caches.register(self._by_id)
            caches.register(self._pages)

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def state(self) -> StoreState:
        return self._state

    @property
    def full_text(self) -> bool:
        """True when text search uses an index (SQLite's FTS5, PostgreSQL's text search); False means a LIKE scan."""
        return self._reader.fts

    async def open(self) -> TraceStore:
        """Open (and migrate) the database. Raises StoreCorrupt / SchemaTooNew / StoreError naming it."""
        if self._state is not StoreState.NEW:
            raise RuntimeError("a TraceStore opens once; make a new one")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._state = StoreState.OPEN     # so a failed open still goes through aclose
        try:
            if self._writer is not None:
                info = await asyncio.wrap_future(self._writer.start())
            else:
                info = await self._loop.run_in_executor(self._threads, self._reader.check)
        except BaseException:
            self._threads.shutdown(wait=False)
            self._state = StoreState.CLOSED
            raise
        self._reader.fts = info.fts
        self._info = info
        return self

    async def __aenter__(self) -> TraceStore:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Commit every queued trace, then close the connections. Safe to call more than once."""
        if self._state is StoreState.NEW:
            self._state = StoreState.CLOSED
            return
        if self._close_task is None:
            if self._state is StoreState.CLOSED:
                return
            self._close_task = asyncio.ensure_future(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        self._state = StoreState.CLOSING
        try:
            # readers first: the writer's connection is then the last one, and closing it folds
            # the WAL back into the main file
            await asyncio.to_thread(self._stop_readers)
            if self._writer is not None:
                with contextlib.suppress(StoreError):     # the writer had stopped and said why
                    await asyncio.wrap_future(self._writer.close())
        finally:
            self._state = StoreState.CLOSED

    def close(self) -> None:
        """`aclose()` for code without a running loop: blocks until every queued trace is written."""
        if self._state in (StoreState.NEW, StoreState.CLOSED):
            self._state = StoreState.CLOSED
            return
        self._state = StoreState.CLOSING
        try:
            self._stop_readers()
            if self._writer is not None:
                with contextlib.suppress(StoreError):
                    self._writer.close().result(timeout=self.config.close_timeout_s + 10.0)
        finally:
            self._state = StoreState.CLOSED

    def _stop_readers(self) -> None:
        self._threads.shutdown(wait=True)    # the queued reads finish first
        self._reader.close()

    def __del__(self) -> None:
        if getattr(self, "_state", None) is StoreState.OPEN:
            warnings.warn(f"unclosed TraceStore {self.config.where}", ResourceWarning, source=self, stacklevel=1)
            if self._writer is not None:
                self._writer.close()      # the writer thread still commits what is queued
            self._threads.shutdown(wait=False)

    # --- writing -------------------------------------------------------------------------------

    def record(self, trace: Trace) -> None:
        """Queue one trace for the writer (TraceSink); never blocks or raises; refusals are counted."""
        if self._writer is not None:
            self._writer.record(trace)
        else:
            self._refused += 1

    def record_mids(self, samples: Sequence[tuple[str, int, float]]) -> None:
        """Queue mid samples (symbol, epoch second, price) for `mid_samples` (core.ports.MidSink);
        never blocks; written with the next timed flush."""
        if self._writer is not None:
            self._writer.record_mids(samples)

    async def flush(self) -> None:
        """Wait until every trace recorded before this call is committed."""
        if self._writer is not None and self._state is StoreState.OPEN:
            await self._writer.command_async("flush")

    async def maintain(self) -> None:
        """Do the writer's idle-time upkeep now (index the text of the newest traces, merge the
        full-text index's new segments, checkpoint the WAL) and wait for it; the writer otherwise
        does it when idle."""
        if self._writer is not None and self._state is StoreState.OPEN:
            await self._writer.command_async("maintain")

    async def prune(self, now_ms: int | None = None) -> int:
        """Run retention now (on the writer thread): delete traces older than retention_days
        before `now_ms` (default: now) and vacuum; returns how many were deleted."""
        if self._writer is None or self._state is not StoreState.OPEN:
            raise StoreError("the trace store is not open for writing")
        deleted: int = await self._writer.command_async("prune", now_ms)
        if deleted:
            self.clear_cache()
        return deleted

    # --- reading -------------------------------------------------------------------------------

    async def get(self, trace_id: int) -> Trace | None:
        """One trace with its payload decoded, or None; repeated reads come from the LRU."""
        hit = self._by_id.get(trace_id)
        if hit is not None:
            return hit
        found = await self._read(self._reader.get_many, (trace_id,))
        if not found:
            return None
        self._by_id.set(trace_id, found[0])
        return found[0]

    async def get_many(self, ids: Iterable[int]) -> dict[int, Trace]:
        """Traces by id (missing ids left out), payloads decoded; the misses in one thread hop."""
        cache = self._by_id
        out: dict[int, Trace] = {}
        missing = []
        for i in ids:
            hit = cache.get(i)
            if hit is None:
                missing.append(i)
            else:
                out[i] = hit
        if missing:
            for t in await self._read(self._reader.get_many, missing):
                cache.set(t.id, t)
                out[t.id] = t
        return out

    async def chain_of(self, trace_id: int, *, limit: int = 10_000) -> tuple[Trace, ...]:
        """The whole story `trace_id` belongs to (every trace of its chain), oldest first, payloads
        decoded; () when there is no such trace. A trace from before chains is a story of its own."""
        return tuple(await self._read(lambda reader: reader.chain_of(trace_id, limit), self._reader))

    async def time_span(self) -> tuple[int, int] | None:
        """(first, last) time_ms of the traces recorded (None: none yet): what a replay spans."""
        return await self._read(lambda reader: reader.time_span(), self._reader)

    async def mids(self, symbol: str, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
        """(time_ms, px) of the mid samples of `symbol` in [since_ms, until_ms), oldest first."""
        return await self._read(lambda reader: reader.mids(symbol, since_ms, until_ms), self._reader)

    async def query(self, query: TraceQuery) -> TracePage:
        """One page of traces, newest first. Payloads stay bytes unless lazy_payload is off:
        `decode_payload(trace)` decodes one when it is wanted."""
        return (await self.query_many((query,)))[0]

    async def query_many(self, queries: Sequence[TraceQuery]) -> list[TracePage]:
        """Several pages at once; the ones not cached since the last commit in one thread hop.
        A text search first has the writer index what it committed since it was last idle."""
        w = self._writer
        if w is not None and w.text_behind and self._state is StoreState.OPEN and any(q.text for q in queries):
            await w.command_async("index")
        gen = w.generation if w is not None else 0
        cache = self._pages
        pages: list[TracePage | None] = []
        missing: list[int] = []
        for i, q in enumerate(queries):
            if q.limit < 0 or q.offset < 0 or q.limit > _MAX_LIMIT:
                raise ValueError(f"limit must be 0..{_MAX_LIMIT} and offset >= 0")
            hit = cache.get((q, gen))
            pages.append(hit)
            if hit is None:
                missing.append(i)
        if missing:
            fresh = await self._read(self._reader.query_many, [queries[i] for i in missing])
            for i, page in zip(missing, fresh, strict=True):
                pages[i] = page
                cache.set((queries[i], gen), page)
        return pages  # type: ignore[return-value]

    async def _read(self, fn: Callable[[Any], T], arg: Any) -> T:
        if self._state is not StoreState.OPEN or self._loop is None:
            raise StoreError(f"the trace store {self.config.where} is {self._state.value}")
        if self._writer is not None and self._writer.file_epoch != self._file_epoch:
            self._file_epoch = self._writer.file_epoch      # the file was opened anew (file_guard.py):
            self.clear_cache()                              # its ids are not the old file's
            self._reader.reopen()
        return await asyncio.get_running_loop().run_in_executor(self._threads, fn, arg)

    def clear_cache(self) -> None:
        """Empty both read caches (the benchmark's cold reads; after retention)."""
        self._by_id.clear()
        self._pages.clear()

    # --- state -----------------------------------------------------------------------------------

    def stats(self) -> TraceStoreStats:
        w = self._writer
        return TraceStoreStats(
            path=self.config.where, state=self._state.value,
            recorded=w.recorded if w else 0, flushed=w.flushed if w else 0, queued=w.queued if w else 0,
            dropped=(w.dropped if w else 0) + self._refused, lost=w.lost if w else 0,
            batches=w.batches if w else 0, write_retries=w.retries if w else 0,
            write_failing=w.failing if w else False, last_error=w.last_error if w else None,
            encode_errors=w.encode_errors if w else 0, pruned=w.pruned if w else 0,
            schema_version=self._info.version if self._info else None, full_text=self._reader.fts)

    def _in_loop(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn on the loop's thread (now, if this is it)."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            fn(*args)
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:      # the loop is gone (a sync close after it ended)
            fn(*args)

    def _alert_from_writer(self, alert: Alert) -> None:
        if self._on_alert is not None:
            self._in_loop(self._on_alert, alert)

    def _pruned_from_writer(self, count: int) -> None:
        self._in_loop(lambda _n: self.clear_cache(), count)
