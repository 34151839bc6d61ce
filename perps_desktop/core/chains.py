"""ChainBook: which story each order and each position belongs to, so what follows joins it.

A story starts at a signal, a manual action, a recovery finding or a breaker transition (a
`Story` handed to the trace that records it). The orders it sends are entered here by cloid
before they go out and by oid once the venue answers; a fill the venue pushes later finds its
story by either, and so does the stop placed for the position it opened, and the cancel of that
stop when the position closes (a position's story is that of the last order that filled on it).

Fills of an order still in flight (sent, its ORDER trace not yet recorded) are held back and
recorded right after that trace, so a chain reads in the order things happened: signal, risk,
order, fill, stop, even when the venue's push beats its own answer to the order.
Bounded: the oldest orders are forgotten beyond `max_orders` (a fill of one starts its own chain).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import Fill, Story

if TYPE_CHECKING:
    from perps_desktop.core.models import OrderResult

__all__ = ["ChainBook"]

_HOLD_S = 5.0                   # a fill waits at most this long for its order's trace


class ChainBook:
    """Orders and positions -> the stories they belong to (see the module docstring)."""

    def __init__(self, *, max_orders: int = 10_000, clock: Clock = SYSTEM_CLOCK) -> None:
        self._now = clock.monotonic
        self._orders: OrderedDict[int | str, Story] = OrderedDict()
        self._symbols: dict[str, Story] = {}
        self._in_flight: dict[str, float] = {}          # cloid -> monotonic time sent
        self._held: list[Fill] = []
        self._max = max_orders
        self.on_release: Callable[[Fill], None] | None = None   # records a held fill (the engine's)

    # --- orders ----------------------------------------------------------------------------
    def sending(self, cloids: Iterable[str | None], story: Story | None, *, hold: bool = True) -> None:
        """Orders with these cloids are about to go out for `story`: their fills join it and (`hold`)
        wait for `sent` (their ORDER trace) before they are recorded."""
        now = self._now()
        for cloid in cloids:
            if cloid is None:
                continue
            key = cloid.lower()
            if hold:
                self._in_flight[key] = now
            if story is not None:
                self._link(key, story)

    def sent(self, symbol: str | None, story: Story | None, result: OrderResult | BaseException | None,
             cloid: str | None = None) -> None:
        """The order's trace is recorded: its oid joins the story, a fill makes it the position's
        story, and its fills held meanwhile are recorded now."""
        oid = getattr(result, "oid", None)
        if story is not None:
            if oid is not None:
                self._link(int(oid), story)
            if symbol is not None and getattr(result, "filled_size", 0) > 0:
                self._symbols[symbol] = story
        if cloid is not None:
            self._in_flight.pop(cloid.lower(), None)
        self._release()

    def _link(self, key: int | str, story: Story) -> None:
        orders = self._orders
        orders[key] = story
        orders.move_to_end(key)
        while len(orders) > self._max:
            orders.popitem(last=False)

    def of_order(self, oid: int | None = None, cloid: str | None = None) -> Story | None:
        """The story an order (by oid or cloid) was sent for, if known."""
        if cloid is not None:
            hit = self._orders.get(cloid.lower())
            if hit is not None:
                return hit
        return self._orders.get(oid) if oid is not None else None

    # --- fills and positions ---------------------------------------------------------------
    def hold(self, fill: Fill) -> bool:
        """True when `fill`'s order is still in flight: it is kept and handed to `on_release` later."""
        cloid = fill.cloid.lower() if fill.cloid else None
        sent_at = self._in_flight.get(cloid) if cloid is not None else None
        if sent_at is None or self.on_release is None:
            return False
        if self._now() - sent_at > _HOLD_S:      # its trace never came (a bug elsewhere): let it go
            del self._in_flight[cloid]  # type: ignore[arg-type]
            return False
        self._held.append(fill)
        return True

    def of_fill(self, fill: Fill) -> Story | None:
        """The story of the order that filled; it becomes the story of the fill's position."""
        story = self.of_order(fill.oid, fill.cloid)
        if story is not None:
            self._symbols[fill.symbol] = story
        return story

    def of_position(self, symbol: str) -> Story | None:
        """The story of the last order that filled on `symbol` (what its stop and its cancel join)."""
        return self._symbols.get(symbol)

    def set_position(self, symbol: str, story: Story) -> None:
        self._symbols[symbol] = story

    def _release(self) -> None:
        if not self._held:
            return
        flying = self._in_flight
        keep: list[Fill] = []
        out: list[Fill] = []
        for f in self._held:
            (keep if f.cloid and f.cloid.lower() in flying else out).append(f)
        self._held = keep
        if self.on_release is not None:
            for f in out:
                self.on_release(f)
