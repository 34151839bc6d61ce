"""Alerts with cooldown-based dedup and a bounded history: the one place an outage is announced.

An alert has a `key` ("breaker:exchange_info:open"); the same key raised again within its
cooldown is folded into the alert already shown (its `count` grows) instead of being repeated,
so a burst of failures is one line in the window, not hundreds. Delivered alerts go to sinks
(log, window, metrics) that the app attaches; a sink that raises is logged and skipped.

A folded repeat is the hot path (a flapping check raises the same key every round), so it only
bumps a mutable internal record; the frozen `Alert` values the window sees are built when
`history()` is asked for, once per change.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import Alert, Severity

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["AlertConfig", "AlertManager", "AlertSink", "log_sink"]

_log = logging.getLogger(__name__)

AlertSink = Callable[[Alert], None]

_LEVELS = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING,
           Severity.ERROR: logging.ERROR, Severity.CRITICAL: logging.CRITICAL}


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertConfig:
    """Cooldowns (ms) per alert source and the history bound."""

    default_cooldown_ms: int = 300_000          # CB_ALERT_COOLDOWN_MS
    breaker_cooldown_ms: int = 300_000          # CB_ALERT_COOLDOWN_MS: source "breaker"
    recovery_cooldown_ms: int = 300_000         # RECOVERY_ALERT_COOLDOWN_MS: source "recovery"
    history_size: int = 100                     # ALERT_HISTORY_SIZE: alerts kept for the window
    max_keys: int = 4096                        # dedup state kept for this many distinct keys (LRU)

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertConfig:
        return cls(default_cooldown_ms=settings.breakers.cb_alert_cooldown_ms,
                   breaker_cooldown_ms=settings.breakers.cb_alert_cooldown_ms,
                   recovery_cooldown_ms=settings.recovery.recovery_alert_cooldown_ms,
                   history_size=settings.engine.alert_history_size)

    def cooldown_for(self, source: str) -> int:
        if source == "breaker":
            return self.breaker_cooldown_ms
        if source == "recovery":
            return self.recovery_cooldown_ms
        return self.default_cooldown_ms


class _Shown:
    """One delivered alert as kept inside the manager: mutable, so a folded repeat is two stores."""

    __slots__ = ("alert", "count", "sent_ms", "seq", "severity")

    def __init__(self, alert: Alert, seq: int) -> None:
        self.alert = alert                  # as last built (delivered, or the last snapshot)
        self.seq = seq
        self.sent_ms = alert.time_ms
        self.count = alert.count
        self.severity = alert.severity

    def frozen(self) -> Alert:
        a = self.alert
        if a.count != self.count or a.severity is not self.severity:
            a = self.alert = replace(a, count=self.count, severity=self.severity)
        return a


class AlertManager:
    """Raise alerts; repeats of a key within its cooldown are counted into the shown alert.

    `raise_alert` returns the Alert when it was delivered to the sinks, None when it was folded
    into an earlier one. `history()` is newest first and holds at most `history_size` alerts.
    """

    def __init__(self, config: AlertConfig | None = None, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config or AlertConfig()
        self._now_ms = clock.wall_ms
        self._sinks: list[AlertSink] = []
        self.bugs = BugLog(_log)
        self._seq = 0
        self._history: OrderedDict[int, _Shown] = OrderedDict()  # seq -> shown alert, oldest first
        self._last: OrderedDict[str, _Shown] = OrderedDict()     # key -> its last delivered alert (LRU)
        self._snapshot: tuple[Alert, ...] | None = None           # history() until the next change
        self.delivered = 0
        self.suppressed = 0
        self.by_severity: dict[str, int] = {s.name.lower(): 0 for s in Severity}

    # --- sinks ------------------------------------------------------------------------------

    def add_sink(self, sink: AlertSink) -> None:
        """Call `sink(alert)` for every delivered alert (not for folded repeats)."""
        self._sinks.append(sink)

    def remove_sink(self, sink: AlertSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    # --- raising ----------------------------------------------------------------------------

    def raise_alert(self, key: str, source: str, severity: Severity, message: str, *,
                    cooldown_ms: int | None = None) -> Alert | None:
        """Deliver an alert, or fold it into the last one with this key if within the cooldown."""
        now = self._now_ms()
        cooldown = self.config.cooldown_for(source) if cooldown_ms is None else cooldown_ms
        last = self._last.get(key)
        if last is not None and now - last.sent_ms < cooldown:
            self.suppressed += 1
            self._last.move_to_end(key)
            last.count += 1                 # counted even once it has left the bounded history: harmless
            if severity > last.severity:
                last.severity = severity
            self._snapshot = None
            return None
        self._seq += 1
        alert = Alert(key=key, source=source, severity=severity, message=message, time_ms=now)
        shown = _Shown(alert, self._seq)
        self._history[self._seq] = shown
        while len(self._history) > self.config.history_size:
            self._history.popitem(last=False)
        self._last[key] = shown
        self._last.move_to_end(key)
        self._snapshot = None
        while len(self._last) > self.config.max_keys:
            self._last.popitem(last=False)
        self.delivered += 1
        self.by_severity[severity.name.lower()] += 1
        for sink in tuple(self._sinks):
            try:
                sink(alert)
            except Exception as exc:    # a sink's bug: the others still get the alert; logged once per kind
                self.bugs.report(f"alert sink {sink!r}", exc)
        return alert

    def info(self, key: str, source: str, message: str) -> Alert | None:
        return self.raise_alert(key, source, Severity.INFO, message)

    def warning(self, key: str, source: str, message: str) -> Alert | None:
        return self.raise_alert(key, source, Severity.WARNING, message)

    def error(self, key: str, source: str, message: str) -> Alert | None:
        return self.raise_alert(key, source, Severity.ERROR, message)

    def critical(self, key: str, source: str, message: str) -> Alert | None:
        return self.raise_alert(key, source, Severity.CRITICAL, message)

    def forget(self, key: str) -> None:
        """End the cooldown of `key` (e.g. the problem was resolved): its next alert is shown."""
        self._last.pop(key, None)

    # --- reading ----------------------------------------------------------------------------

    def history(self) -> tuple[Alert, ...]:
        """Delivered alerts, newest first, with folded repeats in their `count` (frozen values)."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = tuple(s.frozen() for s in reversed(self._history.values()))
        return snap

    def __len__(self) -> int:
        return len(self._history)

    def clear(self) -> None:
        self._history.clear()
        self._last.clear()
        self._snapshot = None

    def counters(self) -> dict[str, int]:
        out = {"alerts_delivered": self.delivered, "alerts_suppressed": self.suppressed}
        out.update({f"alerts_{k}": v for k, v in self.by_severity.items()})
        return out


def log_sink(logger: logging.Logger | None = None) -> AlertSink:
    """A sink that writes each delivered alert to the log at its severity's level."""
    target = logger or logging.getLogger("perps_desktop.alerts")

    def sink(alert: Alert) -> None:
        target.log(_LEVELS.get(alert.severity, logging.WARNING), "alert [%s] %s: %s",
                   alert.source, alert.key, alert.message)

    return sink
