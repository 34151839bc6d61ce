"""BugLog: how a loop that must go on reports a bug — at ERROR with its traceback once per kind, then counted.

The loops that run every pass (the engine's tick and recovery rounds, the health rounds, the API's
stream, the window's render) catch what they expect by name and handle it. Anything else is a bug:
stopping the loop for it would stop trading or drawing, yet logging it on every pass would bury the
log under one traceback a second. So a bug is logged in full the first time its kind (where, type,
message) turns up, and only counted after that; after `max_kinds` kinds one more ERROR says that
new kinds are counted from then on (a message that changes every time cannot grow the set for ever).
"""

from __future__ import annotations

import logging

__all__ = ["BugLog"]


class BugLog:
    """Counts the bugs a loop met and logs each new kind once, with its traceback, on `logger`."""

    __slots__ = ("_kinds", "_log", "count", "max_kinds")

    def __init__(self, logger: logging.Logger, *, max_kinds: int = 64) -> None:
        self._log = logger
        self._kinds: set[tuple[str, str, str]] = set()
        self.max_kinds = max_kinds
        self.count = 0
        """Every bug reported, logged or not."""

    def report(self, where: str, exc: BaseException) -> bool:
        """Count a bug met in `where` ("engine tick"); log it at ERROR with `exc`'s traceback if its
        kind is new. Returns True when this call wrote to the log."""
        self.count += 1
        kind = (where, type(exc).__name__, str(exc))
        if kind in self._kinds or len(self._kinds) > self.max_kinds:
            return False
        self._kinds.add(kind)
        if len(self._kinds) <= self.max_kinds:
            self._log.error("%s failed: a bug (%d so far; again of this kind: counted, not logged)",
                            where, self.count, exc_info=exc)
        else:
            self._log.error("%s failed with a new kind of bug (%s: %s) after %d kinds: from now on new kinds "
                            "are counted, not logged", where, type(exc).__name__, exc, self.max_kinds)
        return True
