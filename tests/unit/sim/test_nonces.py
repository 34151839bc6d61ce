from __future__ import annotations

from perps_desktop.sim.nonces import KEEP, NonceBook

NOW = 1_700_000_000_000


def test_a_nonce_is_accepted_once():
    book = NonceBook()
    assert book.use("a", NOW, NOW) is None
    assert "duplicate" in book.use("a", NOW, NOW)
    assert book.use("b", NOW, NOW) is None  # per signer


def test_nonces_must_be_inside_the_time_window():
    book = NonceBook()
    assert "past" in book.use("a", NOW - 3 * 86_400_000, NOW)
    assert "future" in book.use("a", NOW + 2 * 86_400_000, NOW)
    assert book.use("a", NOW - 86_400_000, NOW) is None


def test_only_the_highest_hundred_are_kept_and_lower_ones_are_refused():
    book = NonceBook()
    for i in range(KEEP + 10):
        assert book.use("a", NOW + i, NOW) is None
    assert "smaller than the lowest" in book.use("a", NOW + 5, NOW)
    assert book.use("a", NOW + 5_000, NOW) is None
