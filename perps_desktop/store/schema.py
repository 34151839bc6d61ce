"""The trace database's schema, its migrations (PRAGMA user_version) and how connections open.

Version history (a newer app migrates an older file in place; an older app refuses a newer file):
    1  `traces` + composite indices (symbol, time), (kind, time), (strategy, time)
    2  index on time alone (time ranges, retention) + FTS5 index on `reason`
    3  `bot`: which core wrote the trace (older rows: ''), + index (bot, time)
    4  `chain` column (the id of the trace that started a trace's story; NULL on older rows) and
       its index; `mid_samples`, at most one mid price per symbol per second (the timeline, replay)
Adding a version: append a step to `_MIGRATIONS`, bump `SCHEMA_VERSION`, and add a test that
opens a file of the previous version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from perps_desktop import __version__
from perps_desktop.errors import SchemaTooNew, StoreCorrupt, StoreError
from perps_desktop.store.file_guard import cannot_succeed, probe_writable
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["COLUMNS", "FTS_INDEX_SQL", "FTS_MERGE_SQL", "INSERT_COLUMNS", "INSERT_SQL", "SCHEMA_VERSION", "SchemaInfo",
           "migrate", "open_reader", "open_writer", "select_columns", "store_errors"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
APPLICATION_ID = 0x50445452          # "PDTR": written into the header, so other files are refused

COLUMNS = "id, time_ms, kind, symbol, strategy, side, size, price, decision, reason, latency_ms, bot, payload, chain"
# the columns a new row is given, in `codec.PayloadEncoder.row` order (the PostgreSQL store's COPY too)
INSERT_COLUMNS = "time_ms, kind, symbol, strategy, side, size, price, decision, reason, latency_ms, bot, payload"
# the writer gives every row its id and chain first (so a row's chain can name a row of the same batch)
INSERT_SQL = f"INSERT INTO traces (id, chain, {INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# the full-text index is brought up to date by the writer while idle, not inside the commits
# that add the rows (writer.py `_index_text`): the rows with ids in (?, ?]
FTS_INDEX_SQL = "INSERT INTO traces_fts (rowid, reason) SELECT id, reason FROM traces WHERE id > ? AND id <= ?"
# merges up to 500 pages of the full-text index's small segments (levels with >= 4 of them); the
# writer runs it while idle, because the index's automatic merging is off (see _tune_fts)
FTS_MERGE_SQL = "INSERT INTO traces_fts (traces_fts, rank) VALUES ('merge', 500)"

# The report's PRAGMAs: temp tables in memory, 256 MB memory-mapped reads; its 64 MB page cache
# is a bounded budget instead, per connection (TraceStoreConfig.writer_cache_kib / reader_cache_kib).
_PRAGMAS = ("PRAGMA temp_store = MEMORY", "PRAGMA mmap_size = 268435456")


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaInfo:
    version: int
    fts: bool                           # False: text search falls back to LIKE
    migrated_from: int | None = None    # the version found, when the open migrated the file


def _v1(conn: sqlite3.Connection, fts: bool) -> None:
    conn.execute("""
        CREATE TABLE traces (
            id INTEGER PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            kind TEXT NOT NULL,
            symbol TEXT,
            strategy TEXT,
            side TEXT,
            size REAL,
            price REAL,
            decision TEXT,
            reason TEXT NOT NULL DEFAULT '',
            latency_ms REAL,
            payload BLOB
        )""")
    conn.execute("CREATE INDEX traces_symbol_time ON traces (symbol, time_ms)")
    conn.execute("CREATE INDEX traces_kind_time ON traces (kind, time_ms)")
    conn.execute("CREATE INDEX traces_strategy_time ON traces (strategy, time_ms)")


def _v2(conn: sqlite3.Connection, fts: bool) -> None:
    conn.execute("CREATE INDEX traces_time ON traces (time_ms)")
    if fts:
        _create_fts(conn)


def _create_fts(conn: sqlite3.Connection) -> None:
    # External content: the index holds only tokens; the text stays in `traces`. The writer
    # inserts into it itself (a per-row trigger costs 3.5x more: ~1.2 ms per 100 rows here).
    conn.execute("CREATE VIRTUAL TABLE traces_fts USING fts5 (reason, content='traces', content_rowid='id')")
    conn.execute("INSERT INTO traces_fts (traces_fts) VALUES ('rebuild')")
    _tune_fts(conn)


def _tune_fts(conn: sqlite3.Connection) -> None:
    """Automatic merging off: FTS5 otherwise merges segments inside the commits that add them
    (~0.15 ms of a 100-trace commit here); the writer merges while idle instead (FTS_MERGE_SQL).
    If it never idles, FTS5's crisis merge (16 segments on a level) still bounds the index. The
    setting lives in the file, so an older perps-desktop opening it merges only in crises."""
    row = conn.execute("SELECT v FROM traces_fts_config WHERE k = 'automerge'").fetchone()
    if row is None or row[0] != 0:
        conn.execute("INSERT INTO traces_fts (traces_fts, rank) VALUES ('automerge', 0)")


def _v3(conn: sqlite3.Connection, fts: bool) -> None:
    conn.execute("ALTER TABLE traces ADD COLUMN bot TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE INDEX traces_bot_time ON traces (bot, time_ms)")


def _v4(conn: sqlite3.Connection, fts: bool) -> None:
    conn.execute("ALTER TABLE traces ADD COLUMN chain INTEGER")
    conn.execute("CREATE INDEX traces_chain ON traces (chain)")
    # WITHOUT ROWID: the key is the row (~20 bytes a sample), read by symbol and time range
    conn.execute("""
        CREATE TABLE mid_samples (
            symbol TEXT NOT NULL,
            time_s INTEGER NOT NULL,
            px REAL NOT NULL,
            PRIMARY KEY (symbol, time_s)
        ) WITHOUT ROWID""")


def select_columns(version: int, *, payload: bool = True) -> str:
    """The SELECT list for a file of schema `version` (an older file opened read-only is never
    migrated): COLUMNS' shape, with what the file lacks as its default (bot '', chain NULL),
    and NULL for the payload when a page leaves it out."""
    columns = COLUMNS
    if version < 3:
        columns = columns.replace(", bot,", ", '',")
    if version < 4:
        columns = columns.replace(", chain", ", NULL")
    return columns if payload else columns.replace(", payload", ", NULL")


_MIGRATIONS: tuple[Callable[[sqlite3.Connection, bool], None], ...] = (_v1, _v2, _v3, _v4)  # [i]: version i -> i + 1
assert len(_MIGRATIONS) == SCHEMA_VERSION


@contextmanager
def store_errors(path: Path) -> Iterator[None]:
    """Turn sqlite3 errors into the project's: StoreCorrupt for a damaged file, else StoreError."""
    try:
        yield
    except StoreError:
        raise
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc)
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "not a database" in text or "malformed" in text:
            raise StoreCorrupt(str(path), text) from exc
        if (why := cannot_succeed(exc)) is not None:
            raise StoreError(f"trace database {path} cannot be written: {why}") from exc
        raise StoreError(f"trace database {path}: {text}") from exc


