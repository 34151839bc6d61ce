"""`perps-desktop gui`: the QApplication, the qasync loop, the App, the window — and a clean stop.

Start-up: QApplication → qasync loop → `App(settings)` → `await app.start()` → MainWindow.
With `--screenshot FILE --exit-after S` it renders the window after S seconds into FILE and
exits 0 (offscreen when there is no display). Closing the window stops the core first (traces
flushed), saying so in the status bar when that takes more than a moment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perps_desktop.config import Settings, attach_token, display_available
from perps_desktop.errors import StoreError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

__all__ = ["NO_DISPLAY_HELP", "run"]

log = logging.getLogger("perps_desktop.ui")

NO_DISPLAY_HELP = """\
perps-desktop: no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open.
  - on a desktop session, run it there;
  - on a headless machine, use a virtual display:  xvfb-run -a perps-desktop gui
    (Debian/Ubuntu: apt-get install xvfb libxcb-cursor0; from the checkout: xvfb-run -a make run)
  - or render the window to a picture instead:     perps-desktop gui --screenshot out.png --exit-after 5
    (from the checkout: make run ARGS="--screenshot out.png --exit-after 5")
    (QT_QPA_PLATFORM=offscreen is used automatically for --screenshot)
  - or run the core without a window:              perps-desktop headless
"""

SLOW_STOP_S = 0.5           # past this, the status bar says the core is still stopping


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of `perps-desktop gui`; returns the process exit code."""
    screenshot: str | None = getattr(args, "screenshot", None)
    exit_after: float | None = getattr(args, "exit_after", None)
    if exit_after is not None and exit_after < 0:
        print("perps-desktop: --exit-after must be >= 0 seconds", file=sys.stderr)
        return 2
    offscreen = False
    if not display_available():
        if not screenshot:
            print(NO_DISPLAY_HELP, end="", file=sys.stderr)
            return 2
        offscreen = True
    qapp = _make_qapp(offscreen)
    import qasync

    size: tuple[int, int] | None = getattr(args, "size", None)
    targets = None
    if getattr(args, "attach", None):
        from perps_desktop.ui.attach import attach_targets
        try:
            targets = attach_targets(args.attach, getattr(args, "token_file", None) or [], attach_token())
        except ValueError as exc:
            print(f"perps-desktop gui: {exc}", file=sys.stderr)
            return 2
    try:
        return int(qasync.run(_amain(qapp, settings, screenshot=screenshot, exit_after=exit_after, size=size,
                                     attach=targets, replay=getattr(args, "replay", None),
                                     replay_bot=getattr(args, "bot", None))) or 0)
    except KeyboardInterrupt:
        return 130


def _make_qapp(offscreen: bool) -> QApplication:
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    argv = ["perps-desktop"] + (["-platform", "offscreen"] if offscreen else [])
    qapp = QApplication(argv)
    qapp.setApplicationName("perps-desktop")
    qapp.setOrganizationName("perps-desktop")
    qapp.setApplicationDisplayName("perps-desktop")
    qapp.setDesktopFileName("perps-desktop")
    qapp.setStyle("Fusion")
    qapp.setQuitOnLastWindowClosed(False)       # the runner decides when to stop (core first)
    return qapp


