"""The trace store on PostgreSQL: its schema, migrations, connections and errors.

The table is `traces`, with the SQLite file's columns (`schema.COLUMNS`, so the codec's rows and
`reader.query_sql` serve both) plus `reason_tsv`, the reason as PostgreSQL text search sees it
(the 'simple' configuration: lower case, no stemming, no stop words, like FTS5's tokenizer), a
generated column with a GIN index. The version lives in `perps_desktop_schema`; migrations run
under an advisory lock, so cores starting together against one database migrate it once.

Version history (a newer app migrates an older database; an older app refuses a newer one):
    1  `traces` (with `bot`) + indices (symbol, time), (kind, time), (strategy, time), (bot, time),
       (time), and the text search column and its GIN index
    2  `chain` (the id of the trace that started a trace's story; NULL on older rows) + its index;
       `mid_samples`, at most one mid price per symbol per second (as the SQLite file's schema 4)
Adding a version: append a step to `_MIGRATIONS` and add a test that opens the previous version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from perps_desktop import __version__
from perps_desktop.errors import ConfigError, SchemaTooNew, StoreError
from perps_desktop.store.schema import SchemaInfo
from perps_desktop.store.store_config import TraceStoreConfig

__all__ = ["PG_SCHEMA_VERSION", "connect", "identify", "migrate", "pg_errors"]

log = logging.getLogger(__name__)

_LOCK_KEY = 0x50445452            # "PDTR", the SQLite files' application id: the migration's advisory lock

_V1 = (
    """CREATE TABLE traces (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        symbol TEXT,
        strategy TEXT,
        side TEXT,
        size DOUBLE PRECISION,
        price DOUBLE PRECISION,
        decision TEXT,
        reason TEXT NOT NULL DEFAULT '',
        latency_ms DOUBLE PRECISION,
        bot TEXT NOT NULL DEFAULT '',
        payload BYTEA,
        reason_tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', reason)) STORED
    )""",
    "CREATE INDEX traces_symbol_time ON traces (symbol, time_ms)",
    "CREATE INDEX traces_kind_time ON traces (kind, time_ms)",
    "CREATE INDEX traces_strategy_time ON traces (strategy, time_ms)",
    "CREATE INDEX traces_bot_time ON traces (bot, time_ms)",
    "CREATE INDEX traces_time ON traces (time_ms)",
    "CREATE INDEX traces_reason_tsv ON traces USING gin (reason_tsv)",
)
_V2 = (
    "ALTER TABLE traces ADD COLUMN chain BIGINT",
    "CREATE INDEX traces_chain ON traces (chain)",
    """CREATE TABLE mid_samples (
        symbol TEXT NOT NULL,
        time_s BIGINT NOT NULL,
        px DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (symbol, time_s)
    )""",
)
_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)     # [i]: version i -> i + 1
PG_SCHEMA_VERSION = len(_MIGRATIONS)


def connect(config: TraceStoreConfig, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A connection to the URL's database; psycopg's errors are the caller's to translate.

    connect_timeout: a server that does not answer fails the attempt in 5 s, not the OS's minutes;
    TCP keepalives and tcp_user_timeout: a connection whose server vanished (unplugged, not
    stopped) fails its next statement within ~15 s instead of waiting on a dead socket."""
    assert config.url is not None
    return psycopg.connect(config.url, autocommit=autocommit, connect_timeout=5, keepalives=1,
                           keepalives_idle=10, keepalives_interval=5, keepalives_count=2, tcp_user_timeout=15000,
                           application_name=f"perps-desktop {__version__}")


def unreachable(config: TraceStoreConfig, exc: BaseException) -> ConfigError:
    """The one line for a server that cannot be reached at start (exit 2, like any bad setting)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return ConfigError("PERPS_DB_PATH", config.where,
                       f"a PostgreSQL server that accepts the connection (it said: {reason}); start the server, "
                       "fix the URL, or leave --db out for the local SQLite file")


@contextmanager
def pg_errors(config: TraceStoreConfig) -> Iterator[None]:
    """psycopg's errors as the project's StoreError, naming the database (never its password)."""
    try:
        yield
    except StoreError:
        raise
    except psycopg.Error as exc:
        raise StoreError(f"trace database {config.where}: {' '.join(str(exc).split())}") from exc


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()
    return {r[0] for r in rows}


def identify(conn: psycopg.Connection[Any], config: TraceStoreConfig) -> int:
    """The database's schema version (0: none yet), or the error saying why it is not usable."""
    tables = _tables(conn)
    version = 0
    if "perps_desktop_schema" in tables:
        row = conn.execute("SELECT version FROM perps_desktop_schema").fetchone()
        version = int(row[0]) if row else 0
    elif "traces" in tables:
        raise StoreError(f"{config.where} has a `traces` table that perps-desktop did not make; "
                         "point --db / PERPS_DB_PATH at another database")
    if version > PG_SCHEMA_VERSION:
        raise SchemaTooNew(
            f"trace database {config.where} has schema version {version}, but this perps-desktop ({__version__}) "
            f"reads versions up to {PG_SCHEMA_VERSION}: it was written by a newer perps-desktop. Upgrade, "
            "or point --db / PERPS_DB_PATH at another database.")
    return version


def migrate(conn: psycopg.Connection[Any], config: TraceStoreConfig) -> SchemaInfo:
    """Bring the database up to PG_SCHEMA_VERSION, one transaction per version (conn: not autocommit)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        found = identify(conn, config)
    version = found
    while version < PG_SCHEMA_VERSION:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            version = identify(conn, config)          # another core may have got here first
            if version >= PG_SCHEMA_VERSION:
                break
            for statement in _MIGRATIONS[version]:
                conn.execute(statement)   # constants of this module
            if version == 0:
                conn.execute("CREATE TABLE perps_desktop_schema (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO perps_desktop_schema VALUES (1)")
            else:
                conn.execute("UPDATE perps_desktop_schema SET version = %s", (version + 1,))
            version += 1
    if found and found < PG_SCHEMA_VERSION:
        log.info("trace database %s migrated from schema %d to %d", config.where, found, PG_SCHEMA_VERSION)
    return SchemaInfo(version=PG_SCHEMA_VERSION, fts=True,
                      migrated_from=found if found < PG_SCHEMA_VERSION else None)
