"""The momentum strategy signals with the move, within its cap, and closes exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.core.models import Position, Side
from perps_desktop.core.strategy import MomentumStrategy, StrategyConfig


def feed(strategy, prices, positions=()):
    out = []
    for px in prices:
        out += strategy.on_mids({"BTC": Decimal(str(px))}, positions)
    return out


CFG = StrategyConfig(symbols=("BTC",), lookback=3, threshold_pct=0.1, order_size_usd=1000, max_position_usd=2000,
                     cooldown_ticks=0)


def test_no_signal_until_the_window_is_full_or_below_the_threshold():
    s = MomentumStrategy(CFG)
    assert feed(s, [100, 100.2]) == []
    assert feed(MomentumStrategy(CFG), [100, 100.01, 100.02]) == []


def test_a_rise_buys_and_a_fall_sells_the_order_size():
    (sig,) = feed(MomentumStrategy(CFG), [100, 100.1, 100.3])
    assert sig.side is Side.BUY and sig.strategy == "momentum" and "moved +0.300%" in sig.reason
    assert float(sig.size) * 100.3 == pytest.approx(1000)
    (sig,) = feed(MomentumStrategy(CFG), [100, 99.8, 99.7])
    assert sig.side is Side.SELL and not sig.reduce_only


def test_the_cap_limits_a_position_and_closing_is_exact():
    full = Position(symbol="BTC", size=Decimal(20), entry_px=Decimal(100), mark_px=Decimal(100),
                    unrealized_pnl=Decimal(0), leverage=1)
    assert feed(MomentumStrategy(CFG), [100, 100.1, 100.3], [full]) == []
    small_short = Position(symbol="BTC", size=Decimal("-7.77"), entry_px=Decimal(100), mark_px=Decimal(100),
                           unrealized_pnl=Decimal(0), leverage=1)
    (sig,) = feed(MomentumStrategy(CFG), [100, 100.1, 100.3], [small_short])
    assert sig.side is Side.BUY and sig.reduce_only and sig.size == Decimal("7.77")


def test_cooldown_and_owners():
    s = MomentumStrategy(StrategyConfig(symbols=("BTC", "ETH"), lookback=2, threshold_pct=0.01, cooldown_ticks=2))
    sigs = feed(s, [100, 101, 102, 103, 104, 105])
    assert len(sigs) == 2
    assert s.owners() == {"BTC": "momentum", "ETH": "momentum"}
