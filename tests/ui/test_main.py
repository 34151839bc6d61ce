"""`perps-desktop gui`: no display, --screenshot, and closing the window stops the core first."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel

from perps_desktop.cli import build_parser
from perps_desktop.config import Settings
from perps_desktop.ui import MainWindow
from perps_desktop.ui import main as gui_main
from tests.helpers import wait_until


def test_without_a_display_it_says_how_to_get_one_and_exits_2(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code = gui_main.run(argparse.Namespace(screenshot=None, exit_after=None), Settings())
    err = capsys.readouterr().err
    assert code == 2
    assert "xvfb-run" in err and "--screenshot" in err and "headless" in err


@pytest.mark.slow
def test_screenshot_renders_the_window_offscreen_at_the_size_asked_and_exits_0(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PERPS_DATA_DIR"] = str(tmp_path / "data")
    env["PERPS_LOG_DIR"] = str(tmp_path / "logs")
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "perps_desktop", "gui", "--screenshot", str(shot),
                           "--exit-after", "4", "--size", "1280x720"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 720)
    colours = {image.pixel(x, y) for x in range(0, 1280, 6) for y in range(0, 720, 6)}
    assert len(colours) > 60                    # tables, badges, charts and text: not a blank frame
    last = proc.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"stopped traces_recorded=(\d+) traces_flushed=(\d+)", last)
    assert m and int(m[1]) > 0 and m[1] == m[2], last


def test_a_bad_size_is_refused_with_what_is_allowed(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["gui", "--size", "1280by720"])
    assert exc.value.code == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
    assert build_parser().parse_args(["gui", "--size", "1920x1080"]).size == (1920, 1080)


async def test_closing_the_window_stops_the_core_first_and_flushes_traces(sim_server, capsys):
    sim = await sim_server(rate_limit_per_min=0)
    settings = Settings(mode="paper", base_url=sim.url, strategy_interval_ms=100, strategy_lookback=2,
                        strategy_threshold_pct=0.0)
    task = asyncio.ensure_future(gui_main._amain(QApplication.instance(), settings, screenshot=None,
                                                 exit_after=None))

    def window() -> MainWindow | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        return found[0] if found else None

    try:
        await wait_until(lambda: window() is not None and window().version > 0, timeout=30)
        w = window()
        await wait_until(lambda: w.panels["positions"].model.rowCount() > 0, timeout=30)
        w.close()                                   # held: the core stops first
        assert await asyncio.wait_for(task, timeout=30) == 0
    finally:
        if not task.done():
            task.cancel()
        await sim.aclose()
    last = capsys.readouterr().out.strip().splitlines()[-1]
    m = re.fullmatch(r"stopped traces_recorded=(\d+) traces_flushed=(\d+)", last)
    assert m and int(m[1]) > 0 and m[1] == m[2], last
    assert window() is None


async def test_live_mode_asks_before_the_core_starts_and_stops_when_refused(sim_server):
    import secrets

    from perps_desktop.errors import ConfigError
    from perps_desktop.ui.confirm import ConfirmDialog

    sim = await sim_server(rate_limit_per_min=0)
    settings = Settings(mode="live", base_url=sim.url, hl_private_key="0x" + secrets.token_hex(32))
    task = asyncio.ensure_future(gui_main._amain(QApplication.instance(), settings, screenshot=None,
                                                 exit_after=None))

    def dialog() -> ConfirmDialog | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConfirmDialog) and w.isVisible()]
        return found[0] if found else None

    try:
        await wait_until(lambda: dialog() is not None, timeout=20)
        d = dialog()
        text = d.findChild(QLabel, "confirmText").text()
        assert d.windowTitle() == "Trade live?"
        assert "LIVE on testnet" in text and sim.url in text        # names the network and the endpoint
        assert d.findChild(QLabel, "confirmVenue").text() == "LIVE · testnet"      # in the live badge's colours
        d.reject()
        with pytest.raises(ConfigError, match="not confirmed"):
            await asyncio.wait_for(task, timeout=20)
    finally:
        if not task.done():
            task.cancel()
        await sim.aclose()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


async def test_live_screenshot_renders_the_confirmation_and_exits_without_starting(sim_server, tmp_path):
    """`gui --mode live --screenshot F --exit-after S` in a real process: the dialog is the picture."""
    import secrets

    sim = await sim_server(rate_limit_per_min=0)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(PERPS_DATA_DIR=str(tmp_path / "data"), PERPS_LOG_DIR=str(tmp_path / "logs"),
               HL_PRIVATE_KEY="0x" + secrets.token_hex(32))
    shot = tmp_path / "live.png"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "gui", "--mode", "live", "--base-url", sim.url,
        "--screenshot", str(shot), "--exit-after", "2", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "not confirmed" in err.decode() and "nothing started" in err.decode()
    image = QImage(str(shot))
    assert 420 <= image.width() < 1440 and 0 < image.height() < 900      # the dialog, not a main window
    assert f"screenshot: {shot}" in out.decode()
    assert not [k for k in sim.stats()["requests"] if k.startswith("exchange:")]     # nothing was sent


async def test_exit_after_ends_a_live_confirmation_nobody_answers(sim_server):
    import secrets

    from perps_desktop.ui.confirm import ConfirmDialog

    sim = await sim_server(rate_limit_per_min=0)
    settings = Settings(mode="live", base_url=sim.url, hl_private_key="0x" + secrets.token_hex(32))
    code = await asyncio.wait_for(gui_main._amain(QApplication.instance(), settings, screenshot=None,
                                                  exit_after=0.5), timeout=30)
    assert code == 0
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, ConfirmDialog) and w.isVisible()]
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
