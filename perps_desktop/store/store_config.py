"""TraceStoreConfig: every knob of the trace store, with its default, unit and why.

Built from `Settings` by `TraceStoreConfig.from_settings`. `unoptimised()` gives the benchmark's
"before" side: the same store with each optimisation of the report switched off, so both sides
of `trace_insert_100` / `trace_read_100` run the same code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["TraceStoreConfig", "redact_url"]


_QUERY_PASSWORD = re.compile(r"(password=)[^&]*")


def redact_url(url: str) -> str:
    """A database URL fit for a log line or a window: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    if "password=" in parts.query:
        parts = parts._replace(query=_QUERY_PASSWORD.sub(r"\1***", parts.query))
    return urlunsplit(parts)

JournalMode = Literal["wal", "delete"]
Synchronous = Literal["normal", "full"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceStoreConfig:
    """The trace store's settings.

    Attributes:
        path: the SQLite file (created with its directory if missing); not used when `url` is set.
        url: a PostgreSQL database (postgresql://user@host:port/dbname): the traces go to its
            `traces` table (`pg_writer.py`, `pg_reader.py`) instead of the SQLite file. The SQLite
            knobs (journal, synchronous, page caches, statement cache) do not apply to it.
        batch_size: traces per write transaction (TRACE_BATCH_SIZE, 100; 1 = a commit per trace).
        batch_flush_ms: a partial batch waits at most this long (TRACE_BATCH_FLUSH_MS, 5000 ms).
        cache_size: LRU entries for `get(id)` (TRACE_CACHE_SIZE, 500; 0 = no cache).
        cache_ttl_s: how long a cached trace lives (traces never change; 1 h).
        query_cache_size: LRU entries for query pages, dropped on every commit (64; 0 = off).
        retention_days: traces older than this are deleted (TRACE_RETENTION_DAYS, 30 days).
        retention_interval_s: how often the writer prunes (1 h); the first prune runs
            `retention_delay_s` (30 s) after open, so start-up stays quick.
        queue_max: traces waiting for the writer before new ones are dropped and counted
            (TRACE_QUEUE_MAX, 100,000).
        compress_min_bytes: payload JSON at least this long is zstd-compressed
            (TRACE_COMPRESS_MIN_BYTES, 1024 bytes).
        compress_level: zstd level (1: as small as level 3 for these payloads, 27% cheaper; `codec.py`).
        journal_mode: "wal" lets readers run while the writer commits and makes a commit one
            append, not a journal file written, synced and deleted (TRACE_JOURNAL_MODE).
        synchronous: "normal" (no fsync per commit in WAL; a crash of the process loses
            nothing committed, a power cut may lose the last commits) or "full" (TRACE_SYNCHRONOUS).
        statement_cache: compiled statements kept per connection (TRACE_STATEMENT_CACHE, 128;
            0 = compile every statement every time).
        lazy_payload: query results carry the stored payload bytes and decode them only when
            asked (`decode_payload`); False decodes every row's payload (TRACE_LAZY_PAYLOAD).
        read_threads: reader threads, each with its own read-only connection (2).
        writer_cache_kib / reader_cache_kib: SQLite page cache of the write connection (8,000 KiB)
            and of each read connection (2,000 KiB): the store's SQLite memory budget is
            writer + read_threads x reader = 8,000 + 2 x 2,000 KiB, ~12 MB. A page cache fills to
            its size and then stays there, and the writer keeps every page it writes: with the
            report's 64 MB on every connection (~190 MB in all) the load test's process grew
            ~3 MB a minute at 200 traces/s until the writer's 64 MB were full (~20 minutes).
            With this budget it levels off within ~5 minutes at that rate, then stays flat. The writer
            needs only the pages it keeps coming back to (the b-trees' right-hand edges and inner
            pages, a leaf per symbol / kind / strategy, the full-text index's newest segments):
            on a 400,000-trace file, 4 and 8 MB commit as fast as 64 MB, 2 MB makes one commit
            in ten 2x slower. Readers read the file through the 256 MB memory map (file-backed
            pages the kernel can drop, not the process's own memory) and cache only pages still
            in the WAL, which each commit makes stale. `tests/unit/store/test_memory.py`.
        busy_timeout_ms: how long one statement waits for a lock before the writer backs off (250 ms).
        retry_base_s / retry_cap_s: writer retry backoff (`core.backoff.backoff_s`), 0.05 s .. 5 s.
        close_timeout_s: how long `aclose()` keeps retrying a failing write before it gives up
            and counts the rest as dropped (30 s).
        check_on_open: run `PRAGMA quick_check` at open, so a damaged file is reported at start.
        read_only: open for reading only (the `traces` command): no writer, no migration.
        bot: written into each trace that does not name the core that wrote it (`Trace.bot`), so
            traces of several cores in one database can be told apart (PERPS_BOT; the app's
            default is the host name and the shortened account, `app.identity.bot_name`).
    """

    path: Path
    batch_size: int = 100
    batch_flush_ms: int = 5000
    cache_size: int = 500
    cache_ttl_s: float = 3600.0
    query_cache_size: int = 64
    retention_days: int = 30
    retention_interval_s: float = 3600.0
    retention_delay_s: float = 30.0
    queue_max: int = 100_000
    compress_min_bytes: int = 1024
    compress_level: int = 1
    journal_mode: JournalMode = "wal"
    synchronous: Synchronous = "normal"
    statement_cache: int = 128
    lazy_payload: bool = True
    read_threads: int = 2
    writer_cache_kib: int = 8000
    reader_cache_kib: int = 2000
    busy_timeout_ms: int = 250
    retry_base_s: float = 0.05
    retry_cap_s: float = 5.0
    close_timeout_s: float = 30.0
    check_on_open: bool = True
    read_only: bool = False
    bot: str = ""
    url: str | None = None

    def __post_init__(self) -> None:
        # the values are trusted: those a user gives were bounded once, in `Settings.store`; the rest
        # are the code's own (tests/unit/test_config_sections.py holds the defaults to the settings')
        object.__setattr__(self, "path", Path(self.path))

    @property
    def where(self) -> str:
        """The database for messages: the file, or the URL without its password."""
        return redact_url(self.url) if self.url else str(self.path)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TraceStoreConfig:
        """The store as the app runs it; `overrides` replace single fields (e.g. read_only=True)."""
        s = settings.store
        values: dict[str, Any] = {
            "path": settings.trace_db_path(),
            "batch_size": s.trace_batch_size,
            "batch_flush_ms": s.trace_batch_flush_ms,
            "cache_size": s.trace_cache_size,
            "retention_days": s.trace_retention_days,
            "queue_max": s.trace_queue_max,
            "compress_min_bytes": s.trace_compress_min_bytes,
            "journal_mode": s.trace_journal_mode,
            "synchronous": s.trace_synchronous,
            "statement_cache": s.trace_statement_cache,
            "lazy_payload": s.trace_lazy_payload,
            "bot": settings.bot or "",
            "url": settings.trace_db_url(),
        }
        values.update(overrides)
        return cls(**values)

    def unoptimised(self) -> TraceStoreConfig:
        """The benchmark's "before": batch 1, SQLite's default journal and synchronous, no caches,
        no statement reuse, every payload decoded eagerly. Everything else stays as it is."""
        return replace(self, batch_size=1, journal_mode="delete", synchronous="full", cache_size=0,
                       query_cache_size=0, statement_cache=0, lazy_payload=False)
