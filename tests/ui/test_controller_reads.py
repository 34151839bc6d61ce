"""The window's reads of the core (traces, a trace, the timeline, a story): each answer or failure
reaches the panel that asked, on the signal for it."""

from __future__ import annotations

from typing import Any

from perps_desktop.app import Trace, TraceQuery
from perps_desktop.ui.controller import ActionController
from tests import stubs


class Unreadable(stubs.StubControl):
    """A core whose trace database cannot be read (the story's lookup still finds a chain id)."""

    async def query_traces(self, query: Any) -> Any:
        raise RuntimeError("trace database is unreadable")

    async def get_trace(self, trace_id: int) -> Any:
        raise RuntimeError("gone")

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> Any:
        raise RuntimeError("no mids")

    async def find_story(self, what: str, symbol: str, key: int | None, time_ms: int | None) -> int | None:
        return 7

    async def chain_of(self, trace_id: int) -> Any:
        raise RuntimeError(f"no chain {trace_id}")


class Readable(stubs.StubControl):
    async def find_story(self, what: str, symbol: str, key: int | None, time_ms: int | None) -> int | None:
        return 7 if key == 1 else None

    async def chain_of(self, trace_id: int) -> Any:
        return (Trace(kind="signal", time_ms=1, id=trace_id, chain=trace_id),)


def _listen(c: ActionController) -> list[tuple[str, Any]]:
    got: list[tuple[str, Any]] = []
    for name in ("traces_loaded", "traces_failed", "trace_loaded", "timeline_loaded", "timeline_failed",
                 "chain_loaded", "story_loaded"):
        getattr(c, name).connect(lambda value, name=name: got.append((name, value)))
    return got


async def test_a_failed_read_is_said_on_the_signal_of_the_panel_that_asked(qtbot):
    c = ActionController(Unreadable())
    got = _listen(c)
    for start in (lambda: c.query_traces(TraceQuery(limit=10)), lambda: c.load_trace(5),
                  lambda: c.load_timeline("BTC", 0, 1), lambda: c.load_chain(3),
                  lambda: c.show_story("position", "BTC")):
        await start()
    assert got == [("traces_failed", "trace database is unreadable"), ("trace_loaded", None),
                   ("timeline_failed", "no mids"), ("timeline_failed", "no chain 3"), ("timeline_failed", "no chain 7")]


async def test_a_read_that_answers_is_sent_on_to_its_panel(qtbot):
    c = ActionController(Readable())
    got = _listen(c)
    await c.load_trace(5)
    await c.show_story("fill", "BTC", 1)
    await c.show_story("fill", "BTC", 2)                  # no story found: an empty one, not a failure
    assert [name for name, _ in got] == ["trace_loaded", "story_loaded", "story_loaded"]
    assert got[0][1].id == 5 and [t.id for t in got[1][1]] == [7] and got[2][1] == ()
