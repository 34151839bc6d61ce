"""Outgoing wire format: venue rounding rules and action dicts equal to the SDK's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hyperliquid.utils.signing import float_to_wire, order_request_to_order_wire
from hyperliquid.utils.types import Cloid
from hypothesis import given
from hypothesis import strategies as st

from perps_desktop.core.models import Asset, OrderRequest
from perps_desktop.exchange import wire

BTC = Asset(name="BTC", asset_id=0, sz_decimals=5, max_leverage=50)
ETH = Asset(name="ETH", asset_id=1, sz_decimals=4, max_leverage=50)
MEME = Asset(name="MEME", asset_id=7, sz_decimals=0, max_leverage=3)


@pytest.mark.parametrize(("px", "szd", "want"), [
    ("65000.5", 5, "65000"),       # 5 significant figures; BTC allows only 1 decimal anyway
    ("65000", 5, "65000"),
    ("123456", 2, "123456"),       # integer prices are always valid
    ("123456.7", 2, "123457"),
    ("1234.56", 2, "1234.6"),      # 5 sig figs
    ("1234.5", 2, "1234.5"),
    ("3400.15", 4, "3400.2"),
    ("0.0012345", 0, "0.001234"),  # 5 sig figs fit but 6 - 0 decimals do not
    ("0.00123456", 0, "0.001235"),
    ("12.3456", 4, "12.35"),       # 6 - 4 = 2 decimals
    ("0.123456", 1, "0.12346"),
])
def test_price_rounding_follows_the_venue(px, szd, want):
    assert wire.to_wire(wire.round_price(Decimal(px), szd)) == want


@pytest.mark.parametrize(("size", "szd", "want"), [
    ("0.123456789", 5, "0.12345"),  # cut, never rounded up
    ("1.99999", 2, "1.99"),
    ("10", 0, "10"),
    ("10.9", 0, "10"),
])
def test_size_is_cut_to_sz_decimals(size, szd, want):
    assert wire.to_wire(wire.round_size(Decimal(size), szd)) == want


@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "Infinity"])
def test_nonsense_prices_are_refused(bad):
    with pytest.raises(ValueError):
        wire.round_price(Decimal(bad), 2)


@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8, allow_nan=False,
                   allow_infinity=False), st.integers(min_value=0, max_value=5))
def test_rounded_prices_are_valid_and_print_like_the_sdk(px, szd):
    if px * 10 ** (6 - szd) <= Decimal("0.5"):  # under half the smallest tick: refused, not rounded to 0
        with pytest.raises(ValueError):
            wire.round_price(px, szd)
        return
    rounded = wire.round_price(px, szd)
    text = wire.to_wire(rounded)
    exp = -Decimal(text).as_tuple().exponent
    assert exp <= 6 - szd
    if Decimal(text) != Decimal(text).to_integral_value():
        assert len(Decimal(text).normalize().as_tuple().digits) <= 5
    assert text == float_to_wire(float(text))


def test_order_wire_equals_the_sdks():
    req = OrderRequest(symbol="ETH", is_buy=True, size=Decimal("0.12345678"), limit_px=Decimal("3400.1234"),
                       tif="Alo")
    cloid = "0x" + "0f" * 16
    ours = wire.order_wire(req, ETH, cloid)
    sdk = order_request_to_order_wire({"coin": "ETH", "is_buy": True, "sz": 0.1234, "limit_px": 3400.1,
                                       "order_type": {"limit": {"tif": "Alo"}}, "reduce_only": False,
                                       "cloid": Cloid.from_str(cloid)}, 1)
    assert ours == sdk
    assert list(ours) == list(sdk)  # key order is signed too


def test_trigger_order_wire_equals_the_sdks():
    req = OrderRequest(symbol="BTC", is_buy=False, size=Decimal("0.5"), limit_px=Decimal("59000"),
                       reduce_only=True, trigger_px=Decimal("59500"), tpsl="sl")
    ours = wire.order_wire(req, BTC, None)
    sdk = order_request_to_order_wire({"coin": "BTC", "is_buy": False, "sz": 0.5, "limit_px": 59000.0,
                                       "order_type": {"trigger": {"triggerPx": 59500.0, "isMarket": True,
                                                                  "tpsl": "sl"}},
                                       "reduce_only": True}, 0)
    assert ours == sdk
    assert list(ours["t"]["trigger"]) == ["isMarket", "triggerPx", "tpsl"]


def test_size_that_rounds_to_zero_is_refused():
    req = OrderRequest(symbol="MEME", is_buy=True, size=Decimal("0.4"), limit_px=Decimal("1"))
    with pytest.raises(ValueError, match="rounds to zero"):
        wire.order_wire(req, MEME, None)


def test_actions_have_the_sdks_shape():
    assert wire.order_action([{"a": 0}]) == {"type": "order", "orders": [{"a": 0}], "grouping": "na"}
    assert wire.cancel_action([(0, 5)]) == {"type": "cancel", "cancels": [{"a": 0, "o": 5}]}
    assert wire.cancel_by_cloid_action([(1, "0x" + "1" * 32)]) == {
        "type": "cancelByCloid", "cancels": [{"asset": 1, "cloid": "0x" + "1" * 32}]}
    assert wire.schedule_cancel_action(None) == {"type": "scheduleCancel"}
    assert wire.schedule_cancel_action(5) == {"type": "scheduleCancel", "time": 5}
    assert list(wire.update_leverage_action(2, is_cross=False, leverage=3)) == ["type", "asset", "isCross", "leverage"]
    assert wire.batch_modify_action([(7, {"a": 0})]) == {
        "type": "batchModify", "modifies": [{"oid": 7, "order": {"a": 0}}]}


def test_cloids():
    cloid = wire.new_cloid()
    assert wire.check_cloid(cloid) == cloid
    assert wire.new_cloid() != cloid
    with pytest.raises(ValueError):
        wire.check_cloid("0x123")


def test_weights():
    assert wire.info_weight("allMids") == 2
    assert wire.info_weight("openOrders") == 20
    assert wire.exchange_weight(1) == 1
    assert wire.exchange_weight(40) == 2
