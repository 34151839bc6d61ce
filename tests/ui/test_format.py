"""Formatters print money, sizes and times the way a trader reads them."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.ui.format import fmt_age, fmt_pct, fmt_px, fmt_size, fmt_usd, short_address


def test_prices_get_the_decimals_their_size_needs():
    assert fmt_px(Decimal("65012.5")) == "65,012.50"
    assert fmt_px(3.21456) == "3.2146"
    assert fmt_px(0.0012345) == "0.001234" or fmt_px(0.0012345) == "0.001235"
    assert fmt_px(None) == "–"


def test_sizes_drop_trailing_zeros():
    assert fmt_size(Decimal("0.50000")) == "0.5"
    assert fmt_size(Decimal("12000")) == "12000"


def test_money_and_percent_signs():
    assert fmt_usd(-1234.5) == "−$1,234.50"
    assert fmt_usd(12, signed=True) == "+$12.00"
    assert fmt_pct(-3.14159, decimals=2) == "−3.14%"


def test_ages_and_addresses():
    assert fmt_age(4.25) == "4.2s" or fmt_age(4.25) == "4.3s"
    assert fmt_age(125) == "2m 05s"
    assert short_address("0x" + "ab" * 20) == "0xabab…abab"
    assert short_address(None) == "no address"
