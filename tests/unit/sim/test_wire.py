from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.sim.wire import WireError, fmt, norm_address, norm_cloid, price_error, size_error, tick_size


@pytest.mark.parametrize(("value", "text"), [(Decimal("65000"), "65000.0"), (Decimal("0.0147"), "0.0147"),
                                             (Decimal("1670.10"), "1670.1"), (Decimal(0), "0.0"),
                                             (Decimal("-2.50"), "-2.5"), (Decimal("1E+2"), "100.0")])
def test_fmt_prints_like_the_venue(value, text):
    assert fmt(value) == text


@pytest.mark.parametrize(("px", "sz_decimals", "ok"), [
    ("1234.5", 1, True), ("1234.56", 1, False), ("0.001234", 0, True), ("0.0012345", 0, False),
    ("123456", 5, True), ("12345.6", 0, False), ("65000", 5, True), ("65000.5", 5, False),
    ("3400.15", 4, False), ("3400.1", 4, True), ("0", 2, False), ("-1", 2, False)])
def test_price_rule_is_five_significant_figures_and_six_minus_sz_decimals(px, sz_decimals, ok):
    assert (price_error(Decimal(px), sz_decimals) is None) is ok


@pytest.mark.parametrize(("sz", "sz_decimals", "ok"), [("0.001", 3, True), ("0.0001", 3, False), ("1", 0, True),
                                                       ("1.5", 0, False), ("0", 2, False), ("1.50", 1, True)])
def test_size_rule_is_the_lot_step(sz, sz_decimals, ok):
    assert (size_error(Decimal(sz), sz_decimals) is None) is ok


def test_tick_size_keeps_prices_valid():
    assert tick_size(Decimal(65000), 5) == 1
    assert tick_size(Decimal(3400), 4) == Decimal("0.1")
    assert tick_size(Decimal("0.6"), 0) == Decimal("0.00001")
    assert tick_size(Decimal(150000), 5) == 1  # integers are always valid


def test_addresses_and_cloids_are_normalised_or_refused():
    assert norm_address("0x" + "AB" * 20) == "0x" + "ab" * 20
    assert norm_cloid("0x" + "0F" * 16) == "0x" + "0f" * 16
    for bad in ("0x12", 12, None, "ab" * 21):
        with pytest.raises(WireError):
            norm_address(bad)
    with pytest.raises(WireError, match="32 hex"):
        norm_cloid("0x1")
