"""Formatters print money, sizes and times the way a trader reads them."""

from __future__ import annotations

import re
from decimal import Decimal

from perps_desktop.ui.format import fmt_age, fmt_datetime, fmt_pct, fmt_px, fmt_size, fmt_usd, short_address


def test_prices_keep_the_digits_the_venue_sent():
    assert fmt_px(Decimal("65012.5")) == "65,012.5"
    assert fmt_px(Decimal("1.03483")) == "1.03483"          # was cut to 1.0348
    assert fmt_px(1.03483) == "1.03483"                     # a float by its shortest repr
    assert fmt_px(Decimal("65000.0")) == "65,000"
    assert fmt_px(Decimal("0.0012345")) == "0.0012345"
    assert fmt_px(None) == "–"


def test_computed_prices_are_cut_to_the_venues_five_significant_figures():
    assert fmt_px(Decimal("996.12") / Decimal("6.66")) == "149.57"      # value / size
    assert fmt_px(Decimal("173198.69592357")) == "173,199"             # integer digits are kept
    assert fmt_px(0.1 + 0.2) == "0.3"
    assert fmt_px(Decimal("0.00001234567891")) == "0.000012346"


def test_date_times_name_the_date_and_the_zone():
    text = fmt_datetime(1_764_930_207_123, with_ms=True)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.123 \S+", text), text


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
