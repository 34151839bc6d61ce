"""SIGINT/SIGTERM for the window and headless alike: the first asks for a clean stop (every trace
flushed); one that comes while the stop runs ends the process at once, after saying how many
traces were not flushed — a stop that hangs on a disk or a venue must not leave SIGKILL as the
operator's only way out. Exit code 128+signal, as a shell reports a process ended by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from perps_desktop.app.app import App

__all__ = ["StopSignals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """`requested` is set by the first signal; after `stopping()`, any signal ends the process."""

    def __init__(self, app: App, *, out: TextIO | None = None) -> None:
        self.app = app
        self.out = out
        self.requested = asyncio.Event()
        self._stopping = False
        self._undo: list[Callable[[], object]] = []

    def install(self) -> None:
        """On the running loop; on a loop without signal support (qasync), a Python-level handler."""
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
                self._undo.append(functools.partial(loop.remove_signal_handler, sig))
            except (NotImplementedError, RuntimeError):
                if threading.current_thread() is not threading.main_thread():
                    continue
                previous = signal.getsignal(sig)
                signal.signal(sig, lambda s, _frame: self._on_python_signal(loop, s))
                self._undo.append(functools.partial(signal.signal, sig, previous))

    def stopping(self) -> None:
        """The stop has begun (asked for or not): from now on a signal ends the process at once."""
        self._stopping = True
        self.requested.set()

    def remove(self) -> None:
        """Put the previous handlers back (after the stop)."""
        for undo in reversed(self._undo):
            # the loop already closed (RuntimeError), not on the main thread now (ValueError), a previous
            # handler Python did not install (getsignal gave None: TypeError): nothing left to put back
            with contextlib.suppress(RuntimeError, ValueError, TypeError):
                undo()
        self._undo.clear()

    def _on_python_signal(self, loop: asyncio.AbstractEventLoop, sig: int) -> None:
        if self._stopping or self.requested.is_set():
            self._end_now(sig)             # right here: the loop may be the thing that hangs
        else:
            loop.call_soon_threadsafe(self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        if self._stopping or self.requested.is_set():
            self._end_now(sig)
            return
        self.requested.set()
        print("perps-desktop: stopping, flushing traces (Ctrl-C or SIGTERM again ends it at once)",
              file=sys.stderr, flush=True)

    def _end_now(self, sig: int) -> None:
        c = self.app.trace_counters()
        print(f"perps-desktop: {signal.Signals(sig).name} during the stop: ending now, "
              f"{max(0, c.recorded - c.flushed)} trace(s) not flushed", file=sys.stderr, flush=True)
        out: Any = self.out if self.out is not None else sys.stdout
        print(f"stopped traces_recorded={c.recorded} traces_flushed={c.flushed}", file=out, flush=True)
        logging.shutdown()
        os._exit(128 + sig)
