"""The trace database's file: writable when it is opened, and still the file at its path while written.

SQLite opens a file it may not write *read-only*, without a word, and then fails every commit;
and it keeps writing to a file that was deleted (or moved) under it, so a removed directory
meant every later trace went nowhere. Both are found here: `probe_writable` at open (one line
with the path and the reason, instead of a writer retrying for ever), and `FileWatch` at every
flush (a changed device/inode, or no file, at the path), so the writer can say so and reopen.
`cannot_succeed` names the write errors that retrying cannot fix.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from perps_desktop.errors import StoreError

__all__ = ["FileWatch", "cannot_succeed", "probe_writable"]

# SQLite's extended codes for "this connection can never write this file" (a busy or locked
# file, a full disk or an I/O error may pass; these do not)
_READ_ONLY = {
    "SQLITE_READONLY": "the file is read-only",
    "SQLITE_READONLY_DIRECTORY": "its directory is read-only (SQLite keeps its journal beside the file)",
    "SQLITE_READONLY_DBMOVED": "the file was removed or replaced while open",
}


def cannot_succeed(exc: BaseException) -> str | None:
    """Why retrying this write error cannot help (None: it may, e.g. a locked file or a full disk)."""
    return _READ_ONLY.get(getattr(exc, "sqlite_errorname", "") or "")


def probe_writable(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database this connection cannot write: a write that changes nothing, rolled back."""
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"PRAGMA user_version = {version}")      # writes page 1: needs the file and its journal
    except sqlite3.Error as exc:
        reason = cannot_succeed(exc) or str(exc)
        raise StoreError(f"trace database {path} cannot be written: {reason}") from exc
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@dataclass(frozen=True, slots=True)
class _FileId:
    device: int
    inode: int


def _file_id(path: Path) -> _FileId | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _FileId(device=st.st_dev, inode=st.st_ino)


class FileWatch:
    """Whether the file opened at `path` is still the one there (the writer thread's; ~2 µs a look).

    `written` counts the traces committed to the file since it was opened: when it goes, they are
    no longer at the path (deleted with it, or wherever it was moved).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened: _FileId | None = None
        self.written = 0

    def opened(self) -> None:
        """The writer (re)opened the file at the path: watch this one from now on."""
        self._opened = _file_id(self.path)
        self.written = 0

    def change(self) -> str | None:
        """None while the same file is at the path; else what happened to it."""
        if self._opened is None:
            return None
        now = _file_id(self.path)
        if now == self._opened:
            return None
        return "it was removed (no file at the path)" if now is None else "another file took its place"

    def forget_old_journal(self) -> None:
        """Remove the old file's -wal/-shm/-journal left at the path (readers of the old file may
        keep them open), so the new file never takes the old one's pages as its own."""
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")
