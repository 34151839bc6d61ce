"""ChainBook: orders, fills and positions find the story that caused them; fills wait for their order's trace."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.core.chains import ChainBook
from perps_desktop.core.models import Fill, OrderResult, OrderStatus, Side, Story


def _fill(oid: int, cloid: str | None, symbol: str = "BTC") -> Fill:
    return Fill(symbol=symbol, side=Side.BUY, px=Decimal(1), size=Decimal(1), time_ms=1, oid=oid, tid=oid,
                cloid=cloid)


def test_a_fill_joins_its_orders_story_by_cloid_or_oid_and_makes_it_the_positions():
    book = ChainBook()
    story = Story()
    book.sending(["0xABC"], story)
    book.sent("BTC", story, OrderResult(status=OrderStatus.RESTING, oid=42), "0xabc")
    assert book.of_fill(_fill(42, None)) is story                  # by oid (a push without the cloid)
    assert book.of_fill(_fill(7, "0xAbC")) is story                # by cloid, any case
    assert book.of_position("BTC") is story
    assert book.of_fill(_fill(8, "0xdead", "ETH")) is None and book.of_position("ETH") is None


def test_a_fill_of_an_order_in_flight_is_held_until_the_orders_trace():
    book = ChainBook()
    released: list[Fill] = []
    book.on_release = released.append
    story = Story()
    book.sending(["0x1", "0x2"], story)
    early, other = _fill(1, "0x1"), _fill(3, "0x3")
    assert book.hold(early) and not book.hold(other)                # not ours in flight: recorded at once
    assert released == []
    book.sent("BTC", story, OrderResult(status=OrderStatus.FILLED, oid=1, filled_size=Decimal(1)), "0x1")
    assert released == [early] and book.of_position("BTC") is story
    late = _fill(2, "0x2")
    assert book.hold(late)
    book.sent(None, None, None, "0x2")                              # cancelled mid-flight: let it go
    assert released == [early, late]
    assert not book.hold(_fill(2, "0x2"))                           # no longer in flight


def test_the_book_forgets_the_oldest_orders_beyond_its_bound():
    book = ChainBook(max_orders=2)
    stories = [Story() for _ in range(3)]
    for i, s in enumerate(stories):
        book.sent(None, s, OrderResult(status=OrderStatus.RESTING, oid=i))
    assert book.of_order(0) is None and book.of_order(1) is stories[1] and book.of_order(2) is stories[2]
