"""The writer thread: the only owner of the write connection. Queue -> batches -> commits.

`record()` runs on the caller's thread (the loop) and only appends to a bounded deque (~0.5 µs);
serialising, compressing and inserting happen here, off the loop, in one transaction per batch
of `batch_size`, or for whatever is queued every `batch_flush_ms`, on `flush()` and at close.
The full-text index on `reason` is brought up to date after the commits, while the writer is
idle (and before any text search, on close and before retention), so a commit carries only the
table and its b-tree indices: ~0.25 ms less per 100 traces here.
A failing commit (locked, disk full, I/O error) is retried with `core.backoff.backoff_s` while
new traces wait in the queue; an alert says so, and another says when writes work again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Any

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.core.models import Alert, Severity, Story, Trace
from perps_desktop.errors import StoreError
from perps_desktop.store.chain_ids import with_chains
from perps_desktop.store.codec import PayloadEncoder
from perps_desktop.store.file_guard import FileWatch, cannot_succeed
from perps_desktop.store.mid_samples import MID_INSERT_SQL, MidSample, prune_mids
from perps_desktop.store.schema import FTS_INDEX_SQL, FTS_MERGE_SQL, INSERT_SQL, SchemaInfo, open_writer, store_errors
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["TraceWriter"]

log = logging.getLogger(__name__)

_PRUNE_CHUNK = 2000           # rows deleted per transaction, so queued batches get in between
_VACUUM_STEP = 2000           # pages handed back per incremental_vacuum step
_CHECKPOINT_EVERY = 8         # commits between idle-time index merges and WAL checkpoints
_ALERT_EVERY = 10             # while failing, one alert per this many retries (the first included)
_DAY_MS = 86_400_000


def _set_future(fut: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)


class _Command:
    """A request to the writer thread. The answer goes to a concurrent Future (`done`: callers
    without a loop, e.g. a sync close) or, for a coroutine, straight to an asyncio future of its
    loop with one call_soon_threadsafe (no concurrent Future chained to an asyncio one)."""

    __slots__ = ("arg", "done", "kind", "loop", "waiter")

    def __init__(self, kind: str, arg: Any = None, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.kind = kind
        self.arg = arg
        self.loop = loop
        self.done: Future[Any] | None = Future() if loop is None else None
        self.waiter: asyncio.Future[Any] | None = loop.create_future() if loop is not None else None

    def resolve(self, value: Any = None, exc: BaseException | None = None) -> None:
        """From any thread; a second answer is ignored."""
        if self.done is not None:
            with contextlib.suppress(InvalidStateError):
                if exc is not None:
                    self.done.set_exception(exc)
                else:
                    self.done.set_result(value)
        elif self.loop is not None and self.waiter is not None:
            with contextlib.suppress(RuntimeError):     # the loop is closed: nobody is waiting
                self.loop.call_soon_threadsafe(_set_future, self.waiter, value, exc)


class TraceWriter:
    """Counters (read them from any thread): recorded, flushed, dropped, batches, retries, lost."""

    # a failed batch write raising one of these is retried with backoff (the database's errors)
    _WRITE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, config: TraceStoreConfig, *, on_alert: Callable[[Alert], object],
                 on_pruned: Callable[[int], None]) -> None:
        self._config = config
        self._queue_max = config.queue_max
        self._batch_size = config.batch_size
        self._on_alert = on_alert
        self._on_pruned = on_pruned
        self._queue: deque[Trace] = deque()
        self._mids: deque[MidSample] = deque()      # written with each timed flush (mid_samples.py)
        self._cmds: deque[_Command] = deque()
        self._wake = threading.Event()
        self._ready: Future[SchemaInfo] = Future()
        self._thread = threading.Thread(target=self._run, name="trace-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self._fts = False
        self._last_id = 0              # the newest trace id committed
        self._fts_upto = 0             # the full-text index holds every trace up to this id
        self._index_failing = False
        self._encoder = PayloadEncoder(min_bytes=config.compress_min_bytes, level=config.compress_level,
                                       bot=config.bot)
        self._closing = False
        self._stopped = False
        self._give_up_at: float | None = None
        self._drop_alerted = False
        self._since_checkpoint = 0
        self.recorded = self.flushed = self.dropped = self.lost = 0
        self.batches = self.retries = self.pruned = 0
        self.generation = 0            # +1 per commit: cached query pages older than this are stale
        self.failing = False
        self.last_error: str | None = None
        self._watch = FileWatch(config.path)   # the SQLite file opened is still the one at the path
        self._reopen = False                    # it went, and a new one is not open yet
        self.file_epoch = 0                     # +1 per new file: readers and read caches start over

    # --- any thread (the loop) ---------------------------------------------------------------

    @property
    def encode_errors(self) -> int:
        return self._encoder.errors

    @property
    def text_behind(self) -> bool:
        """Traces are committed that the full-text index does not hold yet (any thread)."""
        return self._fts and self._last_id > self._fts_upto

    @property
    def queued(self) -> int:
        return max(0, self.recorded - self.flushed - self.lost)

    def start(self) -> Future[SchemaInfo]:
        self._thread.start()
        return self._ready

    def record(self, trace: Trace) -> None:
        """Queue one trace; never blocks, never raises. A full queue or a closed store counts a drop."""
        q = self._queue
        n = len(q)
        if n >= self._queue_max or self._closing:
            self.dropped += 1
            if not self._drop_alerted:
                self._drop_alerted = True
                self._dropping()
            return
        q.append(trace)
        self.recorded += 1
        if n + 1 >= self._batch_size and not self._wake.is_set():
            self._wake.set()

    def record_mids(self, samples: Sequence[MidSample]) -> None:
        """Queue mid samples (symbol, second, price); never blocks. Beyond queue_max they are dropped."""
        if not self._closing and len(self._mids) < self._queue_max:
            self._mids.extend(samples)

    def command(self, kind: str, arg: Any = None) -> Future[Any]:
        """Ask the writer thread to flush / index / maintain / prune / close; the future resolves when done."""
        cmd = _Command(kind, arg)
        self._send(cmd)
        assert cmd.done is not None
        return cmd.done

    def command_async(self, kind: str, arg: Any = None) -> asyncio.Future[Any]:
        """`command` for a coroutine on the running loop: the answer comes back in one hop."""
        cmd = _Command(kind, arg, asyncio.get_running_loop())
        self._send(cmd)
        assert cmd.waiter is not None
        return cmd.waiter

    def _send(self, cmd: _Command) -> None:
        self._cmds.append(cmd)
        self._wake.set()
        if self._stopped:
            self._settle_leftovers()

    def close(self) -> Future[Any]:
        """Stop taking traces, write everything queued, close the connection; resolves when done."""
        if not self._closing:
            self._closing = True
            self._give_up_at = monotonic() + self._config.close_timeout_s
        return self.command("close")

    def _dropping(self) -> None:
        cfg = self._config
        reason = "the store is closed" if self._closing else f"the queue is full ({cfg.queue_max:,} traces)"
        log.warning("trace store: dropping traces: %s", reason)
        self._alert("trace_store.dropped", Severity.WARNING,
                    f"traces are being dropped: {reason}; the count is in the store's stats")

    def _alert(self, key: str, severity: Severity, message: str) -> None:
        try:
            self._on_alert(Alert(key=key, source="trace_store", severity=severity, message=message,
                                 time_ms=wall_ms()))
        except Exception:  # an alert sink must never stop the writer
            log.exception("trace store: alert callback failed")

    # --- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._run_open()
        finally:
            self._stopped = True
            self._settle_leftovers()

    def _open(self) -> SchemaInfo:
        """Open (and migrate) the database for writing; another backend's writer overrides it."""
        self._conn, info = open_writer(self._config)
        self._fts = info.fts
        with store_errors(self._config.path):
            self._last_id, self._fts_upto = self._text_state()
        self._watch.opened()
        return info

    def _run_open(self) -> None:
        try:
            info = self._open()
        except BaseException as exc:
            self._close_connection()
            self._closing = True
            self._ready.set_exception(exc)
            return
        self._ready.set_result(info)
        closers: list[_Command] = []
        try:
            closers = self._serve()
        except BaseException as exc:  # a bug: say so loudly; the queue keeps counting drops when full
            log.exception("trace writer stopped")
            self._closing = True
            self._alert("trace_store.writer_stopped", Severity.CRITICAL, f"the trace writer stopped: {exc!r}")
        finally:
            self._close_connection()
            for cmd in closers:           # resolved only now: the file is complete when close() returns
                cmd.resolve()

    def _serve(self) -> list[_Command]:
        cfg = self._config
        flush_s = cfg.batch_flush_ms / 1000.0
        next_flush = monotonic() + flush_s
        next_prune = monotonic() + cfg.retention_delay_s
        while True:
            timeout = min(next_flush, next_prune) - monotonic()
            if timeout > 0 and not self._cmds and len(self._queue) < cfg.batch_size:
                self._wake.wait(timeout)
            self._wake.clear()
            cmds: list[_Command] = []
            while self._cmds:
                cmds.append(self._cmds.popleft())
            now = monotonic()
            if now >= next_flush or cmds:
                self._write(everything=True)
                next_flush = monotonic() + flush_s
            else:
                self._write(everything=False)
            closing = False
            for cmd in cmds:
                if cmd.kind == "close":
                    closing = True
                elif cmd.kind == "maintain":
                    self._index_text()
                    self._idle_work()
                    cmd.resolve()
                elif cmd.kind == "index":
                    self._index_text()
                    cmd.resolve()
                elif cmd.kind == "prune":
                    try:
                        cmd.resolve(self._prune(cmd.arg))
                    except BaseException as exc:
                        cmd.resolve(exc=exc)
                else:
                    cmd.resolve()
            if now >= next_prune:
                try:
                    self._prune(None)
                except StoreError as exc:
                    log.warning("trace retention failed, next try in %.0f s: %s", cfg.retention_interval_s, exc)
                next_prune = monotonic() + cfg.retention_interval_s
            if closing:
                while self._queue:
                    self._write(everything=True)
                self._index_text()
                return [cmd for cmd in cmds if cmd.kind == "close"]
            if self.text_behind and not self._cmds and len(self._queue) < cfg.batch_size:
                self._index_text()
            if self._since_checkpoint >= _CHECKPOINT_EVERY and not self._cmds and len(self._queue) < cfg.batch_size:
                self._idle_work()

    def _write(self, *, everything: bool) -> None:
        """Commit the full batches queued (and the partial last one when `everything`)."""
        q = self._queue
        size = self._config.batch_size
        n = len(q)
        if (everything or n >= size) and not self._same_file():
            return
        if not everything:
            n -= n % size
        while n > 0:
            k = min(size, n)
            self._commit([q.popleft() for _ in range(k)])
            n -= k
        if everything and self._mids:
            self._write_mids()
        if self._drop_alerted and len(q) < self._config.queue_max // 2 and not self._closing:
            self._drop_alerted = False

    def _write_mids(self) -> None:
        rows = list(self._mids)
        self._mids.clear()
        try:
            self._insert_mids(rows)
        except self._WRITE_ERRORS as exc:
            self._rollback()
            log.debug("trace store: %d mid samples dropped: %s", len(rows), exc)

    def _insert_mids(self, rows: list[MidSample]) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(MID_INSERT_SQL, rows)
        conn.execute("COMMIT")

    def _commit(self, batch: list[Trace]) -> None:
        row = self._encoder.row
        rows = [row(t) for t in batch]
        links = [t.chain or t.story for t in batch]
        attempt = 0
        while True:
            try:
                self._insert(rows, links)
                break
            except self._WRITE_ERRORS as exc:
                self._rollback()
                if (why := cannot_succeed(exc)) is not None:
                    if self._watch.change() is not None and self._same_file():
                        continue          # SQLite saw the file go before we did: into the new one
                    self._refused(len(rows), exc, why)
                    return
                if self._give_up_at is not None and monotonic() > self._give_up_at:
                    self.lost += len(rows)
                    log.error("trace store closing: %d traces could not be written: %s", len(rows), exc)
                    return
                delay = backoff_s(attempt, base_s=self._config.retry_base_s, cap_s=self._config.retry_cap_s)
                self._write_failed(exc, attempt, delay)
                time.sleep(delay)
                attempt += 1
        self._watch.written += len(rows)
        self.failing = False
        if attempt:
            log.info("trace writes work again after %d retries", attempt)
            self._alert("trace_store.write_recovered", Severity.INFO,
                        f"trace writes work again after {attempt} retries; nothing was lost")
        self.flushed += len(rows)
        self.batches += 1
        self.generation += 1
        self._since_checkpoint += 1

    def _idle_work(self) -> None:
        """While idle: merge the full-text index's new small segments and fold the WAL back into
        the file (WAL mode), so commits pay for neither."""
        self._since_checkpoint = 0
        conn = self._conn
        if conn is None:
            return
        try:
            if self._fts:
                conn.execute(FTS_MERGE_SQL)
            if self._config.journal_mode == "wal":
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            log.debug("trace store: idle merge / checkpoint skipped: %s", exc)

    def _insert(self, rows: list[tuple[Any, ...]], links: list[int | Story | None]) -> None:
        """One transaction. Each row gets its id here, under the write lock (the file's next ids,
        as SQLite would give them, so another process writing the file is no matter), and its
        chain (`with_chains`)."""
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        last = conn.execute("SELECT coalesce(max(id), 0) FROM traces").fetchone()[0]
        ids = range(last + 1, last + 1 + len(rows))
        with with_chains(rows, links, ids) as full:
            conn.executemany(INSERT_SQL, full)
            conn.execute("COMMIT")
        self._last_id = ids[-1] if ids else last

    def _text_state(self) -> tuple[int, int]:
        """(newest id, newest id in the full-text index) of the file as opened. A file the index
        lags (a process killed between a commit and its indexing) is caught up by the first
        `_index_text`; one whose index misses rows in between (written by a version that indexed
        otherwise) is rebuilt here, once."""
        conn = self._conn
        assert conn is not None
        last = conn.execute("SELECT coalesce(max(id), 0) FROM traces").fetchone()[0]
        if not self._fts:
            return last, last
        upto = conn.execute("SELECT coalesce(max(id), 0) FROM traces_fts_docsize").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM traces").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM traces_fts_docsize").fetchone()[0]
        tail = conn.execute("SELECT count(*) FROM traces WHERE id > ?", (upto,)).fetchone()[0]
        if rows != indexed + tail:
            log.warning("trace database %s: the full-text index misses %d traces; rebuilding it",
                        self._config.path, rows - indexed - tail)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO traces_fts (traces_fts) VALUES ('rebuild')")
            conn.execute("COMMIT")
            upto = last
        return last, upto

    def _index_text(self) -> None:
        """Add the traces committed since the last call to the full-text index, in one
        transaction. A failure leaves them for the next call (nothing is lost: the rows are in
        `traces`; only text search misses them meanwhile)."""
        conn = self._conn
        if conn is None or not self.text_behind:
            return
        last = self._last_id
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(FTS_INDEX_SQL, (self._fts_upto, last))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            if not self._index_failing:          # once, not at every wake while it lasts
                self._index_failing = True
                log.warning("trace store: the full-text index is behind (%s); trying again when idle", exc)
            return
        self._fts_upto = last
        if self._index_failing:
            self._index_failing = False
            log.info("trace store: the full-text index has caught up")

    def _rollback(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _same_file(self) -> bool:
        """Whether the file at the path is the one open (~2 µs). If it went (removed, or another
        file in its place), say so loudly, count the traces that went with it as not saved, and
        open a new file there for the queued ones; False while that cannot be done (they wait,
        and at close, past the give-up time, they are counted as not saved)."""
        if not self._reopen:
            why = self._watch.change()
            if why is None:
                return True
            gone, path = self._watch.written, self._config.path
            self.flushed -= gone                # not at the path any more: not saved
            self.lost += gone
            self.generation += 1
            self._reopen = True
            self._close_connection()
            self._watch.forget_old_journal()
            log.critical("trace database %s: %s; the %d traces written to it are not there any more; "
                         "opening a new file at the path", path, why, gone)
            self._alert("trace_store.file_gone", Severity.CRITICAL,
                        f"trace database {path}: {why}; the {gone:,} traces written to it are not there any "
                        f"more; a new file is opened at the path for the {len(self._queue):,} queued ones")
        try:
            self._open()
        except StoreError as exc:
            self.failing, self.last_error = True, str(exc)
            if self._give_up_at is not None and monotonic() > self._give_up_at:
                self.lost += len(self._queue)
                self._queue.clear()
            elif self._closing:
                time.sleep(self._config.retry_base_s)
            return False
        self._reopen = False
        self.file_epoch += 1
        log.warning("trace database %s opened anew; %d queued traces go there", self._config.path, len(self._queue))
        return True

    def _refused(self, n: int, exc: Exception, why: str) -> None:
        """A batch the database can never take (read-only): counted as not saved, not retried."""
        self.lost += n
        self.failing, self.last_error = True, f"{why}: {exc}"
        log.error("trace store: %d traces not written, and not retried: %s (%s)", n, why, exc)
        self._alert("trace_store.write_refused", Severity.CRITICAL,
                    f"trace database {self._config.path} cannot be written ({why}); {n:,} traces were not "
                    "saved, and are not retried")

    def _write_failed(self, exc: Exception, attempt: int, delay: float) -> None:
        self.failing = True
        self.retries += 1
        self.last_error = str(exc)
        log.warning("trace write failed (%s); retry %d in %.2f s, %d traces queued", exc, attempt + 1, delay,
                    self.queued)
        if attempt % _ALERT_EVERY == 0:
            self._alert("trace_store.write_failing", Severity.ERROR,
                        f"trace writes are failing ({exc}); retrying with backoff, {self.queued:,} traces "
                        "waiting in the queue")

    def _prune(self, now_ms: int | None) -> int:
        """Delete traces older than the retention, then hand the freed pages back (incremental vacuum)."""
        conn = self._conn
        if conn is None:                     # the file went and no new one is open yet
            return 0
        self._index_text()
        cutoff = (now_ms if now_ms is not None else wall_ms()) - self._config.retention_days * _DAY_MS
        total = 0
        try:
            while True:
                conn.execute("BEGIN IMMEDIATE")
                ids = [(r[0],) for r in conn.execute(
                    "SELECT id FROM traces WHERE time_ms < ? LIMIT ?", (cutoff, _PRUNE_CHUNK))]
                indexed = [i for i in ids if i[0] <= self._fts_upto]   # never 'delete' what is not there
                if self._fts and indexed:
                    conn.executemany("INSERT INTO traces_fts (traces_fts, rowid, reason) "
                                     "SELECT 'delete', id, reason FROM traces WHERE id = ?", indexed)
                conn.executemany("DELETE FROM traces WHERE id = ?", ids)
                conn.execute("COMMIT")
                if not ids:
                    break
                total += len(ids)
                self.generation += 1
                self._write(everything=False)
            mids = prune_mids(conn, cutoff // 1000)
            if (total or mids) and conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                for _ in range(100_000):
                    if not conn.execute("PRAGMA freelist_count").fetchone()[0]:
                        break
                    conn.execute(f"PRAGMA incremental_vacuum({_VACUUM_STEP})").fetchall()
                    self._write(everything=False)
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"trace retention on {self._config.path}: {exc}") from exc
        finally:
            if total:
                self.pruned += total
                log.info("trace retention: deleted %d traces older than %d days", total, self._config.retention_days)
                self._on_pruned(total)
        return total

    def _settle_leftovers(self) -> None:
        """Commands that reached a stopped writer: nothing is queued to flush, nothing can be pruned."""
        while self._cmds:
            try:
                cmd = self._cmds.popleft()
            except IndexError:
                return
            if cmd.kind == "prune":
                cmd.resolve(exc=StoreError("the trace writer is not running"))
            else:
                cmd.resolve()

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("PRAGMA optimize")
            if self._config.journal_mode == "wal":
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        conn.close()