def fts5_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5 (x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp._fts5_probe")
    return True


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _identify(conn: sqlite3.Connection, path: Path, *, quick_check: bool) -> tuple[int, set[str]]:
    """The file's schema version and tables, or the error that says why it is not ours / not usable."""
    tables = _tables(conn)          # the first read: "file is not a database" surfaces here
    version = _user_version(conn)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"trace database {path} has schema version {version}, but this perps-desktop ({__version__}) "
            f"reads versions up to {SCHEMA_VERSION}: it was written by a newer perps-desktop. Upgrade, "
            "or point --db / PERPS_DB_PATH at another file.")
    if app_id not in (0, APPLICATION_ID) or (version == 0 and tables):
        raise StoreError(f"{path} is an SQLite file but not a perps-desktop trace database; "
                         "point --db / PERPS_DB_PATH at another file")
    if quick_check and tables:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        if rows != ["ok"]:
            raise StoreCorrupt(str(path), "integrity check failed: " + "; ".join(rows))
    return version, tables


def migrate(conn: sqlite3.Connection, path: Path, *, target: int = SCHEMA_VERSION, fts: bool = True) -> int:
    """Bring the file up to `target`, one transaction per version; returns the version found."""
    found = version = _user_version(conn)
    if version == 0 and not _tables(conn):
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")   # only possible before the first table
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _MIGRATIONS[version](conn, fts)
            if version == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    if found and found < target:
        log.info("trace database %s migrated from schema %d to %d", path, found, target)
    return found


def _apply_pragmas(conn: sqlite3.Connection, config: TraceStoreConfig, *, cache_kib: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(config.busy_timeout_ms)}")
    conn.execute(f"PRAGMA cache_size = {-int(cache_kib)}")          # negative: KiB, not pages
    for pragma in _PRAGMAS:
        conn.execute(pragma)


