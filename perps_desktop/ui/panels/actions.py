"""ActionsPanel: every action the trader took — what, when, done / failed / refused, and how long it took."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from perps_desktop.app import ActionRecord, CoreSnapshot
from perps_desktop.ui.format import fmt_ms, fmt_time
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.widgets import flush_column

__all__ = ["ActionsPanel"]

_TONE = {"done": "pos", "failed": "neg", "refused": "warn"}


class ActionsPanel(QWidget):
    """The core's action journal (newest first); read-only, so watch mode changes nothing here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionsPanel")
        columns: tuple[Column[ActionRecord], ...] = (
            Column(key="time", title="Time", value=lambda r: r.time_ms, fmt=fmt_time, width=70),
            Column(key="what", title="What", value=lambda r: r.what, width=170),
            Column(key="outcome", title="Outcome", value=lambda r: r.outcome, width=80,
                   tone=lambda r: _TONE.get(r.outcome)),
            Column(key="latency", title="Latency", value=lambda r: r.latency_ms if r.outcome != "refused" else None,
                   fmt=fmt_ms, align="right", width=70, header_tip="Asked to answered"),
            Column(key="message", title="Message", value=lambda r: r.message, width=380,
                   tooltip=lambda r: r.message),
        )
        self.model: SnapshotTableModel[ActionRecord] = SnapshotTableModel(
            columns, key=lambda r: (r.time_ms, r.what, r.outcome, r.message), parent=self)
        self.table = DataTable(self.model, object_name="actionsTable", accessible_name="Actions", sortable=False,
                               parent=self)
        self.summary = QLabel("No actions yet", self)
        self.summary.setObjectName("actionsSummary")
        flush_column(self, self.table, self.summary)
        self._records: tuple[ActionRecord, ...] = ()

    def set_read_only(self, read_only: bool) -> None:
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        if snap.actions == self._records:
            return
        self._records = snap.actions
        self.model.set_rows(list(snap.actions))
        failed = sum(r.outcome == "failed" for r in snap.actions)
        refused = sum(r.outcome == "refused" for r in snap.actions)
        text = (f"{len(snap.actions)} action(s) · {failed} failed · {refused} refused" if snap.actions
                else "No actions yet")
        if self.summary.text() != text:
            self.summary.setText(text)
