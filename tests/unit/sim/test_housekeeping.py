from __future__ import annotations

from decimal import Decimal

from tests.unit.sim.harness import Harness


def test_a_resting_order_fills_when_the_market_moves_through_it():
    h = Harness()
    w = h.wallet()
    h.set_mid("BTC", "65000")
    oid = h.order(w, "BTC", True, "0.01", "64000")["resting"]["oid"]
    h.set_mid("BTC", "63000")
    h.block()
    assert h.ask({"type": "openOrders", "user": w.address}) == []
    [fill] = h.ask({"type": "userFills", "user": w.address})
    assert (fill["px"], fill["crossed"], fill["oid"], fill["dir"]) == ("64000.0", False, oid, "Open Long")
    assert Decimal(fill["fee"]) == Decimal("0.096")  # maker fee 0.015% of 640
    assert h.sink.statuses(oid) == ["open", "filled"]
    assert any(t["users"][0] == w.address.lower() for _, ts in h.sink.trades for t in ts)


def test_stop_loss_and_take_profit_triggers_close_the_position():
    h = Harness()
    w = h.wallet()
    h.set_mid("ETH", "3000")
    h.order(w, "ETH", True, "1", "3100", tif="Ioc")
    sl = h.order(w, "ETH", False, "1", "2500", reduce_only=True,
                 trigger={"isMarket": True, "triggerPx": "2800", "tpsl": "sl"})["resting"]["oid"]
    tp = h.order(w, "ETH", False, "1", "3500", reduce_only=True,
                 trigger={"isMarket": False, "triggerPx": "3400", "tpsl": "tp"})["resting"]["oid"]
    rows = {o["oid"]: o for o in h.ask({"type": "frontendOpenOrders", "user": w.address})}
    assert rows[sl]["orderType"] == "Stop Market" and rows[sl]["triggerCondition"] == "Price below 2800.0"
    assert rows[tp]["orderType"] == "Take Profit Limit" and rows[tp]["isTrigger"] is True
    h.block()
    assert "ETH" in h.position(w)  # nothing fired yet
    h.set_mid("ETH", "2700")
    h.block()
    assert h.position(w) == {}
    assert h.sink.statuses(sl)[:2] == ["open", "triggered"] and h.sink.statuses(sl)[-1] == "filled"
    assert h.sink.statuses(tp)[-1] == "reduceOnlyCanceled"  # the position it protected is gone
    close = h.ask({"type": "userFills", "user": w.address})[0]
    assert close["dir"] == "Close Long" and Decimal(close["px"]) < 2800


def test_normal_tpsl_children_wait_for_the_parent_to_fill():
    h = Harness()
    w = h.wallet()
    h.set_mid("SOL", "150")
    btc = h.asset("SOL")
    orders = [{"a": btc, "b": True, "p": "140", "s": "1", "r": False, "t": {"limit": {"tif": "Gtc"}}},
              {"a": btc, "b": False, "p": "120", "s": "1", "r": True,
               "t": {"trigger": {"isMarket": True, "triggerPx": "130", "tpsl": "sl"}}}]
    reply = h.act(w, {"type": "order", "orders": orders, "grouping": "normalTpsl"})
    s = reply["response"]["data"]["statuses"]
    assert "resting" in s[0] and s[1] == "waitingForFill"
    [parent] = h.ask({"type": "frontendOpenOrders", "user": w.address})
    assert len(parent["children"]) == 1
    h.set_mid("SOL", "139")
    h.block()
    rows = h.ask({"type": "frontendOpenOrders", "user": w.address})
    assert [r["orderType"] for r in rows] == ["Stop Market"]
    assert h.position(w)["SOL"]["szi"] == "1.0"


def test_scheduled_cancel_fires_at_its_time():
    h = Harness()
    w = h.wallet()
    oid = h.order(w, "BTC", True, "0.01", "50000")["resting"]["oid"]
    assert h.act(w, {"type": "scheduleCancel", "time": h.now + 5_000})["status"] == "ok"
    h.block(ms=1_000)
    assert len(h.ask({"type": "openOrders", "user": w.address})) == 1
    h.block(ms=5_000)
    assert h.ask({"type": "openOrders", "user": w.address}) == []
    assert h.ask({"type": "orderStatus", "user": w.address, "oid": oid})["order"]["status"] == "scheduledCancel"


def test_funding_is_paid_each_interval_and_recorded():
    h = Harness(funding_interval_ms=1_000)
    w = h.wallet(10_000)
    h.order(w, "BTC", True, "0.1", str(h.mid("BTC") + 100), tif="Ioc")
    usdc_before = h.venue.account(w.address.lower()).usdc
    h.block(ms=1_100)
    rows = h.ask({"type": "userFunding", "user": w.address, "startTime": 0})
    assert len(rows) == 1
    delta = rows[0]["delta"]
    assert delta["coin"] == "BTC" and delta["type"] == "funding" and delta["szi"] == "0.1"
    paid = Decimal(delta["usdc"])
    assert paid != 0 and (paid < 0) == (Decimal(delta["fundingRate"]) > 0)  # longs pay a positive rate
    assert h.venue.account(w.address.lower()).usdc == usdc_before + paid
    assert Decimal(h.position(w)["BTC"]["cumFunding"]["sinceOpen"]) == -paid
    assert any("funding" in e for _, e in h.sink.user_events)


def test_an_account_below_maintenance_is_liquidated():
    h = Harness()
    w = h.wallet(1_000)
    h.set_mid("BTC", "65000")
    assert h.act(w, {"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 40})["status"] == "ok"
    h.order(w, "BTC", True, "0.5", "65100", tif="Ioc")  # ~32.5k notional on 1k: 32x
    resting = h.order(w, "BTC", True, "0.01", "60000")["resting"]["oid"]
    liq = Decimal(h.position(w)["BTC"]["liquidationPx"])
    assert 63_000 < liq < 65_000
    h.set_mid("BTC", str(int(liq) - 200))
    h.block()
    assert h.position(w) == {}
    close = h.ask({"type": "userFills", "user": w.address})[0]
    assert close["liquidation"]["liquidatedUser"] == w.address.lower()
    assert h.ask({"type": "orderStatus", "user": w.address, "oid": resting})["order"]["status"] == "marginCanceled"
    assert any("liquidation" in e for _, e in h.sink.user_events)
    assert h.keeper.liquidations == 1


def test_a_fired_limit_trigger_rests_on_the_book_once_and_can_be_cancelled():
    h = Harness()
    w = h.wallet()
    h.set_mid("BTC", "65000")
    h.order(w, "BTC", True, "0.1", "65100", tif="Ioc")
    oid = h.order(w, "BTC", False, "0.1", "70000", reduce_only=True,
                  trigger={"isMarket": False, "triggerPx": "66000", "tpsl": "tp"})["resting"]["oid"]
    h.set_mid("BTC", "66500")
    h.block(n=3)
    assert h.sink.statuses(oid).count("triggered") == 1
    [row] = h.ask({"type": "openOrders", "user": w.address})
    assert (row["oid"], row["limitPx"]) == (oid, "70000.0")
    assert [o.oid for o in h.venue.books["BTC"].asks] == [oid]
    assert h.act(w, {"type": "cancel", "cancels": [{"a": 0, "o": oid}]})["response"]["data"]["statuses"] == [
        "success"]
    assert h.venue.books["BTC"].asks == []
