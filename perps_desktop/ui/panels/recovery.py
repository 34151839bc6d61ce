"""RecoveryPanel: what position recovery finds now, what it did recently; Run now and Flatten all."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from perps_desktop.app import CoreSnapshot, RecoveryAction, RecoveryFinding, Severity
from perps_desktop.ui.format import fmt_pct, fmt_time
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column

__all__ = ["SEVERITY_TONE", "RecoveryPanel"]

SEVERITY_TONE = {Severity.INFO: "muted", Severity.WARNING: "warn", Severity.ERROR: "neg", Severity.CRITICAL: "crit-bg"}
_ACTION_TONE = {"CLOSE": "neg", "REDUCE": "warn", "ALERT": "accent"}


class RecoveryPanel(QWidget):
    """Findings (with their proposed action), recent recovery actions, and the two big buttons."""

    run_now_requested = Signal()
    """Run now was clicked."""
    flatten_all_requested = Signal()
    """Flatten all was clicked (the controller still asks for confirmation)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryPanel")
        findings: tuple[Column[RecoveryFinding], ...] = (
            Column(key="symbol", title="Symbol", value=lambda f: f.symbol, width=70),
            Column(key="problem", title="Problem", value=lambda f: f.problem.replace("_", " "), width=120),
            Column(key="severity", title="Severity", value=lambda f: f.severity.name, width=76,
                   tone=lambda f: SEVERITY_TONE.get(f.severity)),
            Column(key="action", title="Proposed", value=lambda f: f.action, width=86,
                   tone=lambda f: _ACTION_TONE.get(f.action)),
            Column(key="fraction", title="Cut",
                   value=lambda f: f.reduce_fraction * 100 if f.action == "REDUCE" else None,
                   fmt=lambda v: fmt_pct(v, decimals=0), align="right", width=50),
            Column(key="reason", title="Reason", value=lambda f: f.reason, width=260),
        )
        self.findings_model: SnapshotTableModel[RecoveryFinding] = SnapshotTableModel(
            findings, key=lambda f: (f.symbol, f.problem), parent=self)
        self.findings_table = DataTable(self.findings_model, object_name="findingsTable",
                                        accessible_name="Recovery findings", parent=self)
        history: tuple[Column[RecoveryAction], ...] = (
            Column(key="time", title="Time", value=lambda a: a.report.time_ms, fmt=fmt_time, width=70),
            Column(key="symbol", title="Symbol", value=lambda a: a.finding.symbol, width=70),
            Column(key="action", title="Action", value=lambda a: a.finding.action, width=70,
                   tone=lambda a: _ACTION_TONE.get(a.finding.action)),
            Column(key="attempt", title="Try", value=lambda a: a.attempt, align="right", width=40),
            Column(key="result", title="Result", value=lambda a: "ok" if a.report.ok else "failed", width=60,
                   tone=lambda a: "pos" if a.report.ok else "neg"),
            Column(key="message", title="Details", width=300,
                   value=lambda a: a.report.message or "; ".join(s.what for s in a.report.steps),
                   tooltip=lambda a: "\n".join(f"{'✓' if s.ok else '✗'} {s.what} {s.detail}" for s in a.report.steps)),
        )
        self.history_model: SnapshotTableModel[RecoveryAction] = SnapshotTableModel(
            history, key=lambda a: (a.report.time_ms, a.finding.symbol, a.finding.problem, a.attempt), parent=self)
        self.history_table = DataTable(self.history_model, object_name="recoveryHistoryTable",
                                       accessible_name="Recovery history", sortable=False, parent=self)

        self.run_button = QPushButton("Run now", self)
        self.run_button.setObjectName("runRecoveryButton")
        self.run_button.setAccessibleName("Run position recovery now")
        self.run_button.setToolTip("Analyse every position now and act on what is found")
        self.flatten_button = QPushButton("Flatten all…", self)
        self.flatten_button.setObjectName("flattenAllButton")
        self.flatten_button.setAccessibleName("Flatten all positions")
        self.flatten_button.setToolTip("Close every position and cancel every order (asks first) — Ctrl+Shift+F")
        self.flatten_button.setProperty("danger", True)
        for b in (self.run_button, self.flatten_button):
            b.setProperty(ACTION_PROPERTY, True)
        self.run_button.clicked.connect(self.run_now_requested)
        self.flatten_button.clicked.connect(self.flatten_all_requested)
        self.status = QLabel("No findings", self)
        self.status.setObjectName("recoveryStatus")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.run_button)
        bar.addWidget(self.flatten_button)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("recoverySplitter")
        top = QWidget(split)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.findings_table)
        bottom = QWidget(split)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(0)
        caption = QLabel("Recent actions", bottom)
        caption.setObjectName("sectionCaption")
        bl.addWidget(caption)
        bl.addWidget(self.history_table)
        split.addWidget(top)
        split.addWidget(bottom)
        flush_column(self, bar, (split, 1))

    def set_read_only(self, read_only: bool) -> None:
        self.run_button.setEnabled(not read_only)
        self.flatten_button.setEnabled(not read_only)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.findings_model.set_rows(snap.findings)
        self.history_model.set_rows(tuple(reversed(snap.recovery_history)) if _oldest_first(snap.recovery_history)
                                    else snap.recovery_history)
        n = len(snap.findings)
        worst = max((f.severity for f in snap.findings), default=None)
        text = (f"{n} finding{'s' if n != 1 else ''}" + (f", worst {worst.name.lower()}" if worst is not None else "")
                if n else "No findings: every position looks healthy")
        if self.status.text() != text:
            self.status.setText(text)


def _oldest_first(history: tuple[RecoveryAction, ...]) -> bool:
    return len(history) > 1 and history[0].report.time_ms < history[-1].report.time_ms
