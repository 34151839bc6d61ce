"""MainWindow: the trader's console — dockable panels over one CoreControl, redrawn at most 10 Hz.

The window reads `control.snapshot()` on a QTimer and hands each new snapshot (a higher
`version`) to every panel; an unchanged version costs one integer comparison (plus the breaker
countdowns twice a second). Panels emit intents; `_connect_signals()` wires them to the
ActionController, the only place that calls the core.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QInputDialog,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSystemTrayIcon,
    QTableView,
    QWidget,
)

from perps_desktop.app import Alert, CoreControl, CoreSnapshot
from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.clock import monotonic
from perps_desktop.ui.bench_panel import BenchPanel
from perps_desktop.ui.controller import ActionController, Confirmer
from perps_desktop.ui.dock_layout import arrange_docks, size_docks
from perps_desktop.ui.freshness import StaleBanner, grey
from perps_desktop.ui.layout import LayoutStore
from perps_desktop.ui.menus import build_menus
from perps_desktop.ui.names import ACTION_PROPERTY, DOCKS
from perps_desktop.ui.panels import (
    ActionsPanel,
    AlertsPanel,
    BreakersPanel,
    CachesPanel,
    FillsPanel,
    OrdersPanel,
    PerformancePanel,
    PositionsPanel,
    RecoveryPanel,
    RiskPanel,
    TimelinePanel,
    TracesPanel,
)
from perps_desktop.ui.status import StatusStrip, SummaryBar, venue_badge
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.theme import THEMES, app_icon, load_qss

if TYPE_CHECKING:
    from perps_desktop.ui.attach import FleetDock
    from perps_desktop.ui.replay_bar import ReplayBar

__all__ = ["MainWindow", "WindowOptions"]

log = logging.getLogger(__name__)

FIRST_SIZE = (1440, 900)
_SCROLLED = ("risk", "benchmarks")


def _scrolled(content: QWidget, name: str) -> QScrollArea:
    area = QScrollArea()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowOptions:
    theme: str = "dark"                 # used on first start; later the saved choice wins
    render_hz: float = 10.0             # at most this many redraws a second
    layout_path: Path | None = None     # default: <data dir>/window.ini
    restore_layout: bool = True
    liq_warn_pct: float = 10.0
    liq_crit_pct: float = 5.0
    notify_critical: bool = True
    chart_history_s: float = 300.0      # what the performance charts keep (bounded)
    first_size: tuple[int, int] | None = None   # `--size WxH`: wins over the saved geometry


class MainWindow(QMainWindow):
    """Docks for every panel, a summary bar, menus, a status bar; reads only `control`."""

    close_requested = Signal()
    """The user closed the window while `hold_close` is on (the runner stops the core first)."""
    rendered = Signal(int)
    """A snapshot was drawn: (its version)."""

    def __init__(self, control: CoreControl, options: WindowOptions | None = None,
                 confirmer: Confirmer | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self.options = options or WindowOptions()
        self.setObjectName("mainWindow")
        self.setAccessibleName("perps-desktop")
        self.setWindowTitle("perps-desktop")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AnimatedDocks)
        self.hold_close = False
        self.version = -1
        self.renders = 0
        self._draw_bugs = BugLog(log)
        self.notifications: list[Alert] = []
        self._last_tick = 0.0
        self._read_only: bool | None = None
        self._snapshot: CoreSnapshot | None = None
        self.bench_panel: QWidget | None = None
        self.fleet_dock: FleetDock | None = None        # set by `gui --attach` and the Attach dialog
        self.replay_bar: ReplayBar | None = None        # set by `gui --replay`
        self._sized = False

        self.panels: dict[str, Any] = {
            "positions": PositionsPanel(liq_warn_pct=self.options.liq_warn_pct, liq_crit_pct=self.options.liq_crit_pct),
            "orders": OrdersPanel(), "fills": FillsPanel(), "risk": RiskPanel(), "breakers": BreakersPanel(),
            "recovery": RecoveryPanel(), "caches": CachesPanel(),
            "performance": PerformancePanel(history_s=self.options.chart_history_s),
            "traces": TracesPanel(), "alerts": AlertsPanel(), "actions": ActionsPanel(),
            "timeline": TimelinePanel(),
        }
        self.docks: dict[str, QDockWidget] = {}
        for spec in DOCKS:
            dock = QDockWidget(spec.title, self)
            dock.setObjectName(spec.object_name)
            dock.setAccessibleName(spec.title)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            content = self.panels.get(spec.key) or self._bench_widget()
            if spec.key in _SCROLLED:           # form-like panels scroll instead of holding the window large
                content = _scrolled(content, f"{spec.key}Scroll")
            content.setParent(dock)
            dock.setWidget(content)
            self.docks[spec.key] = dock
        self.summary = SummaryBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.summary)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.stale_banner = StaleBanner(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.stale_banner)
        self.status = StatusStrip(self.statusBar())
        self.controller = ActionController(control, dialog_parent=self, confirmer=confirmer, parent=self)
        self.tray = self._make_tray()
        self.actions_by_name: dict[str, QAction] = {}
        build_menus(self)
        self._connect_signals()

        self.layout_store = LayoutStore(self.options.layout_path)
        self.theme = self.layout_store.theme(self.options.theme) if self.options.restore_layout else self.options.theme
        self.apply_theme(self.theme if self.theme in THEMES else "dark")
        self.first_size = self.options.first_size or FIRST_SIZE
        self.resize(*self.first_size)
        self.default_layout()
        self._restored = bool(self.options.restore_layout and self.layout_store.restore(self, self.tables()))
        if self._restored and self.options.first_size is not None:
            self.resize(*self.first_size)

        self.timer = QTimer(self)
        self.timer.setObjectName("renderTimer")
        self.timer.setInterval(max(10, int(1000 / self.options.render_hz)))
        self.timer.timeout.connect(self.render_snapshot)
        self.timer.start()
        self.render_snapshot()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._restored and not self._sized:      # the default layout's shares, now that Qt has sizes
            self._sized = True
            QTimer.singleShot(0, lambda: size_docks(self, self.docks, self.width(), self.height()))

    # --- building -----------------------------------------------------------------------
    def _bench_widget(self) -> QWidget:
        try:
            self.bench_panel = BenchPanel()
            return self.bench_panel
        except Exception:  # a broken bench panel must not take the console down
            log.exception("the benchmark panel failed to build")
        label = QLabel("The benchmark panel failed to build (a bug, see the log).\n"
                       "Run the benchmarks from a shell: perps-desktop bench --quick")
        label.setObjectName("benchmarksPlaceholder")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def _make_tray(self) -> QSystemTrayIcon | None:
        if not (self.options.notify_critical and QSystemTrayIcon.isSystemTrayAvailable()):
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setObjectName("trayIcon")
        tray.setToolTip("perps-desktop")
        tray.show()
        return tray

    def default_layout(self) -> None:
        """The arrangement for the window's current size (`ui.dock_layout`)."""
        size = self.size() if self.isVisible() else None
        width, height = (size.width(), size.height()) if size is not None else self.first_size
        arrange_docks(self, self.docks, width, height)

    def reset_layout(self) -> None:
        self.layout_store.clear()
        self.showNormal()
        self.resize(*self.first_size)
        self.default_layout()
        QTimer.singleShot(0, lambda: size_docks(self, self.docks, self.width(), self.height()))
        for t in self.tables():
            if isinstance(t, DataTable):
                t.reset_columns()

    # --- named layouts ------------------------------------------------------------------------
    def save_layout_as(self, name: str) -> str:
        saved = self.layout_store.save_named(name, self, self.tables())
        self.statusBar().showMessage(f"Layout saved as “{saved}” (View → Layouts)", 5000)
        return saved

    def switch_layout(self, name: str) -> bool:
        ok = self.layout_store.restore_named(name, self, self.tables())
        self.statusBar().showMessage(f"Layout “{name}”" + ("" if ok else " could not be applied"), 5000)
        return ok

    def ask_layout_name(self) -> None:
        """Ask for a name (a non-blocking dialog: no nested event loop) and save the layout under it."""
        dialog = QInputDialog(self)
        dialog.setObjectName("layoutNameDialog")
        dialog.setWindowTitle("Save layout as")
        dialog.setLabelText("Name of this layout:")
        dialog.textValueSelected.connect(lambda text: text.strip() and self.save_layout_as(text))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def tables(self) -> list[QTableView]:
        return sorted(self.findChildren(QTableView), key=lambda t: t.objectName())

    def apply_theme(self, name: str) -> None:
        self.theme = name
        self.setStyleSheet(load_qss(name))
        for act in self.actions_by_name.values():
            if act.property("theme"):
                act.setChecked(act.property("theme") == name)

    def show_dock(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        dock.widget().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _connect_signals(self) -> None:
        p, c = self.panels, self.controller
        p["positions"].close_requested.connect(c.close_position)
        p["positions"].reduce_requested.connect(c.reduce_position)
        p["orders"].cancel_requested.connect(c.cancel_order)
        p["orders"].cancel_all_requested.connect(c.cancel_all)
        p["risk"].trading_state_requested.connect(c.set_trading_state)
        p["breakers"].reset_requested.connect(c.reset_breaker)
        p["breakers"].force_open_requested.connect(c.force_open_breaker)
        p["recovery"].run_now_requested.connect(c.run_recovery)
        p["recovery"].flatten_all_requested.connect(c.flatten_all)
        p["traces"].query_requested.connect(c.query_traces)
        p["traces"].trace_selected.connect(c.load_trace)
        p["alerts"].critical_alert.connect(self.notify)
        c.traces_loaded.connect(p["traces"].set_page)
        c.traces_failed.connect(p["traces"].set_error)
        c.trace_loaded.connect(p["traces"].set_detail)
        c.busy_changed.connect(self._on_busy)
        p["timeline"].timeline_requested.connect(c.load_timeline)
        p["timeline"].chain_requested.connect(c.load_chain)
        c.timeline_loaded.connect(p["timeline"].set_timeline)
        c.timeline_failed.connect(p["timeline"].set_error)
        c.chain_loaded.connect(p["timeline"].set_chain)
        c.story_loaded.connect(p["timeline"].show_story)
        c.story_loaded.connect(lambda _chain: self.show_dock("timeline"))
        for key in ("positions", "orders", "fills"):
            p[key].story_requested.connect(c.show_story)
        c.action_started.connect(lambda label: self.statusBar().showMessage(f"{label}…", 5000))
        c.action_finished.connect(self._on_action_finished)
        c.action_failed.connect(self._on_action_failed)
        for dock in self.docks.values():
            dock.visibilityChanged.connect(self._redraw_if_visible)

    def _on_busy(self, busy: frozenset[str]) -> None:
        """Rows with an action in flight: their buttons wait ("…") until it ends."""
        parts = [k.split(":") for k in busy]
        self.panels["positions"].table.set_busy(frozenset(p[1] for p in parts if p[0] == "position"))
        self.panels["orders"].table.set_busy(frozenset((p[1], int(p[2])) for p in parts if p[0] == "order"))

    # The Actions dock is where outcomes stay, with their steps and messages; the status bar only
    # says how it ended and points there (a cut-off sentence that vanished in 10 s was the old way).
    ACTIONS_HINT = "details in Actions (Ctrl+Shift+A)"

    def _on_action_finished(self, label: str, report: Any) -> None:
        verdict = "done" if report is None or report.ok else "failed"
        self.statusBar().showMessage(f"{label}: {verdict} — {self.ACTIONS_HINT}", 8000)

    def _on_action_failed(self, label: str, message: str) -> None:
        if message == "cancelled":          # the trader said no: nothing was sent, nothing to look up
            self.statusBar().showMessage(f"{label}: cancelled, nothing sent", 5000)
        elif message.startswith("read-only"):
            self.statusBar().showMessage(f"{label}: refused, read-only", 5000)
        else:
            self.statusBar().showMessage(f"{label}: not done — {self.ACTIONS_HINT}", 8000)

    # --- rendering ----------------------------------------------------------------------
    def render_snapshot(self) -> None:
        """Draw the newest snapshot if it is new (the QTimer calls this at most `render_hz`)."""
        try:
            snap = self.control.snapshot()
        except Exception as exc:
            self._render_failed("snapshot()", exc)
            return
        now = monotonic()
        if snap.version == self.version:
            if now - self._last_tick >= 0.5:
                self._last_tick = now
                self.panels["breakers"].tick()
            return
        self._last_tick = now
        self.version = snap.version
        self._snapshot = snap
        self._draw(snap)
        self.renders += 1
        self.rendered.emit(snap.version)

    @property
    def render_errors(self) -> int:
        """Draw errors so far (each kind is logged once, see `_render_failed`)."""
        return self._draw_bugs.count

    def _render_failed(self, where: str, exc: Exception) -> None:
        """A bug while drawing: logged at ERROR with its traceback once per kind (`BugLog`), never again
        per frame, and said in the status bar every time it happens."""
        self._draw_bugs.report(f"{where} drawing", exc)
        what = f"{type(exc).__name__}: {exc}"
        self.statusBar().showMessage(f"{where} failed to draw: {what} — a bug, see the log", 5000)

    def _redraw_if_visible(self, visible: bool) -> None:
        if visible:
            self._redraw_last()

    def _redraw_last(self) -> None:
        if self._snapshot is not None:
            self._draw(self._snapshot)

    def _draw(self, snap: CoreSnapshot) -> None:
        read_only = bool(snap.read_only or self.control.read_only)
        if read_only != self._read_only:
            self.set_read_only(read_only)
        for key, panel in self.panels.items():
            try:
                panel.set_snapshot(snap)
            except Exception as exc:
                self._render_failed(f"the {key} panel", exc)
        self.summary.set_snapshot(snap)
        self.status.set_snapshot(snap)
        stale = self.stale_banner.set_snapshot(snap)
        for key in ("positions", "orders", "fills"):
            self.panels[key].table.set_stale(stale)
        grey(self.summary, stale)
        title = f"perps-desktop — {venue_badge(snap.mode, snap.network)[0]}" + (" · read-only" if read_only else "")
        if self.windowTitle() != title:
            self.setWindowTitle(title)

    def set_read_only(self, read_only: bool) -> None:
        """Watch mode (or no key): every widget and menu action that acts is disabled."""
        self._read_only = read_only
        for panel in self.panels.values():
            panel.set_read_only(read_only)
        for act in self.actions_by_name.values():
            if act.property(ACTION_PROPERTY):
                act.setEnabled(not read_only)

    @property
    def read_only(self) -> bool:
        return bool(self._read_only)

    # --- notifications ------------------------------------------------------------------
    def notify(self, alert: Alert) -> None:
        """A new critical alert: tray message if there is a tray, else the status bar; always alert()."""
        self.notifications.append(alert)
        del self.notifications[:-50]
        text = f"{alert.source}: {alert.message}"
        if self.tray is not None:
            self.tray.showMessage("perps-desktop — critical", text, QSystemTrayIcon.MessageIcon.Critical, 10000)
        self.statusBar().showMessage(f"CRITICAL {text}", 15000)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.alert(self, 0)

    # --- closing ------------------------------------------------------------------------
    def save_layout(self) -> None:
        self.layout_store.save(self, self.tables(), self.theme)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hold_close:
            event.ignore()
            self.close_requested.emit()
            return
        self.timer.stop()
        self.save_layout()
        if self.bench_panel is not None and hasattr(self.bench_panel, "shutdown"):
            self.bench_panel.shutdown()         # no benchmark subprocess outlives the window
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)

    def finish_close(self) -> None:
        """Close for real (the runner calls this once the core has stopped)."""
        self.hold_close = False
        self.close()

    def action(self, name: str) -> QAction:
        return self.actions_by_name[name]

    @staticmethod
    def shortcut_text(seq: str) -> str:
        return QKeySequence(seq).toString(QKeySequence.SequenceFormat.NativeText)

