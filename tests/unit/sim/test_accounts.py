from __future__ import annotations

from decimal import Decimal

from perps_desktop.sim.accounts import Account

D = Decimal
MAX = {"BTC": 50}


def _fill(acct: Account, is_buy: bool, px: str, sz: str):
    return acct.apply_fill(coin="BTC", is_buy=is_buy, px=D(px), sz=D(sz), fee=D(0), max_leverage=50)


def test_entry_price_averages_and_closing_realises_pnl():
    acct = Account(address="0xa", usdc=D(10_000))
    assert _fill(acct, True, "100", "1").direction == "Open Long"
    _fill(acct, True, "110", "1")
    assert acct.positions["BTC"].entry_px == 105
    res = _fill(acct, False, "120", "1")
    assert (res.direction, res.closed_pnl, res.start) == ("Close Long", D(15), D(2))
    assert acct.usdc == D(10_015)
    res = _fill(acct, False, "100", "3")
    assert res.direction == "Long > Short"
    pos = acct.positions["BTC"]
    assert (pos.szi, pos.entry_px) == (D(-2), D(100))


def test_a_closed_position_is_removed():
    acct = Account(address="0xa", usdc=D(1000))
    _fill(acct, False, "100", "1")
    assert _fill(acct, True, "90", "1").direction == "Close Short"
    assert acct.positions == {}
    assert acct.usdc == D(1010)


def test_isolated_margin_moves_out_of_the_cross_balance_and_back():
    acct = Account(address="0xa", usdc=D(1000), leverage={"BTC": (False, 10)})
    _fill(acct, True, "100", "2")
    pos = acct.positions["BTC"]
    assert (pos.is_cross, pos.iso_margin, acct.usdc) == (False, D(20), D(980))
    _fill(acct, False, "110", "2")
    assert acct.usdc == D(1020)


def test_liquidation_price_follows_the_venue_formula():
    acct = Account(address="0xa", usdc=D(1000), leverage={"BTC": (False, 10)})
    _fill(acct, True, "100", "1")
    liq = acct.liquidation_px(acct.positions["BTC"], {"BTC": D(100)}, {"BTC": 20})
    # margin 10, maintenance 100/40 = 2.5: liq = 100 - 7.5 / (1 - 1/40)
    assert abs(liq - (D(100) - D("7.5") / (1 - D(1) / 40))) < D("0.000001")
    marks_at_liq = {"BTC": liq}
    pos = acct.positions["BTC"]
    assert abs(pos.iso_margin + pos.upnl(liq) - pos.notional(liq) / 40) < D("0.0001")
    assert acct.liquidation_px(pos, marks_at_liq, {"BTC": 20}) is not None


def test_clearinghouse_state_shape_and_sums():
    acct = Account(address="0xa", usdc=D(1000))
    _fill(acct, False, "100", "2")
    state = acct.clearinghouse_state({"BTC": D(90)}, MAX, 5)
    pos = state["assetPositions"][0]["position"]
    assert (pos["szi"], pos["entryPx"], pos["unrealizedPnl"], pos["positionValue"]) == ("-2.0", "100.0", "20.0",
                                                                                         "180.0")
    assert pos["leverage"] == {"type": "cross", "value": 20}
    assert state["marginSummary"]["accountValue"] == "1020.0"
    assert state["marginSummary"]["totalMarginUsed"] == "9.0"
    assert D(state["marginSummary"]["totalRawUsd"]) == D(1020) + D(180)
    assert state["time"] == 5
