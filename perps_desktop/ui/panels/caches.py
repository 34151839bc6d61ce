"""CachesPanel: every cache's hit rate, counters and size, with a sparkline of its recent hit rate."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtWidgets import QLabel, QWidget

from perps_desktop.app import CacheStats, CoreSnapshot
from perps_desktop.ui.format import fmt_count, fmt_pct
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.theme import set_state
from perps_desktop.ui.widgets import flush_column

__all__ = ["CachesPanel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    s: CacheStats
    recent: tuple[float, ...]          # hit rate per sample interval, oldest first


def _rate_tone(r: _Row) -> str | None:
    if r.s.hits + r.s.misses == 0:
        return "muted"
    rate = r.s.hit_rate
    return "pos" if rate >= 0.8 else ("warn" if rate >= 0.5 else "neg")


class CachesPanel(QWidget):
    """Cache stats; the sparkline shows the hit rate of each interval (not the cumulative one)."""

    def __init__(self, *, sample_s: float = 2.0, history: int = 60, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cachesPanel")
        self.sample_s = sample_s
        self._history: dict[str, deque[float]] = {}
        self._last: dict[str, tuple[int, int]] = {}
        self._last_sample = 0.0
        self._history_len = history
        columns: tuple[Column[_Row], ...] = (
            Column(key="name", title="Cache", value=lambda r: r.s.name, width=130),
            Column(key="rate", title="Hit rate", value=lambda r: r.s.hit_rate * 100, fmt=fmt_pct, align="right",
                   width=64, tone=_rate_tone, header_tip="Hits / (hits + misses) since start"),
            Column(key="spark", title="Recent", value=lambda r: r.recent, spark=True, width=120,
                   header_tip=f"Hit rate per {sample_s:g} s interval, last {history * sample_s / 60:g} minutes"),
            Column(key="hits", title="Hits", value=lambda r: r.s.hits, fmt=fmt_count, align="right", width=70),
            Column(key="misses", title="Misses", value=lambda r: r.s.misses, fmt=fmt_count, align="right", width=64),
            Column(key="evictions", title="Evict.", value=lambda r: r.s.evictions, fmt=fmt_count, align="right",
                   width=56, tone=lambda r: "warn" if r.s.evictions else "muted"),
            Column(key="expired", title="Expired", value=lambda r: r.s.expirations, fmt=fmt_count, align="right",
                   width=60, tone=lambda r: "muted"),
            Column(key="dedup", title="Dedup", value=lambda r: r.s.deduplicated, fmt=fmt_count, align="right",
                   width=56, header_tip="Concurrent loads folded into one (single-flight)"),
            Column(key="size", title="Size", value=lambda r: r.s.size, align="right", width=80,
                   fmt=lambda v: fmt_count(v), tooltip=lambda r: f"{r.s.size} of {r.s.maxsize} entries"),
            Column(key="ttl", title="TTL", value=lambda r: r.s.ttl_s, align="right", width=56,
                   fmt=lambda v: "off" if not v else (f"{v * 1000:.0f} ms" if v < 1 else f"{v:g} s")),
        )
        self.model: SnapshotTableModel[_Row] = SnapshotTableModel(columns, key=lambda r: r.s.name, parent=self)
        self.table = DataTable(self.model, object_name="cachesTable", accessible_name="Caches", parent=self)
        self.budget = QLabel("–", self)     # the venue's request budget (the API caches' reason to be)
        self.budget.setObjectName("rateBudgetDetail")
        self.budget.setAccessibleName("Venue request budget")
        self.budget.setWordWrap(True)
        flush_column(self, self.budget, self.table)

    def set_read_only(self, read_only: bool) -> None:
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        if snap.budget is not None and self.budget.text() != (text := snap.budget.detail()):
            self.budget.setText(text)
            set_state(self.budget, "level", snap.budget.level)
        stats = snap.caches or (snap.monitor.caches if snap.monitor is not None else ())
        now = time.monotonic()
        if now - self._last_sample >= self.sample_s:
            self._last_sample = now
            for s in stats:
                hits0, misses0 = self._last.get(s.name, (s.hits, s.misses))
                dh, dm = s.hits - hits0, s.misses - misses0
                hist = self._history.setdefault(s.name, deque(maxlen=self._history_len))
                if dh + dm > 0:
                    hist.append(dh / (dh + dm))
                elif hist:
                    hist.append(hist[-1])
                self._last[s.name] = (s.hits, s.misses)
        self.model.set_rows([_Row(s=s, recent=tuple(self._history.get(s.name, ()))) for s in stats])
