"""The recovery rules judge one position from plain values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.core.models import Order, Position, Side
from perps_desktop.core.recovery_rules import (
    ALERT,
    CLOSE,
    REDUCE,
    PositionContext,
    RecoveryConfig,
    analyse_position,
    close_request,
    has_stop,
    new_cloid,
    strongest,
)

NOW = 1_700_000_000_000


def pos(symbol: str = "BTC", size: str = "0.1", mark: str = "60000", liq: str | None = None) -> Position:
    return Position(symbol=symbol, size=Decimal(size), entry_px=Decimal(mark), mark_px=Decimal(mark),
                    unrealized_pnl=Decimal(0), leverage=5, liquidation_px=Decimal(liq) if liq else None)


def stop(symbol: str = "BTC", side: Side = Side.SELL) -> Order:
    return Order(oid=1, symbol=symbol, side=side, limit_px=Decimal(50000), size=Decimal("0.1"),
                 orig_size=Decimal("0.1"), timestamp_ms=NOW, reduce_only=True, order_type="Stop Market",
                 trigger_px=Decimal(50000))


def ctx(**kw) -> PositionContext:
    base = {"equity": 100_000.0, "mid": None, "owner": "momentum", "orders": (stop(),), "last_fill_ms": NOW,
            "now_ms": NOW}
    base.update(kw)
    return PositionContext(**base)


CFG = RecoveryConfig(max_position_notional_usd=50_000, max_leverage=10, min_liquidation_distance_pct=5,
                     stale_position_s=600)


def problems(findings) -> set[str]:
    return {f.problem for f in findings}


def test_a_healthy_owned_protected_position_has_no_finding():
    assert analyse_position(pos(), ctx(), CFG) == []


def test_oversize_position_is_reduced_to_below_the_limit_and_says_why():
    (f,) = analyse_position(pos(size="1.0", mark="60000"), ctx(), CFG)
    assert (f.problem, f.action) == ("oversize", REDUCE)
    # 60k -> 45k (90% of the 50k limit): cut 25%
    assert f.reduce_fraction == pytest.approx(0.25)
    assert "over the $50,000 limit" in f.reason and "BTC" in f.reason


def test_the_fresh_mid_wins_over_the_stale_mark():
    assert analyse_position(pos(size="1.0", mark="40000"), ctx(), CFG) == []
    (f,) = analyse_position(pos(size="1.0", mark="40000"), ctx(mid=70000.0), CFG)
    assert f.problem == "oversize"


def test_overleveraged_against_equity():
    fs = analyse_position(pos(size="0.5", mark="60000"), ctx(equity=2_000.0), CFG)
    (f,) = [f for f in fs if f.problem == "overleveraged"]
    assert f.action == REDUCE and 0 < f.reduce_fraction < 1
    assert "15.0x" in f.reason


def test_no_equity_means_close():
    fs = analyse_position(pos(), ctx(equity=0.0), CFG)
    assert any(f.problem == "overleveraged" and f.action == CLOSE for f in fs)


@pytest.mark.parametrize(("liq", "action"), [("57500", REDUCE), ("59000", CLOSE), ("40000", None)])
def test_near_liquidation_reduces_then_closes(liq, action):
    fs = [f for f in analyse_position(pos(liq=liq), ctx(), CFG) if f.problem == "near_liquidation"]
    if action is None:
        assert fs == []
    else:
        assert fs[0].action == action and "from liquidation" in fs[0].reason


def test_orphaned_stale_and_unprotected_are_alerts():
    fs = analyse_position(pos(), ctx(owner=None, orders=(), last_fill_ms=NOW - 3_600_000), CFG)
    assert problems(fs) == {"orphaned", "stale", "unprotected"}
    assert {f.action for f in fs} == {ALERT}


def test_a_stop_on_the_wrong_side_or_symbol_does_not_protect():
    p = pos()
    assert has_stop(p, [stop()])
    assert not has_stop(p, [stop(side=Side.BUY)])
    assert not has_stop(p, [stop(symbol="ETH")])
    assert has_stop(pos(size="-0.1"), [stop(side=Side.BUY)])


def test_strongest_prefers_close_then_the_bigger_cut_and_skips_alerts():
    fs = analyse_position(pos(size="2", mark="60000", liq="59000"), ctx(owner=None), CFG)
    best = strongest(fs)
    assert best["BTC"].action == CLOSE
    fs2 = analyse_position(pos(size="2", mark="60000"), ctx(equity=5_000.0), CFG)
    assert strongest(fs2)["BTC"].reduce_fraction == max(f.reduce_fraction for f in fs2)
    assert strongest(analyse_position(pos(), ctx(owner=None), CFG)) == {}


def test_close_request_is_a_reduce_only_ioc_on_the_closing_side_with_a_cloid():
    long_close = close_request(pos(size="0.3"), 1.0, 60000.0, 0.05)
    assert (long_close.is_buy, long_close.size, long_close.reduce_only, long_close.tif) == (
        False, Decimal("0.3"), True, "Ioc")
    assert long_close.limit_px == Decimal("57000.0")
    short_cut = close_request(pos(size="-0.4"), 0.5, 60000.0, 0.05)
    assert short_cut.is_buy and short_cut.size == Decimal("0.2") and short_cut.limit_px > 60000
    assert long_close.cloid and len(long_close.cloid) == 34 and long_close.cloid != short_cut.cloid


def test_new_cloid_shape():
    c = new_cloid()
    assert c.startswith("0x") and len(c) == 34 and int(c, 16) >= 0
