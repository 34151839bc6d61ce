"""Background: one task started once, closed idempotently (cancelled and awaited), never restarted."""

from __future__ import annotations

import asyncio

import pytest

from perps_desktop.core.lifecycle import Background


class Worker(Background):
    TASK_NAME = "worker"

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.runs = 0
        self.cleaned = 0

    async def _run(self) -> None:
        self.runs += 1
        try:
            self.started.set()
            await asyncio.Event().wait()
        finally:
            self.cleaned += 1

    def start(self) -> bool:
        return self._spawn()

    async def __aenter__(self) -> Worker:
        return self


async def test_it_starts_once_and_close_waits_for_the_task_to_end() -> None:
    w = Worker()
    assert not w.running and not w.closed
    assert w.start() is True
    assert w.start() is False                       # a second start is not a second task
    await asyncio.wait_for(w.started.wait(), 10)
    assert w.running and w.runs == 1
    (task,) = [t for t in asyncio.all_tasks() if t.get_name() == "worker"]     # one task, by its name
    await w.aclose()
    assert task.done() and w.cleaned == 1           # its cleanup ran before aclose returned
    assert w.closed and not w.running
    await w.aclose()                                # idempotent
    assert w.cleaned == 1


async def test_a_closed_component_is_not_restarted_and_async_with_closes_it() -> None:
    async with Worker() as w:
        w.start()
        await asyncio.wait_for(w.started.wait(), 10)
    assert w.closed and w.cleaned == 1
    with pytest.raises(RuntimeError, match="Worker is closed"):
        w.start()
    never = Worker()
    await never.aclose()                            # closing what never started is fine
    assert never.closed and never.runs == 0
