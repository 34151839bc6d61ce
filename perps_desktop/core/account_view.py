"""AccountView: the engine's picture of the account — state, open orders, recent fills, mids.

Filled from REST reads (reconciliation, periodic refresh) and from the exchange stream (fills,
order updates, mids). Fills are deduplicated by trade id, so a fill seen by both never counts
twice; the fills kept and the dedup set are bounded. No I/O: the engine feeds it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from perps_desktop.core.models import AccountState, Fill, Order, OrderUpdate, Position

__all__ = ["AccountView"]


class AccountView:
    """What the engine and the window know of the account right now."""

    def __init__(self, fills_kept: int = 200) -> None:
        self.account: AccountState | None = None
        self.orders: tuple[Order, ...] = ()
        self.fills: deque[Fill] = deque(maxlen=max(1, fills_kept))        # newest first
        self.mids: dict[str, Decimal] = {}
        self._seen_tids: set[int] = set()

    @property
    def positions(self) -> tuple[Position, ...]:
        return self.account.positions if self.account is not None else ()

    def reset(self, account: AccountState, orders: Sequence[Order], fills: Sequence[Fill]) -> None:
        """Start over from a full read (reconciliation): nothing in it counts as new."""
        self.account = account
        self.orders = tuple(orders)
        self.fills.clear()
        self.fills.extend(sorted(fills, key=lambda f: f.time_ms, reverse=True)[: self.fills.maxlen])
        self._seen_tids = {f.tid for f in fills}

    def take_orders(self, orders: Sequence[Order]) -> None:
        self.orders = tuple(orders)

    def take_fills(self, fills: Iterable[Fill]) -> list[Fill]:
        """Add the fills not seen before (oldest first); returns them."""
        new = [f for f in sorted(fills, key=lambda f: f.time_ms) if f.tid not in self._seen_tids]
        for f in new:
            self._seen_tids.add(f.tid)
            self.fills.appendleft(f)
        if len(self._seen_tids) > 4 * (self.fills.maxlen or 1):             # keep the dedup set bounded
            self._seen_tids = {f.tid for f in self.fills} | {f.tid for f in new}
        return new

    def take_order_updates(self, updates: Iterable[OrderUpdate]) -> bool:
        """Apply pushed order updates; True when the set of open orders changed."""
        orders = {o.oid: o for o in self.orders}
        before = set(orders)
        for u in updates:
            if u.status == "open":
                old = orders.get(u.order.oid)       # a pushed row lacks the trigger: keep what the REST read said
                orders[u.order.oid] = u.order if old is None else replace(
                    u.order, order_type=old.order_type, tif=old.tif, trigger_px=old.trigger_px,
                    reduce_only=old.reduce_only)
            else:
                orders.pop(u.order.oid, None)
        self.orders = tuple(sorted(orders.values(), key=lambda o: o.timestamp_ms, reverse=True))
        return set(orders) != before

    def take_mids(self, mids: dict[str, Decimal]) -> None:
        self.mids = {**self.mids, **mids}
