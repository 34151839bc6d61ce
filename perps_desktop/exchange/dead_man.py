"""The dead-man switch: while the client lives, a scheduleCancel stays armed a few seconds ahead.

With DEAD_MAN_SWITCH_S = s, the venue is told every s/3 seconds to cancel all open orders at
now + s. If the process dies (or loses the venue) for longer than that, nobody re-arms it and
the venue cancels the orders itself. A clean close disarms it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.lifecycle import Background
from perps_desktop.errors import ExchangeError

__all__ = ["DeadManSwitch"]

log = logging.getLogger(__name__)


class DeadManSwitch(Background):
    TASK_NAME = "dead-man-switch"

    def __init__(self, schedule: Callable[[int | None], Awaitable[None]], window_s: float, *,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        # window_s >= 5 (the venue's minimum) was checked once, as DEAD_MAN_SWITCH_S (config_sections)
        super().__init__()
        self._schedule = schedule
        self._clock = clock
        self.window_s = window_s
        self.armed_until_ms: int | None = None
        self.arms = 0
        self.failures = 0

    async def start(self) -> None:
        if self.closed:
            raise RuntimeError("DeadManSwitch is closed")
        if self._task is None:
            await self._arm()  # armed before start() returns: a crash right after is covered
            self._spawn()

    async def _arm(self) -> None:
        at = self._clock.wall_ms() + round(self.window_s * 1000)
        try:
            await self._schedule(at)
            self.armed_until_ms = at
            self.arms += 1
        except ExchangeError as exc:
            self.failures += 1
            log.warning("dead-man switch not re-armed: %s", exc)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.window_s / 3.0)
            await self._arm()

    async def aclose(self, *, disarm: bool = True) -> None:
        """Stop re-arming; with `disarm`, tell the venue to drop the scheduled cancel (if it was started)."""
        if await self._halt() and disarm and self.armed_until_ms is not None:
            try:
                await asyncio.wait_for(self._schedule(None), timeout=2.0)
                self.armed_until_ms = None
            except (ExchangeError, TimeoutError) as exc:
                log.warning("dead-man switch not disarmed: %s", exc)
