"""PositionFacts: when a position opened, what it realised since, which stops guard it — from fills and orders."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.core.models import Side
from perps_desktop.core.position_facts import position_facts, trigger_kind
from tests import stubs


def test_opened_at_is_the_fill_that_opened_it_from_flat_and_realised_counts_partial_closes_since():
    pos = stubs.position("SOL", 4, entry=150)
    fills = [  # newest first, as the engine keeps them
        stubs.fill("SOL", 5, side=Side.SELL, size=2, time_ms=5_000, start_position=Decimal(6),
                   closed_pnl=Decimal("3.5"), fee=Decimal("0.1")),
        stubs.fill("ETH", 4, time_ms=4_000, start_position=Decimal(0)),
        stubs.fill("SOL", 3, size=6, time_ms=3_000, start_position=Decimal(0), fee=Decimal("0.2")),
        stubs.fill("SOL", 2, side=Side.SELL, size=1, time_ms=2_000, start_position=Decimal(1),
                   closed_pnl=Decimal("-9")),      # the previous position: not this one's
    ]
    f = position_facts(pos, fills, ())
    assert f.opened_ms == 3_000
    assert f.realized_pnl == Decimal("3.5")
    assert f.fees == Decimal("0.3")


def test_a_flip_opens_the_new_position_and_its_closed_pnl_belongs_to_the_old_one():
    pos = stubs.position("BTC", -0.2, entry=60000)
    fills = [stubs.fill("BTC", 9, side=Side.SELL, size=0.5, time_ms=9_000, start_position=Decimal("0.3"),
                        closed_pnl=Decimal(40))]
    f = position_facts(pos, fills, ())
    assert (f.opened_ms, f.realized_pnl) == (9_000, 0)


def test_without_its_opening_fill_it_opened_before_the_oldest_fill_kept():
    pos = stubs.position("BTC", 1)
    fills = [stubs.fill("BTC", 1, time_ms=7_000, start_position=Decimal("0.5"))]
    f = position_facts(pos, fills, ())
    assert f.opened_ms is None and f.oldest_fill_ms == 7_000


def test_stops_and_take_profits_are_told_apart_by_type_or_by_where_they_sit():
    pos = stubs.position("BTC", 1, entry=65000, mark=65000)
    sl = stubs.order("BTC", 1, side=Side.SELL, px=60000, trigger_px=Decimal(63700), order_type="Stop Market",
                     reduce_only=True)
    tp = stubs.order("BTC", 2, side=Side.SELL, px=70000, trigger_px=Decimal(70000), order_type="Take Profit Limit")
    pushed = stubs.order("BTC", 3, side=Side.SELL, px=60000, trigger_px=Decimal(62000), order_type="")
    entry_order = stubs.order("BTC", 4, side=Side.BUY, px=64000)
    f = position_facts(pos, (), (sl, tp, pushed, entry_order))
    assert f.stop_px == Decimal(63700)              # the nearest of the two stops
    assert f.take_profit_px == Decimal(70000)
    assert trigger_kind(pushed, pos.size, pos.mark_px) == "sl"
    assert trigger_kind(entry_order) is None


def test_roe_is_the_pnl_on_the_margin_put_up_not_on_the_value():
    pos = stubs.position("SOL", 10, entry=100, mark=101, leverage=20)   # uPnL +10 on $1,000 at 20x: $50 margin
    assert abs(pos.roe_pct - 20.0) < 1e-9


def test_fills_newer_than_the_position_row_wait_for_it():
    pos = stubs.position("BTC", -0.00769, entry=65000, updated_ms=5_000)
    fills = [stubs.fill("BTC", 2, size=0.00769, time_ms=6_000, start_position=Decimal("-0.00769"),
                        closed_pnl=Decimal("-0.64")),          # its close, streamed before the account re-read
             stubs.fill("BTC", 1, side=Side.SELL, size=0.00769, time_ms=4_000, start_position=Decimal(0))]
    f = position_facts(pos, fills, ())
    assert (f.opened_ms, f.realized_pnl) == (4_000, 0)
