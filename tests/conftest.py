"""Shared fixtures: offscreen Qt, async tests on the qasync loop, a fresh data dir per test."""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import; no display needed

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qt_loop() -> asyncio.AbstractEventLoop:
    # may run before pytest-qt's `qapp`; qapp reuses QApplication.instance()
    return qasync.QEventLoop(QApplication.instance() or QApplication([]))


def pytest_asyncio_loop_factories(config, item):  # pytest-asyncio >= 1.4
    return {"qasync": _qt_loop}


@pytest.fixture(autouse=True)
def fresh_dirs(tmp_path, monkeypatch):
    """Each test gets its own data and log directories and no stray settings from the shell."""
    data = tmp_path / "data"
    logs = tmp_path / "logs"
    data.mkdir()
    logs.mkdir()
    monkeypatch.setenv("PERPS_DATA_DIR", str(data))
    monkeypatch.setenv("PERPS_LOG_DIR", str(logs))
    monkeypatch.delenv("HL_PRIVATE_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # so no developer .env is read
    return data


@pytest.fixture(autouse=True)
def blockbuster(request):
    """Fails a test when code of ours makes a blocking call (file, socket, sleep, SQLite ...) on a
    running event loop: the loop is the window's, so such a call freezes it. A test that must
    block opts out with `@pytest.mark.skip_blockbuster`; the benchmark smoke tests do."""
    if request.node.get_closest_marker("skip_blockbuster"):
        yield None
        return
    from blockbuster import blockbuster_ctx

    with blockbuster_ctx(list(_NEVER_BLOCKS)) as bb:
        for name in ("io.BufferedReader.read", "io.TextIOWrapper.read", "os.stat"):   # psutil reads /proc (memory)
            bb.functions[name].can_block_in("psutil/_common.py", {"open_binary", "open_text", "bcat", "cat"})
        yield bb


# The trading core and the client run on the window's loop: a blocking call there freezes it.
_NEVER_BLOCKS = ("perps_desktop.core", "perps_desktop.exchange")


@pytest.fixture
async def sim_server():
    """Factory: `sim = await sim_server(seed=7)` starts a real simulator on 127.0.0.1, a free port.

    Keyword arguments go to `Simulator` (e.g. `rate_limit_per_min=0` turns the venue's IP limit
    off). Everything it started is closed at teardown, newest first.
    """
    from perps_desktop.sim import Simulator

    started: list[Simulator] = []

    async def factory(**kwargs):
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        kwargs.setdefault("seed", 7)
        sim = Simulator(**kwargs)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in reversed(started):
        await sim.aclose()


@pytest.fixture(autouse=True)
def qt_objects_die_on_the_gui_thread():
    """After each test, destroy what it left of Qt here, on the GUI thread, and collect cycles.

    Left to the cyclic garbage collector, a closed window or dialog (they sit in reference cycles
    through their signal connections) is destroyed on whichever thread next triggers a collection —
    e.g. a trace-store writer thread of a later test — while the GUI thread still delivers events to
    it: a segfault. So no Qt object is allowed to outlive the test that made it.
    """
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    yield
    app = QApplication.instance()
    if app is None:
        gc.collect()
        return
    for w in app.topLevelWidgets():
        try:
            w.close()
            w.deleteLater()
        except RuntimeError:                    # its C++ side is already gone
            pass
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server for the session (the pgserver wheel's binaries, 127.0.0.1)."""
    from perps_desktop.bench.pg_server import LocalPostgres

    server = LocalPostgres()
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server, request):
    """A fresh database on the session's server for this test; its URL."""
    import re
    import uuid

    name = re.sub(r"\W", "_", request.node.name)[:40].lower() + "_" + uuid.uuid4().hex[:8]
    return pg_server.create_database(name)
