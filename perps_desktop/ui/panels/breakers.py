"""BreakersPanel: one row per circuit breaker, its state in colour, the retry countdown; Reset / Force open."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from perps_desktop.app import BreakerSnapshot, BreakerState, CoreSnapshot
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.ui.format import DASH, fmt_age, fmt_count, fmt_ms
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable, RowAction
from perps_desktop.ui.widgets import flush_column

__all__ = ["STATE_TEXT", "BreakersPanel"]

STATE_TEXT = {
    BreakerState.CLOSED: "CLOSED", BreakerState.HALF_OPEN: "HALF-OPEN", BreakerState.OPEN: "OPEN",
    BreakerState.FORCED_OPEN: "FORCED OPEN", BreakerState.DISABLED: "DISABLED",
}
_STATE_TONE = {
    BreakerState.CLOSED: "ok-bg", BreakerState.HALF_OPEN: "warn-bg", BreakerState.OPEN: "crit-bg",
    BreakerState.FORCED_OPEN: "crit-bg", BreakerState.DISABLED: "muted",
}


def _short_error(error: str | None) -> str:
    """The error's kind ("TransportError"), not its sentence: the cell stays readable; the tooltip
    keeps the rest."""
    if not error:
        return ""
    head = error.split(":", 1)[0].strip()
    return head if len(head) <= 22 else head[:21] + "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    b: BreakerSnapshot
    retry_in: float | None      # seconds until the next half-open probe (counts down)
    age_s: float


class BreakersPanel(QWidget):
    """Breakers with Reset and Force open per row; `tick()` moves the countdowns between snapshots."""

    reset_requested = Signal(str)
    """Reset was clicked on a row: (breaker name)."""
    force_open_requested = Signal(str)
    """Force open was clicked on a row: (breaker name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakersPanel")
        columns: tuple[Column[_Row], ...] = (
            Column(key="name", title="Breaker", value=lambda r: r.b.name, width=118),
            Column(key="state", title="State", value=lambda r: STATE_TEXT.get(r.b.state, str(r.b.state)),
                   tone=lambda r: _STATE_TONE.get(r.b.state), align="center", width=100),
            Column(key="failures", title="Fails", value=lambda r: r.b.consecutive_failures, align="right", width=50,
                   fmt=fmt_count, header_tip="Consecutive failures",
                   tooltip=lambda r: f"{r.b.consecutive_failures} in a row, {r.b.failures} in the window",
                   tone=lambda r: "warn" if r.b.consecutive_failures else None),
            Column(key="retry", title="Retry in", value=lambda r: r.retry_in, align="right", width=68,
                   fmt=lambda v: DASH if v is None else fmt_age(v), tone=lambda r: "warn" if r.retry_in else None,
                   tooltip=lambda r: f"recovery attempt {r.b.recovery_attempts}",
                   header_tip="Time until the next half-open probe (counts down)"),
            Column(key="since", title="Since", value=lambda r: int(r.age_s), fmt=fmt_age, align="right", width=56,
                   tone=lambda r: "muted", header_tip="Time in the current state"),
            Column(key="calls", title="Calls", value=lambda r: r.b.calls, fmt=fmt_count, align="right", width=56),
            Column(key="rejected", title="Rej.", value=lambda r: r.b.rejected, fmt=fmt_count, align="right",
                   width=44, tone=lambda r: "warn" if r.b.rejected else "muted",
                   header_tip="Calls refused while open"),
            Column(key="avg", title="Avg", value=lambda r: r.b.avg_response_ms, fmt=fmt_ms, align="right", width=76),
            Column(key="actions", title="", value=lambda r: None, fmt=lambda v: "", width=58),
            Column(key="error", title="Last error", value=lambda r: _short_error(r.b.last_error), width=120,
                   tone=lambda r: "neg" if r.b.last_error and r.b.state != BreakerState.CLOSED else "muted",
                   tooltip=lambda r: r.b.last_error or "no error"),
        )
        self.model: SnapshotTableModel[_Row] = SnapshotTableModel(columns, key=lambda r: r.b.name, parent=self)
        self.table = DataTable(
            self.model, object_name="breakersTable", accessible_name="Circuit breakers", action_column="actions",
            actions=(
                RowAction(name="reset", text="Reset", icon="↺", object_name="resetBreakerButton",
                          accessible="Reset breaker {label}", tip="close the breaker and clear its failures"),
                RowAction(name="force_open", text="Force open", icon="⊘", object_name="forceOpenBreakerButton",
                          accessible="Force open breaker {label}",
                          tip="block every call through it until reset, the trader's own included: "
                              "exchange_orders refuses the strategy's orders and your Close, Reduce, Cancel "
                              "and Flatten all; position_recovery refuses Run recovery; exchange_info "
                              "pauses trading",
                          danger=True),
            ),
            parent=self,
        )
        self.table.row_action.connect(self._on_row_action)
        self.summary = QLabel("", self)
        self.summary.setObjectName("breakersSummary")
        flush_column(self, self.table, self.summary)
        self._breakers: tuple[BreakerSnapshot, ...] = ()

    def _on_row_action(self, name: str, key: object) -> None:
        (self.reset_requested if name == "reset" else self.force_open_requested).emit(str(key))

    def set_read_only(self, read_only: bool) -> None:
        self.table.set_actions_enabled(not read_only)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self._breakers = snap.breakers
        self.tick(snap.time_ms)

    def tick(self, now_ms: int | None = None) -> None:
        """Re-render countdowns and ages (only those cells change)."""
        mono = monotonic()
        wall = now_ms if now_ms is not None else wall_ms()
        rows = [_Row(b=b, retry_in=None if b.next_retry_at is None else round(max(0.0, b.next_retry_at - mono), 1),
                     age_s=max(0.0, (wall - b.last_change_ms) / 1000) if b.last_change_ms else 0.0)
                for b in self._breakers]
        self.model.set_rows(rows)
        bad = [b.name for b in self._breakers if b.state in (BreakerState.OPEN, BreakerState.FORCED_OPEN)]
        text = (f"{len(bad)} open: {', '.join(bad)}" if bad else
                f"All {len(self._breakers)} breakers closed" if self._breakers else "No breakers")
        if self.summary.text() != text:
            self.summary.setText(text)

    def state_text(self, name: str) -> str | None:
        return self.model.text(name, "state")
