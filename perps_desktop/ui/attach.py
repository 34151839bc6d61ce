"""The window attached to remote cores: `gui --attach URL --token-file F` (repeatable), the Fleet dock.

The window's control is a `Fleet` of `RemoteCore`s; every panel reads and acts through it
unchanged, on the core chosen in the Fleet dock. The dock is refreshed twice a second, and its
"Halt all" / "Flatten all" ask once — naming every bot, its venue and account — then act on all
of them at once, each core's answer a line in the status bar and the log. Tokens come from a
file (`--token-file`, one per `--attach`, or one for all) or PERPS_ATTACH_TOKEN, never from a
flag, so they stay out of the process list and the shell history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from perps_desktop.app import Fleet, RemoteCore, api_base
from perps_desktop.ui import confirm
from perps_desktop.ui.panels.fleet import FleetPanel
from perps_desktop.ui.status import venue_line

if TYPE_CHECKING:
    from perps_desktop.ui.main_window import MainWindow

__all__ = ["FleetDock", "attach_targets", "make_fleet"]

log = logging.getLogger(__name__)


def attach_targets(urls: Sequence[str], token_files: Sequence[str], env_token: str | None) -> list[tuple[str, str]]:
    """[(api base URL, token)] for `--attach` URLs; ValueError saying what is missing or wrong."""
    if token_files and len(token_files) not in (1, len(urls)):
        raise ValueError(f"{len(urls)} --attach but {len(token_files)} --token-file: give one token file for all, "
                         "or one per --attach in the same order")
    tokens: list[str] = []
    for f in token_files:
        try:
            text = Path(f).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"--token-file {f}: {exc.strerror or exc}") from None
        if not text or len(text.split()) != 1:
            raise ValueError(f"--token-file {f}: the file must hold the token alone (from `perps-desktop token new`)")
        tokens.append(text)
    if not tokens:
        if not env_token:
            raise ValueError("--attach needs a token: --token-file F (the token alone in a file) or "
                             "PERPS_ATTACH_TOKEN")
        tokens = [env_token]
    return [(api_base(u), tokens[i] if len(tokens) > 1 else tokens[0]) for i, u in enumerate(urls)]


def make_fleet(targets: Sequence[tuple[str, str]]) -> Fleet:
    return Fleet([RemoteCore(url, token) for url, token in targets])


class FleetDock(QObject):
    """The Fleet dock on `window`, bound to `fleet` (see the module docstring)."""

    def __init__(self, window: MainWindow, fleet: Fleet,
                 confirmer: Callable[..., Awaitable[bool]] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.fleet = fleet
        self._confirm = confirmer or (lambda **kw: confirm.ask(window, **kw))
        self.panel = FleetPanel()
        self.dock = QDockWidget("Fleet", window)
        self.dock.setObjectName("fleetDock")
        self.dock.setAccessibleName("Fleet")
        self.panel.setParent(self.dock)
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.dock)
        window.docks["fleet"] = self.dock
        self.panel.core_selected.connect(self._select)
        self.panel.halt_all_requested.connect(lambda: self._across("halt"))
        self.panel.flatten_all_requested.connect(lambda: self._across("flatten"))
        self.tasks: set[asyncio.Task[Any]] = set()
        self.results: list[tuple[str, bool, str]] = []
        self.timer = QTimer(self)
        self.timer.setObjectName("fleetTimer")
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        self.panel.set_rows(self.fleet.rows())
        shown = self.fleet.current.snapshot()
        if not shown.connected and shown.status_text.startswith(("attach", "attaching")):
            self.window.statusBar().showMessage(shown.status_text, 1500)     # "…lost 12 s ago; reconnecting in 4 s"
        name = self.fleet.current.remote_name
        title = f"perps-desktop — {name} (attached, {len(self.fleet.cores)} bot(s))"
        if self.window.windowTitle() != title:
            self.window.setWindowTitle(title)

    def _select(self, index: int) -> None:
        self.fleet.select(index)
        self.window.render_snapshot()
        self.refresh()

    def _across(self, what: str) -> asyncio.Task[Any] | None:
        try:
            task = asyncio.get_running_loop().create_task(self._run(what), name=f"fleet:{what}")
        except RuntimeError:
            return None
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _run(self, what: str) -> None:
        bots = []
        for c in self.fleet.cores:
            s = c.snapshot()
            bots.append(f"{c.remote_name}: {venue_line(s.mode, s.network, s.address)}, {len(s.positions)} position(s), "
                        f"{len(s.orders)} order(s)" + ("" if s.connected else " — link lost"))
        if what == "halt":
            title, button = f"Halt all {len(bots)} bots?", "Halt all"
            text = "Every bot below goes to HALTED: no new orders; positions stay open."
        else:
            title, button = f"Flatten all {len(bots)} bots?", "Flatten all"
            text = "Every bot below closes every position (reduce-only market orders) and cancels every order."
        if not await self._confirm(title=title, text=text, items=tuple(bots), confirm_text=button, danger=True,
                                   venue=f"{len(bots)} attached bots", venue_state="live"):
            self.window.statusBar().showMessage(f"{button}: cancelled", 5000)
            return
        results = await (self.fleet.halt_all() if what == "halt" else self.fleet.flatten_all_cores())
        self.results = results
        for name, ok, message in results:
            log.log(logging.INFO if ok else logging.WARNING, "%s on %s: %s", button, name, message)
        failed = [name for name, ok, _ in results if not ok]
        self.window.statusBar().showMessage(
            f"{button}: {len(results) - len(failed)} of {len(results)} bots done"
            + (f"; failed on {', '.join(failed)}" if failed else ""), 10000)
        self.refresh()
