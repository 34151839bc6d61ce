from __future__ import annotations

from decimal import Decimal

from perps_desktop.sim.book import LEVELS, OrderBook
from perps_desktop.sim.orders import Order

D = Decimal


def _book() -> OrderBook:
    book = OrderBook("BTC", 5, 40_000.0, 1)
    book.reprice(D(65000), D(1), 1)
    return book


def _order(oid: int, user: str, is_buy: bool, px: str, sz: str) -> Order:
    return Order(oid=oid, user=user, coin="BTC", is_buy=is_buy, limit_px=D(px), sz=D(sz), orig_sz=D(sz),
                 timestamp=0)


def test_levels_are_sorted_best_first_with_counts():
    bids, asks = _book().levels()
    assert len(bids) == len(asks) == LEVELS
    assert bids[0]["px"] == "64999.0" and asks[0]["px"] == "65001.0"
    assert [D(b["px"]) for b in bids] == sorted((D(b["px"]) for b in bids), reverse=True)
    assert all(level["n"] >= 1 and D(level["sz"]) > 0 for level in bids + asks)


def test_user_orders_fill_in_price_then_time_priority():
    book = _book()
    first = _order(1, "0xa", False, "65001", "0.1")
    second = _order(2, "0xb", False, "65001", "0.1")
    better = _order(3, "0xc", False, "65000", "0.05")
    for o in (first, second, better):
        book.add(o)
    fills, expired = book.match(True, D(65001), D("0.2"), "0xtaker")
    assert expired == []
    assert [(f.maker.oid if f.maker else None, f.px, f.sz) for f in fills] == [
        (3, D(65000), D("0.05")), (1, D(65001), D("0.1")), (2, D(65001), D("0.05"))]
    assert second.sz == D("0.05") and book.asks == [second]


def test_a_taker_walks_the_synthetic_depth_and_it_refills_next_block():
    book = _book()
    _, asks = book.levels()
    top = D(asks[0]["sz"])
    fills, _ = book.match(True, D(65003), top + D("0.001"), "0xt")
    assert [f.px for f in fills] == [D(65001), D(65002)]
    assert D(book.levels()[1][0]["px"]) == D(65002)  # the best level was used up
    book.reprice(D(65000), D(1), 2)
    assert book.levels()[1][0]["px"] == "65001.0"


def test_limit_price_bounds_the_match():
    book = _book()
    fills, _ = book.match(False, D(64999), D(1000), "0xt")
    assert {f.px for f in fills} == {D(64999)}


def test_own_resting_order_is_expired_not_traded():
    book = _book()
    mine = _order(1, "0xme", False, "65000", "0.1")
    book.add(mine)
    fills, expired = book.match(True, D(65001), D("0.01"), "0xme")
    assert expired == [mine]
    assert all(f.maker is None for f in fills)


def test_orders_the_market_moved_through_are_reported():
    book = _book()
    bid = _order(1, "0xa", True, "64990", "0.1")
    book.add(bid)
    assert book.crossed_by_market() == []
    book.reprice(D(64980), D(1), 2)
    assert book.crossed_by_market() == [bid]