async def _amain(qapp: QApplication, settings: Settings, *, screenshot: str | None,
                 exit_after: float | None, size: tuple[int, int] | None = None,
                 attach: list[tuple[str, str]] | None = None, replay: str | None = None,
                 replay_bot: str | None = None) -> int:
    from perps_desktop.app import App, StopSignals
    from perps_desktop.ui.main_window import MainWindow, WindowOptions

    qapp.setQuitOnLastWindowClosed(False)      # closing the window must not stop the loop under the core
    loop = asyncio.get_running_loop()
    deadline = None if exit_after is None else loop.time() + exit_after       # armed before any dialog
    if replay:                          # a past session from its traces alone (app/replay.py)
        from perps_desktop.app import ReplayControl
        app: Any = ReplayControl(replay, bot=replay_bot)
        log.info("replaying %s", replay)
    elif attach:                        # remote cores: the same window on a Fleet of them (ui/attach.py)
        from perps_desktop.ui.attach import make_fleet
        app = make_fleet(attach)
        log.info("attaching to %s", ", ".join(url for url, _ in attach))
    else:
        app = App(settings, confirm=functools.partial(_confirm_live, deadline=deadline, screenshot=screenshot,
                                                      network=settings.network))
        log.info("starting the core (%s mode)", settings.mode)
    signals = StopSignals(app)          # Ctrl+C / SIGTERM close the window the clean way
    signals.install()
    try:
        await app.start()
    except _Unanswered as exc:
        await app.aclose()
        signals.remove()
        return exc.code
    except StoreError as exc:
        if not replay:
            raise
        await app.aclose()              # a replay whose database cannot be read: said, not a traceback
        signals.remove()
        print(f"perps-desktop gui --replay: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        await app.aclose()
        signals.remove()
        raise
    window: MainWindow | None = None
    try:
        options = WindowOptions(liq_crit_pct=settings.risk.min_liquidation_distance_pct,
                                liq_warn_pct=2 * settings.risk.min_liquidation_distance_pct,
                                restore_layout=screenshot is None, first_size=size)
        window = MainWindow(app, options)
        if attach:
            from perps_desktop.ui.attach import FleetDock
            window.fleet_dock = FleetDock(window, app)
        if replay:
            from PySide6.QtCore import Qt

            from perps_desktop.ui.replay_bar import ReplayBar
            bar = ReplayBar(app.first_ms, app.last_ms, window)
            bar.seek_requested.connect(app.seek)
            window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
            window.replay_bar = bar
        window.hold_close = True
        stop = signals.requested
        window.close_requested.connect(stop.set)
        window.show()
        code = 0
        if screenshot:
            await _sleep_or(stop, 3.0 if deadline is None else deadline - loop.time())
            window.render_snapshot()    # the newest snapshot, not the one of up to 100 ms ago
            code = _save_screenshot(window, Path(screenshot))
        elif deadline is not None:
            await _sleep_or(stop, deadline - loop.time())
        else:
            await stop.wait()
        return code
    finally:
        signals.stopping()              # a signal during the stop ends it at once
        await _stop(app, window)
        signals.remove()
        if not attach and not replay:   # an attached window or a replay records nothing itself
            c = app.trace_counters()
            print(f"stopped traces_recorded={c.recorded} traces_flushed={c.flushed}", flush=True)


class _Unanswered(Exception):
    """--exit-after (or --screenshot) came while the live confirmation was open: nothing started."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


async def _confirm_live(text: str, *, deadline: float | None = None, screenshot: str | None = None,
                        network: str = "") -> bool:
    """Live mode: the trader confirms network and address before the core starts (no window yet).

    With --exit-after the dialog waits only until that deadline, and with --screenshot (3 s by
    default) the dialog itself is the picture; either way the answer is then "no" and the run
    ends (exit 0, or 1 when the picture could not be written), nothing started.
    """
    from PySide6.QtWidgets import QApplication

    from perps_desktop.ui.confirm import ConfirmDialog, ask
    from perps_desktop.ui.status import venue_badge
    from perps_desktop.ui.theme import load_qss

    venue, state = venue_badge("live", network) if network else ("", "")
    asking = asyncio.ensure_future(ask(None, title="Trade live?", text=text, confirm_text="Trade live",
                                       danger=True, venue=venue, venue_state=state, style_sheet=load_qss("dark")))
    if deadline is None and not screenshot:
        return await asking
    loop = asyncio.get_running_loop()
    wait = 3.0 if deadline is None else max(0.0, deadline - loop.time())
    done, _ = await asyncio.wait({asking}, timeout=wait)
    if done:
        return asking.result()
    code = 0
    if screenshot:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConfirmDialog) and w.isVisible()]
        code = _save_screenshot(shown[0], Path(screenshot)) if shown else 1
    asking.cancel()                     # closes the dialog: the answer is "no"
    with contextlib.suppress(asyncio.CancelledError):
        await asking
    print("perps-desktop: live trading was not confirmed before the run ended (--exit-after/--screenshot); "
          "nothing started", file=sys.stderr)
    raise _Unanswered(code)


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _save_screenshot(widget: Any, path: Path) -> int:
    pixmap = widget.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path)):
        print(f"perps-desktop: could not write the screenshot to {path}", file=sys.stderr)
        return 1
    print(f"screenshot: {path} ({pixmap.width()}x{pixmap.height()})")
    return 0


async def _stop(app: Any, window: Any) -> None:
    """Stop the core (it flushes its traces), telling the trader when it takes a while."""
    if window is not None:
        window.timer.stop()
        await window.controller.aclose()
    task = asyncio.ensure_future(app.aclose())
    done, _ = await asyncio.wait({task}, timeout=SLOW_STOP_S)
    if not done:
        log.info("stopping the core: flushing traces…")
        if window is not None and window.isVisible():
            window.statusBar().showMessage("Stopping the core and flushing traces… the window closes when done.")
            window.setEnabled(False)
        print("perps-desktop: stopping the core, flushing traces…", file=sys.stderr)
    await task
    if window is not None:
        window.finish_close()
        window.deleteLater()            # destroyed here on the GUI thread, not by a collector elsewhere
        await asyncio.sleep(0.01)
    log.info("stopped")
