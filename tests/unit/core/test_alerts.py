"""AlertManager: cooldown dedup by key, bounded history, sinks."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from perps_desktop.config import Settings
from perps_desktop.core import AlertConfig, AlertManager, log_sink
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import Alert, Severity


def test_repeats_within_the_cooldown_are_counted_not_delivered() -> None:
    clock = ManualClock()
    alerts = AlertManager(AlertConfig(default_cooldown_ms=1000), clock=clock)
    seen: list[Alert] = []
    alerts.add_sink(seen.append)
    first = alerts.warning("k", "exchange", "down")
    assert first is not None
    clock.advance(0.5)
    assert alerts.warning("k", "exchange", "still down") is None
    assert alerts.error("k", "exchange", "still down") is None
    assert len(seen) == 1
    (shown,) = alerts.history()
    assert shown.count == 3
    assert shown.severity == Severity.ERROR      # the worst of the folded repeats
    assert alerts.suppressed == 2


def test_after_the_cooldown_the_key_alerts_again() -> None:
    clock = ManualClock()
    alerts = AlertManager(AlertConfig(default_cooldown_ms=1000), clock=clock)
    alerts.info("k", "x", "one")
    clock.advance(1)
    assert alerts.info("k", "x", "two") is not None
    assert [a.message for a in alerts.history()] == ["two", "one"]


def test_different_keys_do_not_fold() -> None:
    alerts = AlertManager(AlertConfig(default_cooldown_ms=10_000))
    alerts.warning("a", "x", "1")
    alerts.warning("b", "x", "2")
    assert len(alerts.history()) == 2


def test_cooldown_per_source_comes_from_the_settings() -> None:
    cfg = AlertConfig.from_settings(Settings(cb_alert_cooldown_ms=111, recovery_alert_cooldown_ms=222,
                                             alert_history_size=7))
    assert cfg.cooldown_for("breaker") == 111
    assert cfg.cooldown_for("recovery") == 222
    assert cfg.cooldown_for("other") == 111
    assert cfg.history_size == 7
    clock = ManualClock()
    alerts = AlertManager(cfg, clock=clock)
    alerts.warning("r", "recovery", "1")
    clock.advance(0.15)
    assert alerts.warning("r", "recovery", "2") is None      # 150 < 222
    alerts.warning("b", "breaker", "1")
    clock.advance(0.15)
    assert alerts.warning("b", "breaker", "2") is not None   # 150 >= 111


def test_history_is_bounded_and_newest_first() -> None:
    alerts = AlertManager(AlertConfig(history_size=5, default_cooldown_ms=0))
    for i in range(20):
        alerts.info(f"k{i}", "x", str(i))
    assert [a.message for a in alerts.history()] == ["19", "18", "17", "16", "15"]


def test_a_failing_sink_does_not_stop_the_others(caplog) -> None:
    alerts = AlertManager()
    seen: list[Alert] = []

    def broken(alert: Alert) -> None:
        raise RuntimeError("sink down")

    alerts.add_sink(broken)
    alerts.add_sink(seen.append)
    with caplog.at_level(logging.ERROR):
        alerts.critical("k", "x", "boom")
    assert len(seen) == 1
    assert "sink" in caplog.text
    alerts.remove_sink(seen.append)
    alerts.critical("k2", "x", "boom")
    assert len(seen) == 1


def test_log_sink_logs_at_the_alert_severity(caplog) -> None:
    alerts = AlertManager()
    alerts.add_sink(log_sink(logging.getLogger("test.alerts")))
    with caplog.at_level(logging.INFO, logger="test.alerts"):
        alerts.error("breaker:x:open", "breaker", "opened")
    (rec,) = [r for r in caplog.records if r.name == "test.alerts"]
    assert rec.levelno == logging.ERROR
    assert "breaker:x:open" in rec.getMessage()


def test_forget_ends_the_cooldown_and_counters_add_up() -> None:
    alerts = AlertManager(AlertConfig(default_cooldown_ms=60_000))
    alerts.warning("k", "x", "1")
    alerts.forget("k")
    assert alerts.warning("k", "x", "2") is not None
    alerts.warning("k", "x", "3")
    c = alerts.counters()
    assert c["alerts_delivered"] == 2 and c["alerts_suppressed"] == 1 and c["alerts_warning"] == 2


def test_snapshots_are_frozen_and_a_repeat_shows_only_in_the_next_one() -> None:
    clock = ManualClock()
    alerts = AlertManager(AlertConfig(default_cooldown_ms=1000), clock=clock)
    delivered = alerts.warning("k", "x", "down")
    before = alerts.history()
    assert before == (delivered,) and alerts.history() is before     # unchanged: the same tuple
    alerts.critical("k", "x", "worse")
    after = alerts.history()
    assert delivered.count == 1 and before[0].count == 1            # what was handed out never changes
    assert after[0].count == 2 and after[0].severity == Severity.CRITICAL and after[0].message == "down"
    with pytest.raises(dataclasses.FrozenInstanceError):
        after[0].count = 5  # type: ignore[misc]
    alerts.clear()
    assert alerts.history() == ()
