"""What the venue tells the outside world as it happens (the WebSocket hub listens)."""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

__all__ = ["EventBatch", "EventSink", "NullSink"]


class EventSink(Protocol):
    def on_fills(self, user: str, fills: list[dict]) -> None: ...
    def on_order_updates(self, user: str, updates: list[dict]) -> None: ...
    def on_trades(self, coin: str, trades: list[dict]) -> None: ...
    def on_user_event(self, user: str, event: dict) -> None: ...
    def on_block(self, coins_changed: set[str]) -> None: ...
    def on_accounts(self, users: set[str]) -> None: ...


class NullSink:
    """Drops every event (the venue without listeners)."""

    def on_fills(self, user: str, fills: list[dict]) -> None:
        pass

    def on_order_updates(self, user: str, updates: list[dict]) -> None:
        pass

    def on_trades(self, coin: str, trades: list[dict]) -> None:
        pass

    def on_user_event(self, user: str, event: dict) -> None:
        pass

    def on_block(self, coins_changed: set[str]) -> None:
        pass

    def on_accounts(self, users: set[str]) -> None:
        pass


class EventBatch:
    """Collects the events of one action or block and hands them to the sink together."""

    __slots__ = ("books", "fills", "trades", "updates", "user_events")

    def __init__(self) -> None:
        self.fills: defaultdict[str, list[dict]] = defaultdict(list)
        self.updates: defaultdict[str, list[dict]] = defaultdict(list)
        self.trades: defaultdict[str, list[dict]] = defaultdict(list)
        self.user_events: list[tuple[str, dict]] = []
        self.books: set[str] = set()

    def flush(self, sink: EventSink) -> None:
        for coin, trades in self.trades.items():
            sink.on_trades(coin, trades)
        for user, updates in self.updates.items():
            sink.on_order_updates(user, updates)
        for user, fills in self.fills.items():
            sink.on_fills(user, fills)
        for user, event in self.user_events:
            sink.on_user_event(user, event)
        touched = set(self.updates) | set(self.fills) | {user for user, _ in self.user_events}
        if touched:
            sink.on_accounts(touched)       # after the events: an account push never runs ahead of its fills
