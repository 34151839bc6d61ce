"""Fixtures for window tests: a MainWindow factory that also destroys what it made, on this thread."""

from __future__ import annotations

import contextlib
import gc

import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from perps_desktop.ui import MainWindow, WindowOptions


@pytest.fixture
def make_window(qtbot, tmp_path):
    """`w = make_window(control, confirmer=None, **WindowOptions)`: a shown MainWindow with its layout file in tmp.

    At teardown the windows are closed and deleted here, on the GUI thread. Left to the garbage
    collector, a window (it sits in reference cycles through its signal lambdas) could be
    destroyed on whichever thread next triggers a collection — e.g. a trace-store writer thread
    of the next test — while the GUI thread fires its render timer: a segfault.
    """
    made: list[MainWindow] = []

    def factory(control, *, confirmer=None, **opts) -> MainWindow:
        opts.setdefault("layout_path", tmp_path / "window.ini")
        w = MainWindow(control, WindowOptions(**opts), confirmer=confirmer)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield factory
    for w in made:
        with contextlib.suppress(RuntimeError):     # already deleted
            w.timer.stop()
            w.close()
            w.deleteLater()
    made.clear()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