def open_writer(config: TraceStoreConfig) -> tuple[sqlite3.Connection, SchemaInfo]:
    """The one write connection: checked, migrated, tuned. Raises StoreError and subclasses."""
    path = config.path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory of trace database {path}: {exc}") from exc
    with store_errors(path):
        conn = sqlite3.connect(str(path), isolation_level=None, cached_statements=config.statement_cache)
    try:
        with store_errors(path):
            found, tables = _identify(conn, path, quick_check=config.check_on_open)
            if tables:       # SQLite opened a file it may not write read-only, silently: refuse it now
                probe_writable(conn, path)
            else:            # a new file: before anything writes its header (journal_mode does)
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            _apply_pragmas(conn, config, cache_kib=config.writer_cache_kib)
            mode = conn.execute(f"PRAGMA journal_mode = {config.journal_mode}").fetchone()[0]
            if mode != config.journal_mode:
                log.warning("trace database %s: journal_mode is %s, not %s", path, mode, config.journal_mode)
            conn.execute(f"PRAGMA synchronous = {config.synchronous}")
            # the writer checkpoints when idle (writer.py); this is only the backstop under constant load
            conn.execute("PRAGMA wal_autocheckpoint = 8000")
            can_fts = fts5_available(conn)
            migrate(conn, path, fts=can_fts)
            fts = "traces_fts" in _tables(conn)
            if not fts and can_fts:       # made where SQLite had no FTS5; index it now
                conn.execute("BEGIN IMMEDIATE")
                _create_fts(conn)
                conn.execute("COMMIT")
                fts = True
            elif fts and not can_fts:
                raise StoreError(f"trace database {path} has a full-text index, but this SQLite "
                                 f"({sqlite3.sqlite_version}) has no FTS5, so it cannot write to it")
            elif fts:
                _tune_fts(conn)             # files made before merging moved to idle time
            if not fts:
                log.warning("SQLite %s has no FTS5: trace text search falls back to LIKE (a scan)",
                            sqlite3.sqlite_version)
    except BaseException:
        conn.close()
        raise
    return conn, SchemaInfo(version=SCHEMA_VERSION, fts=fts, migrated_from=found if found < SCHEMA_VERSION else None)


def open_reader(config: TraceStoreConfig, *, check: bool = False) -> tuple[sqlite3.Connection, SchemaInfo]:
    """A read-only connection (one per reader thread); `check` identifies the file first.

    A file in a directory this process may not write (a copy on a read-only share, another
    user's files) cannot be read the usual way: SQLite makes a shared-memory file beside a WAL
    database to read it. Such a file is read as immutable instead (nothing writes where we may
    not either); should it carry an unmerged `-wal`, that part is not seen, and the log says so.
    """
    path = config.path
    if not path.exists():
        raise StoreError(f"no trace database at {path}")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        return _open_reader(config, uri, check=check)
    except StoreError as exc:
        if getattr(exc.__cause__, "sqlite_errorname", "") not in ("SQLITE_READONLY", "SQLITE_READONLY_DIRECTORY"):
            raise
    wal = path.with_name(path.name + "-wal")
    unmerged = wal.stat().st_size if wal.exists() else 0
    if check:
        log.log(logging.WARNING if unmerged else logging.INFO,
                "trace database %s is in a directory this process cannot write: read as immutable%s", path,
                f" ({unmerged:,} bytes in its -wal not seen; copy it with its -wal and -shm to read them)"
                if unmerged else "")
    return _open_reader(config, uri + "&immutable=1", check=check)


def _open_reader(config: TraceStoreConfig, uri: str, *, check: bool) -> tuple[sqlite3.Connection, SchemaInfo]:
    path = config.path
    with store_errors(path):
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, cached_statements=config.statement_cache)
    try:
        with store_errors(path):
            if check:
                version, tables = _identify(conn, path, quick_check=config.check_on_open)
                if "traces" not in tables:
                    raise StoreError(f"trace database {path} is empty (no traces recorded yet)")
            else:
                version, tables = _user_version(conn), _tables(conn)
            _apply_pragmas(conn, config, cache_kib=config.reader_cache_kib)
            conn.execute("PRAGMA query_only = 1")
    except BaseException:
        conn.close()
        raise
    return conn, SchemaInfo(version=version, fts="traces_fts" in tables)
