"""The event bus delivers by topic prefix and survives a broken handler."""

from __future__ import annotations

from perps_desktop.core.bus import EventBus


def test_prefix_subscriptions_and_unsubscribe():
    bus = EventBus()
    seen: list[str] = []
    everything: list[str] = []
    off = bus.subscribe("engine", lambda t, e: seen.append(t))
    bus.subscribe("", lambda t, e: everything.append(t))
    for topic in ("engine", "engine.tick", "engineer.x", "recovery.acted"):
        bus.publish(topic, None)
    assert seen == ["engine", "engine.tick"]
    assert everything == ["engine", "engine.tick", "engineer.x", "recovery.acted"]
    off()
    bus.publish("engine.tick")
    assert seen == ["engine", "engine.tick"]


def test_a_raising_handler_is_skipped_and_logged_in_full_once(caplog):
    bus = EventBus()
    got = []

    def bad(topic, event):
        raise RuntimeError("boom")

    bus.subscribe("", bad)
    bus.subscribe("", lambda t, e: got.append(e))
    for i in range(100):                         # a handler broken on every event of a running core
        bus.publish("x", i)
    assert got == list(range(100)) and bus.published == 100 and bus.bugs.count == 100
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "event handler" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None
