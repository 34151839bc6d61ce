"""PushedAccount: the account's state and open orders as the venue pushes them, read instead of REST.

The stream subscribes to the venue's `clearinghouseState` and `openOrders` channels for the
account; every push is a whole snapshot (the /info reply's shape), so a push that arrives
replaces what came before. A snapshot is only as good as its timing, though: the reply to our
own order can arrive before the push that shows it. So the client registers what each reply
promises, and a pushed part counts as current only once it shows all of it:

- an order resting under oid N: the open orders list it (or an order update ended it);
- an order cancelled: the open orders no longer list it;
- an order that filled: its fill was pushed, and a state was pushed after that fill.

Until then (a short wait: pushes trail replies by milliseconds), or before the first push, or
while the stream is down, readers fall back to REST. A promise not kept within `settle_s` (a
lost push) drops that part until its next push. A state older than `max_age_s` is not served
either (the simulator pushes one every second; should a venue push only on change, its equity
would otherwise go stale while marks move): the account is then read over REST (weight 2).
Pushes on one connection arrive in the order they were sent, which is what "a state pushed after
the fill" relies on.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import AccountState, Fill, Order, OrderResult, OrderStatus, OrderUpdate

__all__ = ["PushedAccount"]

_FILLED_KEPT = 2000


class PushedAccount:
    """What the account pushes said last, and whether that can be served now (see the module docstring)."""

    def __init__(self, *, settle_s: float = 2.0, max_age_s: float = 5.0,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.settle_s = settle_s
        self.max_age_s = max_age_s
        self._state_at = 0.0
        self._clock = clock.monotonic
        self._state: AccountState | None = None
        self._orders: dict[int, Order] | None = None
        self._seq = 0                       # pushes received, in order
        self._state_seq = 0                 # ... when the last state arrived
        self._fill_seq = 0                  # ... when the last fill arrived
        self._open_wanted: dict[int, float] = {}     # oid -> deadline: must be listed
        self._gone_wanted: dict[int, float] = {}     # oid -> deadline: must not be listed
        self._fills_wanted: dict[int, float] = {}    # oid -> deadline: its fill must be pushed
        self._filled: OrderedDict[int, None] = OrderedDict()  # oids whose fills were pushed (a push may beat the reply)
        self._waiters: list[asyncio.Future[None]] = []
        self.hits = 0                       # reads served from pushes
        self.misses = 0                     # reads that fell back to REST
        self.pushes = 0

    # --- pushes (the stream calls these) --------------------------------------------------------

    def reset(self) -> None:
        """The stream dropped: nothing pushed is current any more (until the next snapshots)."""
        self._state = None
        self._orders = None
        self._open_wanted.clear()
        self._gone_wanted.clear()
        self._fills_wanted.clear()
        self._wake()

    def on_state(self, state: AccountState) -> None:
        self._seq += 1
        self.pushes += 1
        self._state, self._state_seq = state, self._seq
        self._state_at = self._clock()
        self._wake()

    def on_orders(self, orders: Iterable[Order]) -> None:
        self._seq += 1
        self.pushes += 1
        self._orders = {o.oid: o for o in orders}
        for oid in [oid for oid in self._open_wanted if oid in self._orders]:
            del self._open_wanted[oid]
        for oid in [oid for oid in self._gone_wanted if oid not in self._orders]:
            del self._gone_wanted[oid]
        self._wake()

    def on_fills(self, fills: Iterable[Fill]) -> None:
        self._seq += 1
        self._fill_seq = self._seq
        for f in fills:
            self._fills_wanted.pop(f.oid, None)
            self._filled[f.oid] = None
        while len(self._filled) > _FILLED_KEPT:
            self._filled.popitem(last=False)
        self._wake()

    def on_order_updates(self, updates: Iterable[OrderUpdate]) -> None:
        """An order that ended (filled, cancelled, rejected ...) is owed no listing, only its absence."""
        for u in updates:
            if u.status != "open" and self._open_wanted.pop(u.order.oid, None) is not None:
                self._want_gone(u.order.oid)
        self._wake()

    # --- promises (the client's actions call these) ---------------------------------------------

    def expect(self, results: Sequence[OrderResult]) -> None:
        """Our orders' replies: resting ones must be listed, filled ones' fills pushed."""
        deadline = self._clock() + self.settle_s
        for r in results:
            if r.oid is None:
                continue
            if r.status is OrderStatus.RESTING and (self._orders is None or r.oid not in self._orders):
                self._open_wanted[r.oid] = deadline
            if r.filled_size > 0 and r.oid not in self._filled:
                self._fills_wanted[r.oid] = deadline

    def expect_gone(self, oids: Iterable[int]) -> None:
        """Our cancels' replies: those orders must leave the list."""
        for oid in oids:
            self._open_wanted.pop(oid, None)
            self._want_gone(oid)

    def _want_gone(self, oid: int) -> None:
        if self._orders is not None and oid in self._orders:
            self._gone_wanted[oid] = self._clock() + self.settle_s

    def oid_of(self, cloid: str) -> int | None:
        """The oid of a listed order by its cloid (a cancel by cloid promises its absence too)."""
        for o in (self._orders or {}).values():
            if o.cloid == cloid:
                return o.oid
        return None

    # --- reading -----------------------------------------------------------------------------------

    def _expire(self) -> None:
        now = self._clock()
        if any(d <= now for d in (*self._open_wanted.values(), *self._gone_wanted.values())):
            self._orders = None             # a push went missing: REST until the next one
            self._open_wanted.clear()
            self._gone_wanted.clear()
        if any(d <= now for d in self._fills_wanted.values()):
            self._state = None
            self._fills_wanted.clear()

    def state(self) -> AccountState | None:
        """The pushed state if it shows everything our replies promised, else None."""
        self._expire()
        if self._state is None or self._fills_wanted or self._state_seq < self._fill_seq:
            return None
        if self._clock() - self._state_at > self.max_age_s:
            return None
        return self._state

    def orders(self) -> list[Order] | None:
        """The pushed open orders (newest first) if they show everything our replies promised, else None."""
        self._expire()
        if self._orders is None or self._open_wanted or self._gone_wanted:
            return None
        return sorted(self._orders.values(), key=lambda o: o.timestamp_ms, reverse=True)

    @property
    def pending(self) -> bool:
        """Promises are still open (a short wait may make the pushed parts current)."""
        return bool(self._open_wanted or self._gone_wanted or self._fills_wanted) or (
            self._state is not None and self._state_seq < self._fill_seq)

    async def settled(self, read: Callable[[], object | None], timeout_s: float) -> bool:
        """Wait up to `timeout_s` for `read()` (state or orders) to be servable; True when it is."""
        deadline = self._clock() + timeout_s
        while read() is None:
            left = deadline - self._clock()
            if left <= 0 or not self.pending:
                return False
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, left)
            except TimeoutError:
                return read() is not None
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)
        return True

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
