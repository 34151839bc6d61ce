"""The window's menus and shortcuts: File, View (panels, layout, theme), Trading, Help."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from perps_desktop import __version__
from perps_desktop.app import TradingState
from perps_desktop.ui.attach_dialog import ask_attach
from perps_desktop.ui.names import ACTION_PROPERTY, DOCKS
from perps_desktop.ui.theme import THEMES

if TYPE_CHECKING:
    from perps_desktop.ui.main_window import MainWindow

__all__ = ["build_menus"]


def _action(w: MainWindow, name: str, text: str, shortcut: str | None = None, *, trading: bool = False,
            tip: str = "") -> QAction:
    act = QAction(text, w)
    act.setObjectName(name)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.setProperty(ACTION_PROPERTY, trading)
    w.actions_by_name[name] = act
    w.addAction(act)        # shortcuts work even with the menu bar hidden
    return act


def build_menus(w: MainWindow) -> None:
    bar = w.menuBar()
    bar.setObjectName("menuBar")

    file_menu = bar.addMenu("&File")
    attach = _action(w, "attachAction", "&Attach…", "Ctrl+Shift+O",
                     tip="Show a core served elsewhere (headless --serve); recent targets are offered")
    attach.triggered.connect(lambda: asyncio.ensure_future(ask_attach(w)))
    file_menu.addAction(attach)
    file_menu.addSeparator()
    quit_act = _action(w, "quitAction", "&Quit", "Ctrl+Q", tip="Stop the core (flushing traces) and close")
    quit_act.triggered.connect(w.close)
    file_menu.addAction(quit_act)

    view = bar.addMenu("&View")
    panels = view.addMenu("&Panels")
    for spec in DOCKS:
        act = _action(w, f"show{spec.object_name[0].upper()}{spec.object_name[1:]}Action", spec.title, spec.shortcut,
                      tip=f"Show the {spec.title} panel")
        act.triggered.connect(lambda _=False, k=spec.key: w.show_dock(k))
        panels.addAction(act)
    view.addSeparator()
    toggles = view.addMenu("Show / &hide")
    for spec in DOCKS:
        toggles.addAction(w.docks[spec.key].toggleViewAction())
    reset = _action(w, "resetLayoutAction", "&Reset layout", "Ctrl+Shift+R",
                    tip="Put every panel back where it starts and forget saved sizes")
    reset.triggered.connect(w.reset_layout)
    view.addAction(reset)
    layouts = view.addMenu("&Layouts")
    layouts.setObjectName("layoutsMenu")
    save_as = _action(w, "saveLayoutAsAction", "&Save layout as…", tip="Keep this arrangement under a name")
    save_as.triggered.connect(w.ask_layout_name)
    layouts.addAction(save_as)
    layouts.aboutToShow.connect(lambda: _fill_layouts(w, layouts, save_as))
    view.addSeparator()
    themes = QActionGroup(w)
    themes.setExclusive(True)
    for name in THEMES:
        act = _action(w, f"{name}ThemeAction", f"{name.title()} theme")
        act.setCheckable(True)
        act.setProperty("theme", name)
        act.triggered.connect(lambda _=False, n=name: w.apply_theme(n))
        themes.addAction(act)
        view.addAction(act)

    trading = bar.addMenu("&Trading")
    flatten = _action(w, "flattenAllAction", "&Flatten all…", "Ctrl+Shift+F", trading=True,
                      tip="Close every position and cancel every order (asks first)")
    flatten.triggered.connect(w.controller.flatten_all)
    cancel_all = _action(w, "cancelAllAction", "&Cancel all orders…", "Ctrl+Shift+X", trading=True)
    cancel_all.triggered.connect(w.controller.cancel_all)
    recovery = _action(w, "runRecoveryAction", "Run &recovery now", "Ctrl+Shift+E", trading=True)
    recovery.triggered.connect(w.controller.run_recovery)
    for act in (flatten, cancel_all, recovery):
        trading.addAction(act)
    trading.addSeparator()
    for state, key in ((TradingState.ACTIVE, "Ctrl+Alt+A"), (TradingState.REDUCING, "Ctrl+Alt+R"),
                       (TradingState.HALTED, "Ctrl+Alt+H")):
        act = _action(w, f"set{state.value.title()}Action", f"Set {state.value}", key, trading=True)
        act.triggered.connect(lambda _=False, s=state: w.controller.set_trading_state(s, "set from the menu"))
        trading.addAction(act)

    help_menu = bar.addMenu("&Help")
    about = _action(w, "aboutAction", "&About perps-desktop")
    about.triggered.connect(lambda: _about(w))
    help_menu.addAction(about)


def _fill_layouts(w: MainWindow, menu: QMenu, save_as: QAction) -> None:
    """Save as…, then one entry per named layout (switch to it), then Delete ▸ (rebuilt each time it opens)."""
    menu.clear()
    menu.addAction(save_as)
    names = w.layout_store.layout_names()
    if not names:
        return
    menu.addSeparator()
    for name in names:
        act = menu.addAction(name)
        act.setObjectName(f"layout:{name}")
        act.triggered.connect(lambda _=False, n=name: w.switch_layout(n))
    delete = menu.addMenu("&Delete")
    for name in names:
        act = delete.addAction(name)
        act.triggered.connect(lambda _=False, n=name: w.layout_store.delete_named(n))


def _about(w: MainWindow) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, "About perps-desktop",
                      f"perps-desktop {__version__}\nA trader's console and trading core for a Hyperliquid perp "
                      "bot.\n\nShortcuts: Ctrl+1…0 panels · Ctrl+Shift+F flatten all (asks first) · "
                      "Ctrl+Shift+R reset layout", QMessageBox.StandardButton.Ok, w)
    box.setObjectName("aboutDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()                  # not exec(): no nested event loop on the qasync loop
