"""AlertsPanel: the core's alerts, newest first, filtered by severity; new critical ones are announced."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from perps_desktop.app import Alert, CoreSnapshot, Severity
from perps_desktop.ui.format import fmt_time
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column

__all__ = ["AlertsPanel"]

_TONE = {Severity.INFO: "muted", Severity.WARNING: "warn", Severity.ERROR: "neg", Severity.CRITICAL: "crit-bg"}


class AlertsPanel(QWidget):
    """Alerts with a minimum-severity filter."""

    critical_alert = Signal(object)
    """A critical alert not seen before arrived: (Alert)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertsPanel")
        self.filter = QComboBox(self)
        self.filter.setObjectName("alertSeverityFilter")
        self.filter.setAccessibleName("Minimum alert severity")
        for s in Severity:
            self.filter.addItem(f"{s.name.title()} and above" if s < Severity.CRITICAL else "Critical only", int(s))
        self.count = QLabel("No alerts", self)
        self.count.setObjectName("alertsSummary")
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        bar.addWidget(self.count, 1)
        bar.addWidget(self.filter)
        columns: tuple[Column[Alert], ...] = (
            Column(key="time", title="Time", value=lambda a: a.time_ms, fmt=fmt_time, width=70),
            Column(key="severity", title="Severity", value=lambda a: a.severity.name, width=76,
                   tone=lambda a: _TONE.get(a.severity)),
            Column(key="source", title="Source", value=lambda a: a.source, width=90),
            Column(key="message", title="Message", value=lambda a: a.message, width=360, tooltip=lambda a: a.message),
            Column(key="count", title="×", value=lambda a: a.count, align="right", width=40,
                   header_tip="Repeats folded into this alert by the cooldown"),
        )
        self.model: SnapshotTableModel[Alert] = SnapshotTableModel(columns, key=lambda a: (a.key, a.time_ms),
                                                                   parent=self)
        self.table = DataTable(self.model, object_name="alertsTable", accessible_name="Alerts", sortable=False,
                               parent=self)
        flush_column(self, bar, self.table)
        self._alerts: tuple[Alert, ...] = ()
        self._announced: set[tuple[str, int]] = set()
        self.filter.currentIndexChanged.connect(lambda _: self._apply())

    def set_read_only(self, read_only: bool) -> None:
        pass

    def set_min_severity(self, severity: Severity) -> None:
        self.filter.setCurrentIndex(self.filter.findData(int(severity)))

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        if snap.alerts is self._alerts:
            return
        self._alerts = snap.alerts
        for a in snap.alerts:
            k = (a.key, a.time_ms)
            if a.severity >= Severity.CRITICAL and k not in self._announced:
                self._announced.add(k)
                self.critical_alert.emit(a)
        if len(self._announced) > 1000:     # bounded: forget keys no longer shown
            shown = {(a.key, a.time_ms) for a in snap.alerts}
            self._announced &= shown
        self._apply()

    def _apply(self) -> None:
        floor = self.filter.currentData() or 0
        rows = [a for a in self._alerts if int(a.severity) >= floor]
        self.model.set_rows(rows)
        crit = sum(1 for a in self._alerts if a.severity >= Severity.ERROR)
        n = len(self._alerts)
        text = (f"{n} alert{'s' if n != 1 else ''}" + (f", {crit} error or worse" if crit else "")
                if n else "No alerts")
        if len(rows) != n:
            text += f" · {len(rows)} shown"
        if self.count.text() != text:
            self.count.setText(text)
