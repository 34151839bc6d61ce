"""The account and signals the two risk rows judge: 10 positions, 10 distinct signals."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.core.models import AccountState, Position, Side, Signal

__all__ = ["COINS", "account", "signals"]

COINS = ("BTC", "ETH", "SOL", "AVAX", "ARB", "OP", "DOGE", "LINK", "SUI", "APT")
_PX = (65_000, 3_200, 150, 35, 1.1, 2.2, 0.15, 15, 1.4, 9)


def account() -> AccountState:
    """A 250k account with 10 positions, long and short, each a few thousand USD."""
    positions = []
    for i, (coin, px) in enumerate(zip(COINS, _PX, strict=True)):
        mark = Decimal(repr(px))
        size = (Decimal(3_000) / mark).quantize(Decimal("0.0001")) * (1 if i % 2 == 0 else -1)
        positions.append(Position(symbol=coin, size=size, entry_px=mark * Decimal("0.99"), mark_px=mark,
                                  unrealized_pnl=Decimal(30), leverage=5, liquidation_px=mark * Decimal("0.8"),
                                  margin_used=Decimal(600), position_value=abs(size) * mark))
    return AccountState(address="0x" + "11" * 20, equity=Decimal(250_000), total_notional=Decimal(30_000),
                        margin_used=Decimal(6_000), withdrawable=Decimal(244_000), positions=tuple(positions),
                        time_ms=0)


def signals(n: int) -> list[Signal]:
    """`n` signals cycling through 10 distinct ones (a strategy repeats itself within a second)."""
    distinct = [Signal(symbol=coin, side=Side.BUY if i % 3 else Side.SELL,
                       size=(Decimal(1_000) / Decimal(repr(px))).quantize(Decimal("0.0001")),
                       price=Decimal(repr(px)), strategy="momentum", leverage=3.0)
                for i, (coin, px) in enumerate(zip(COINS, _PX, strict=True))]
    return [distinct[i % len(distinct)] for i in range(n)]
