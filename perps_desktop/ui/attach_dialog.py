"""File -> Attach…: show one more served core, picked from recent targets or typed in.

The dialog asks for the core's URL and the file holding its token (never the token itself, so
nothing secret is typed into a window or kept in the recent list); the last eight targets are
offered first (`attach.ini` beside the window's layout). In a window already attached to a fleet
the core joins that fleet (its Fleet dock); otherwise a second window opens on it, and closing that
window detaches it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from perps_desktop.app import Fleet, RemoteCore
from perps_desktop.ui.attach import FleetDock, attach_targets

if TYPE_CHECKING:
    from perps_desktop.ui.main_window import MainWindow

__all__ = ["AttachDialog", "RecentTargets", "ask_attach"]

log = logging.getLogger(__name__)
_RECENT = 8


class RecentTargets:
    """The last targets attached to, newest first: (url, token file) pairs, never a token."""

    def __init__(self, path: Path) -> None:
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def load(self) -> list[tuple[str, str]]:
        try:
            raw = json.loads(str(self._qs.value("attach/recent", "[]")))
            return [(str(u), str(f)) for u, f in raw][:_RECENT]
        except (ValueError, TypeError):
            return []

    def add(self, url: str, token_file: str) -> None:
        items = [(url, token_file)] + [t for t in self.load() if t[0] != url]
        self._qs.setValue("attach/recent", json.dumps(items[:_RECENT]))
        self._qs.sync()


class AttachDialog(QDialog):
    """URL (editable, recent ones offered) and token file; `target()` after it was accepted."""

    def __init__(self, parent: QWidget | None, recent: list[tuple[str, str]]) -> None:
        super().__init__(parent)
        self.setObjectName("attachDialog")
        self.setWindowTitle("Attach to a core")
        self._recent = dict(recent)
        self.url = QComboBox(self)
        self.url.setObjectName("attachUrl")
        self.url.setEditable(True)
        self.url.addItems([u for u, _ in recent])
        self.url.setEditText(recent[0][0] if recent else "http://127.0.0.1:8788")
        self.token_file = QLineEdit(recent[0][1] if recent else "", self)
        self.token_file.setObjectName("attachTokenFile")
        self.token_file.setPlaceholderText("a file holding the token alone (perps-desktop token new)")
        self.url.currentTextChanged.connect(self._recall_token_file)
        form = QFormLayout(self)
        form.addRow(QLabel("A core served with perps-desktop headless --serve:"))
        form.addRow("URL", self.url)
        form.addRow("Token file", self.token_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _recall_token_file(self, url: str) -> None:
        """A URL attached to before: its token file comes back with it."""
        if url in self._recent:
            self.token_file.setText(self._recent[url])

    def target(self) -> tuple[str, str]:
        return self.url.currentText().strip(), self.token_file.text().strip()


async def ask_attach(window: MainWindow, *, answer: tuple[str, str] | None = None) -> RemoteCore | None:
    """Ask for a target (or take `answer`, for tests), attach to it and show it; None if cancelled
    or refused (the status bar says why)."""
    recent = RecentTargets(window.layout_store.path.parent / "attach.ini")
    if answer is None:
        dialog = AttachDialog(window, recent.load())
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        dialog.finished.connect(lambda r: None if done.done() else done.set_result(r))
        dialog.open()
        try:
            if await done != QDialog.DialogCode.Accepted:
                return None
        finally:
            dialog.deleteLater()
        answer = dialog.target()
    url, token_file = answer
    try:
        ((base, token),) = await asyncio.to_thread(attach_targets, [url], [token_file], None)
    except ValueError as exc:
        window.statusBar().showMessage(f"Attach: {exc}", 10000)
        return None
    recent.add(url, token_file)
    core = RemoteCore(base, token)
    await core.start()
    fleet = window.control
    if isinstance(fleet, Fleet):
        fleet.cores.append(core)
        window.statusBar().showMessage(f"Attached to {base}", 5000)
        return core
    _open_window(window, Fleet([core]))
    return core


def _open_window(parent: MainWindow, fleet: Fleet) -> Any:
    """A second window on `fleet`; closing it detaches (the fleet's links are closed)."""
    from perps_desktop.ui.main_window import MainWindow, WindowOptions

    layout = parent.layout_store.path.with_name("window-attached.ini")
    other = MainWindow(fleet, WindowOptions(restore_layout=False, layout_path=layout))
    dock = other.fleet_dock = FleetDock(other, fleet)
    other.hold_close = True             # links closed first, then the window
    kept: list[Any] = parent.__dict__.setdefault("attached_windows", [])
    kept.append(other)

    async def close() -> None:
        other.timer.stop()
        dock.timer.stop()
        await other.controller.aclose()
        await fleet.aclose()
        other.finish_close()
        other.deleteLater()
        if other in kept:
            kept.remove(other)
    other.close_requested.connect(lambda: asyncio.ensure_future(close()))
    other.show()
    return other
