"""CachesPanel: one line a trader understands, and the per-cache table under "Details".

The line answers the only question a trader has of the caches: how many exchange reads did they
save in the last minute ("requests saved in the last minute: 83% (250 of 301 reads)"), from the
`api.*` caches' hits and misses over that minute. The table below it, folded by default, names
each cache in words (its internal name in the tooltip), with a sparkline of its recent hit rate.
A cache is red only when it should be saving requests and is not: one that sees few lookups, or
that exists to answer repeats that rarely come (a signal's risk check), is grey, not red.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from perps_desktop.app import CacheStats, CoreSnapshot
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.ui.format import fmt_count, fmt_pct
from perps_desktop.ui.table_model import Column, SnapshotTableModel
from perps_desktop.ui.table_view import DataTable
from perps_desktop.ui.theme import set_state
from perps_desktop.ui.widgets import flush_column

__all__ = ["CACHE_WORDS", "CachesPanel", "fmt_ttl", "saved_share"]

CACHE_WORDS = {
    "api.mids": "Mid prices", "api.account": "Account state", "api.orders": "Open orders",
    "api.meta": "Coin list", "api.fills": "Fills", "traces.by_id": "Trace details", "traces.pages": "Trace pages",
    "risk_signal": "Signal risk checks", "risk_position": "Position risk", "risk_portfolio": "Portfolio risk",
    "recovery": "Recovery analysis",
}
_SAVING = "api."                 # the caches that stand between the bot and the exchange
_JUDGE_FROM = 50                 # fewer lookups than this say nothing about a hit rate
WINDOW_S = 60.0


def fmt_ttl(seconds: float | None) -> str:
    """500 ms / 2 s / 5 min / 1 h ("off" for no TTL)."""
    if not seconds:
        return "off"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min" if seconds < 3600 else f"{seconds / 3600:g} h"


def saved_share(then: tuple[int, int], now: tuple[int, int]) -> tuple[float | None, int, int]:
    """(share of reads answered from cache, hits, lookups) between two (hits, misses) totals."""
    hits, misses = now[0] - then[0], now[1] - then[1]
    total = hits + misses
    return (hits / total if total > 0 else None), hits, total


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    s: CacheStats
    recent: tuple[float, ...]          # hit rate per sample interval, oldest first


def _rate_tone(r: _Row) -> str | None:
    lookups = r.s.hits + r.s.misses
    if r.s.hit_rate >= 0.8 and lookups:
        return "pos"
    if not r.s.name.startswith(_SAVING) or lookups < _JUDGE_FROM:
        return "muted"                  # empty or unrepeated by design, or too few lookups to judge
    return "warn" if r.s.hit_rate >= 0.5 else "neg"


def _rate_tip(r: _Row) -> str:
    lookups = r.s.hits + r.s.misses
    if not lookups:
        return "No lookups yet: nothing has asked this cache"
    judged = "" if r.s.name.startswith(_SAVING) else " (answers repeats only; a low rate here costs no request)"
    few = " — too few lookups to judge" if lookups < _JUDGE_FROM else ""
    return f"{r.s.hits:,} of {lookups:,} lookups answered from the cache{few}{judged}"


class CachesPanel(QWidget):
    """The requests-saved line, a Details toggle, and the per-cache table it shows."""

    def __init__(self, *, sample_s: float = 2.0, history: int = 60, clock: Clock = SYSTEM_CLOCK,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cachesPanel")
        self._clock = clock.monotonic
        self.sample_s = sample_s
        self._history: dict[str, deque[float]] = {}
        self._last: dict[str, tuple[int, int]] = {}
        self._last_sample = 0.0
        self._history_len = history
        self._totals: deque[tuple[float, int, int]] = deque()     # (time, api hits, api misses) per sample
        columns: tuple[Column[_Row], ...] = (
            Column(key="name", title="Cache", value=lambda r: CACHE_WORDS.get(r.s.name, r.s.name), width=130,
                   tooltip=lambda r: f"{r.s.name}: {CACHE_WORDS.get(r.s.name, 'an internal cache')}"),
            Column(key="rate", title="Hit rate", value=lambda r: r.s.hit_rate * 100, fmt=fmt_pct, align="right",
                   width=68, tone=_rate_tone, tooltip=_rate_tip, header_tip="Hits / (hits + misses) since start"),
            Column(key="spark", title="Recent", value=lambda r: r.recent, spark=True, width=110,
                   header_tip=f"Hit rate per {sample_s:g} s interval, last {history * sample_s / 60:g} minutes"),
            Column(key="hits", title="Hits", value=lambda r: r.s.hits, fmt=fmt_count, align="right", width=64),
            Column(key="misses", title="Misses", value=lambda r: r.s.misses, fmt=fmt_count, align="right", width=68),
            Column(key="evictions", title="Evicted", value=lambda r: r.s.evictions, fmt=fmt_count, align="right",
                   width=70, tone=lambda r: "warn" if r.s.evictions else "muted",
                   header_tip="Entries pushed out because the cache was full"),
            Column(key="expired", title="Expired", value=lambda r: r.s.expirations, fmt=fmt_count, align="right",
                   width=70, tone=lambda r: "muted", header_tip="Entries dropped because their TTL ran out"),
            Column(key="dedup", title="Folded", value=lambda r: r.s.deduplicated, fmt=fmt_count, align="right",
                   width=64, header_tip="Concurrent loads folded into one (single-flight)"),
            Column(key="size", title="Size", value=lambda r: r.s.size, align="right", width=56,
                   fmt=lambda v: fmt_count(v), tooltip=lambda r: f"{r.s.size} of {r.s.maxsize} entries"),
            Column(key="ttl", title="TTL", value=lambda r: r.s.ttl_s, align="right", width=60, fmt=fmt_ttl,
                   header_tip="How long an entry stays fresh"),
        )
        self.model: SnapshotTableModel[_Row] = SnapshotTableModel(columns, key=lambda r: r.s.name, parent=self)
        self.table = DataTable(self.model, object_name="cachesTable", accessible_name="Caches", parent=self)
        self.table.setVisible(False)
        self.headline = QLabel("Requests saved in the last minute: –", self)
        self.headline.setObjectName("cachesHeadline")
        self.headline.setAccessibleName("Requests saved by the caches")
        self.headline.setWordWrap(True)
        self.details_button = QToolButton(self)
        self.details_button.setObjectName("cachesDetailsButton")
        self.details_button.setAccessibleName("Show the table of every cache")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self.table.setVisible)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 6, 8, 6)
        bar.addWidget(self.headline, 1)
        bar.addWidget(self.details_button)
        self.budget = QLabel("–", self)     # the venue's request budget (the API caches' reason to be)
        self.budget.setObjectName("rateBudgetDetail")
        self.budget.setAccessibleName("Venue request budget")
        self.budget.setWordWrap(True)
        self._filler = QWidget(self)
        flush_column(self, bar, self.budget, self.table, (self._filler, 1))
        self.details_button.toggled.connect(lambda on: self._filler.setVisible(not on))

    def set_read_only(self, read_only: bool) -> None:
        pass

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        if snap.budget is not None and self.budget.text() != (text := snap.budget.detail()):
            self.budget.setText(text)
            set_state(self.budget, "level", snap.budget.level)
        stats = snap.caches or (snap.monitor.caches if snap.monitor is not None else ())
        now = self._clock()
        if now - self._last_sample >= self.sample_s or not self._totals:
            self._last_sample = now
            self._sample(stats, now)
        self._set_headline()
        self.model.set_rows([_Row(s=s, recent=tuple(self._history.get(s.name, ()))) for s in stats])

    def _sample(self, stats: tuple[CacheStats, ...], now: float) -> None:
        for s in stats:
            hits0, misses0 = self._last.get(s.name, (s.hits, s.misses))
            dh, dm = s.hits - hits0, s.misses - misses0
            hist = self._history.setdefault(s.name, deque(maxlen=self._history_len))
            if dh + dm > 0:
                hist.append(dh / (dh + dm))
            elif hist:
                hist.append(hist[-1])
            self._last[s.name] = (s.hits, s.misses)
        api = [s for s in stats if s.name.startswith(_SAVING)]
        self._totals.append((now, sum(s.hits for s in api), sum(s.misses for s in api)))
        while len(self._totals) > 2 and now - self._totals[1][0] >= WINDOW_S:
            self._totals.popleft()          # keep one sample at least a minute old

    def _set_headline(self) -> None:
        if not self._totals:
            return
        (t0, h0, m0), (t1, h1, m1) = self._totals[0], self._totals[-1]
        share, hits, total = saved_share((h0, m0), (h1, m1))
        if t1 - t0 < 0.9 * WINDOW_S or share is None:        # the first minute: since start instead
            share, hits, total = saved_share((0, 0), (h1, m1))
            span = "since start"
        else:
            span = "in the last minute"
        text = (f"Requests saved {span}: {fmt_pct(share * 100, decimals=0)} ({hits:,} of {total:,} reads "
                "answered from cache)" if share is not None else "Requests saved: no exchange reads yet")
        if self.headline.text() != text:
            self.headline.setText(text)
            self.headline.setToolTip("Reads of mid prices, the account, open orders and the coin list that the "
                                     "caches answered instead of the exchange (each saved read is request weight "
                                     "left for orders)")
