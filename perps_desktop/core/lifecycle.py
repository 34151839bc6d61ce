"""Background: the lifecycle of a component that runs one background task from start to close.

Five components (the health rounds, the action-budget poller, the dead-man switch, the API's
WebSocket fan-out, an attached remote core) each kept a task slot and a closed flag, started the
task by name, and at close cancelled it and waited for it. That is this one base: `_spawn()`
starts `_run()` once (and refuses after close, so a late start cannot leak a task); `aclose()` is
idempotent and returns only when the task has ended (`cancel_and_wait`), and a subclass that owns
more (a session, sockets) extends it with `await super().aclose()` first. How a subclass starts
(at once, after arming, only with an address) stays its own `start()`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import ClassVar

from perps_desktop.core.gathering import cancel_and_wait

__all__ = ["Background"]


class Background(ABC):
    """One background task (`_run`), started once by `_spawn()`, ended by `aclose()`; `async with` closes it."""

    TASK_NAME: ClassVar[str] = "background"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @abstractmethod
    async def _run(self) -> None:
        """The background work; runs until it returns or `aclose()` cancels it."""

    @property
    def closed(self) -> bool:
        """True once `aclose()` has been called (it never starts again)."""
        return self._closed

    @property
    def running(self) -> bool:
        """True while the background task is alive."""
        return self._task is not None and not self._task.done()

    def _spawn(self, name: str | None = None) -> bool:
        """Start `_run()` as the background task unless it is already started; True if started now.

        Raises RuntimeError after `aclose()`: a component is not restarted, a new one is made.
        """
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")
        if self._task is not None:
            return False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=name or self.TASK_NAME)
        return True

    async def _halt(self) -> bool:
        """Mark closed, cancel the task and wait for it to end; True if a task was running."""
        self._closed = True
        task, self._task = self._task, None
        await cancel_and_wait(task)
        return task is not None

    async def aclose(self) -> None:
        """Stop the background task and wait for it; idempotent."""
        await self._halt()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
