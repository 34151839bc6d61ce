"""The venue's two budgets as the window and the metrics see them.

- The IP budget (1200 request weight a minute): the client's `RateBudget` says what it spent in
  the last minute, how much it keeps for the trader's actions and stops, and which request waits
  for room now ("rate-limited: order queued 3 s").
- The address's action budget (requests used / cap, from `userRateLimit`): `ActionBudgetPoller`
  reads it sparingly (every `interval_s`, 5 minutes; weight 20, in the polling lane).

`budget_snapshot` folds both, with how many account reads the venue's pushes served, into one
frozen `RateBudgetSnapshot` for the `CoreSnapshot`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from perps_desktop.core.clock import monotonic
from perps_desktop.core.lanes import Lane, in_lane
from perps_desktop.core.lifecycle import Background
from perps_desktop.errors import PerpsError
from perps_desktop.exchange import HyperliquidClient, LatencySnapshot

__all__ = ["ActionBudgetPoller", "RateBudgetSnapshot", "budget_snapshot"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateBudgetSnapshot:
    """The IP weight budget and the address's action budget, as of the snapshot."""

    used: int                               # request weight spent in the last 60 s
    limit: int                              # RATE_LIMIT_WEIGHT_PER_MIN
    reserved: int                           # of the limit, kept for the trader's actions and stops
    waiting: str | None = None              # what waits for budget now ("order", "read" ...), if anything
    waiting_s: float = 0.0
    queued: int = 0                         # requests waiting, all lanes
    waits: int = 0                          # requests that ever waited
    pushed_reads: int = 0                   # account / open-orders reads the venue's pushes served
    rest_reads: int = 0                     # ... and the ones that went over REST instead
    actions_used: int | None = None         # userRateLimit nRequestsUsed (None: not read yet)
    actions_cap: int | None = None          # userRateLimit nRequestsCap
    wait_seconds: tuple[tuple[str, LatencySnapshot], ...] = ()   # waits by lane name (metrics)

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0

    @property
    def text(self) -> str:
        """The status bar's words: the weight per minute, or what is queued and for how long."""
        if self.waiting is not None:
            return f"rate-limited: {self.waiting} queued {self.waiting_s:.0f} s"
        return f"budget {self.used:,}/{self.limit:,} per min"

    @property
    def level(self) -> str:
        """ok / warn (past the share polls may spend) / crit (something waits)."""
        if self.waiting is not None:
            return "crit"
        return "warn" if self.used > self.limit - self.reserved else "ok"

    def detail(self) -> str:
        """One line for the Caches/health area."""
        parts = [f"IP budget {self.used:,} / {self.limit:,} weight in the last minute "
                 f"({self.share:.0%}; {self.reserved:,} kept for actions and stops)"]
        if self.waiting is not None:
            parts.append(f"{self.queued} request(s) queued, the first a {self.waiting} for {self.waiting_s:.1f} s")
        reads = self.pushed_reads + self.rest_reads
        if reads:
            parts.append(f"account reads served by pushes {self.pushed_reads / reads:.0%} ({self.pushed_reads:,})")
        if self.actions_cap is not None:
            parts.append(f"address actions {self.actions_used or 0:,} / {self.actions_cap:,} (userRateLimit)")
        return " · ".join(parts)


class ActionBudgetPoller(Background):
    """Reads `userRateLimit` for the client's address now and every `interval_s`; an async context manager."""

    TASK_NAME = "action-budget"

    def __init__(self, client: HyperliquidClient, *, interval_s: float = 300.0) -> None:
        super().__init__()
        self._client = client
        self.interval_s = interval_s
        self.used: int | None = None
        self.cap: int | None = None
        self.read_at = 0.0

    async def __aenter__(self) -> ActionBudgetPoller:
        if self._client.address:
            self._spawn()
        return self

    async def read_once(self) -> None:
        with in_lane(Lane.POLL):
            reply: Any = await self._client.info.request({"type": "userRateLimit", "user": self._client.address})
        self.used, self.cap = int(reply["nRequestsUsed"]), int(reply["nRequestsCap"])
        self.read_at = monotonic()

    async def _run(self) -> None:
        while True:
            try:
                await self.read_once()
            except (PerpsError, TimeoutError, KeyError, TypeError, ValueError) as exc:
                log.info("userRateLimit not read: %s", exc)
            await asyncio.sleep(self.interval_s)


def budget_snapshot(client: HyperliquidClient, actions: ActionBudgetPoller | None = None) -> RateBudgetSnapshot:
    budget = client.budget
    wait = budget.waiting()
    pushed = client.pushed
    return RateBudgetSnapshot(
        used=budget.used, limit=budget.limit, reserved=budget.limit - budget.cap(Lane.POLL),
        waiting=wait.lane.noun if wait is not None else None, waiting_s=wait.waited_s if wait is not None else 0.0,
        queued=wait.queued if wait is not None else 0, waits=budget.waits,
        pushed_reads=pushed.hits if pushed is not None else 0, rest_reads=pushed.misses if pushed is not None else 0,
        actions_used=actions.used if actions is not None else None,
        actions_cap=actions.cap if actions is not None else None,
        wait_seconds=tuple((lane.name.lower(), snap) for lane, snap in budget.wait_snapshots().items()))
