"""One logging setup: stderr plus a rotating file, with private keys redacted everywhere."""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import logging.handlers
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["KEY_PATTERN", "RedactingFilter", "enable_crash_stacks", "redact", "setup_logging"]

# 0x + 64 hex digits is the shape of a secp256k1 private key (and of a tx hash, which we accept
# losing from logs rather than risk a key).
KEY_PATTERN = re.compile(r"(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_REDACTED = "0x<redacted>"


def redact(text: str) -> str:
    return KEY_PATTERN.sub(_REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites the message (with its args and any exception text) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", log_file: Path | None = None) -> Path | None:
    """Configure the root logger once; returns the log file's path (None when not writable)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_perps", False):
            root.removeHandler(h)
            h.close()
    root.setLevel(level)
    redactor = RedactingFilter()
    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter(_FORMAT))
    handlers: list[logging.Handler] = [stderr]
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            fh = logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=3,
                                                      encoding="utf-8")
            fh.setFormatter(logging.Formatter(_FORMAT))
            handlers.append(fh)
        except OSError:
            log_file = None
    for h in handlers:
        h.addFilter(redactor)
        h._perps = True  # type: ignore[attr-defined]
        root.addHandler(h)
    logging.captureWarnings(True)
    return log_file


def enable_crash_stacks(log_file: Path | None) -> Callable[[], None]:
    """faulthandler on: a crash in native code (SIGSEGV, SIGBUS, SIGABRT ...) leaves every thread's
    Python stack on stderr and in the log file, instead of nothing at all.

    faulthandler writes to one descriptor from inside the signal handler, so to reach both places
    it writes into a `tee -a LOG` process of its own session (a Ctrl-C to the terminal does not
    stop it; it ends when this process does). Without `tee` (Windows) or a log file: stderr only.
    A stack written after the log rotated lands in the rotated file. Returns the undo.
    """
    tee: subprocess.Popen[bytes] | None = None
    target: IO[Any] | None = None
    if log_file is not None and shutil.which("tee"):
        with contextlib.suppress(OSError, ValueError):
            tee = subprocess.Popen(["tee", "-a", str(log_file)], stdin=subprocess.PIPE, stdout=2,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
            target = tee.stdin
    if target is None:
        target = sys.__stderr__
    if target is None:                  # a windowed build without a console
        return lambda: None
    faulthandler.enable(file=target, all_threads=True)

    def undo() -> None:
        faulthandler.disable()
        if tee is not None:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                if tee.stdin is not None:
                    tee.stdin.close()
                tee.wait(timeout=5)
    return undo
