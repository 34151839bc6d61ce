"""EventBus: the core's in-process publish/subscribe with dotted topics ("engine.tick", "recovery.acted").

The core publishes frozen events; the app subscribes (by topic prefix, "" for everything) and
turns them into snapshot updates. Handlers run synchronously on the publisher's loop; one that
raises is skipped and logged (in full once per kind: `BugLog`, not once per event), so a broken
listener can never stop the trading loop nor bury the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from perps_desktop.core.bug_log import BugLog

__all__ = ["EventBus", "Handler"]

_log = logging.getLogger(__name__)

Handler = Callable[[str, object], None]


class EventBus:
    """Topics are dotted names; a subscription to "engine" hears "engine" and "engine.*"."""

    def __init__(self) -> None:
        self._subs: list[tuple[str, Handler]] = []
        self.published = 0
        self.bugs = BugLog(_log)

    def subscribe(self, prefix: str, handler: Handler) -> Callable[[], None]:
        """Call `handler(topic, event)` for every topic under `prefix`; returns an unsubscribe function."""
        entry = (prefix, handler)
        self._subs.append(entry)

        def unsubscribe() -> None:
            if entry in self._subs:
                self._subs.remove(entry)
        return unsubscribe

    def publish(self, topic: str, event: object = None) -> None:
        self.published += 1
        for prefix, handler in tuple(self._subs):
            if not prefix or topic == prefix or topic.startswith(prefix + "."):
                try:
                    handler(topic, event)
                except Exception as exc:
                    self.bugs.report(f"event handler {handler!r} on {topic}", exc)
