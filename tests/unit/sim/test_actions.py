from __future__ import annotations

from decimal import Decimal

import eth_account
import pytest
from hyperliquid.utils.signing import sign_agent, sign_approve_builder_fee

from perps_desktop.sim.wire import WireError
from tests.unit.sim.harness import Harness

CLOID = "0x" + "0" * 31 + "7"


def _limit(h: Harness, coin: str, is_buy: bool, sz: str, px: str, tif: str = "Gtc", **extra) -> dict:
    return {"a": h.asset(coin), "b": is_buy, "p": px, "s": sz, "r": False, "t": {"limit": {"tif": tif}}, **extra}


def test_orders_get_one_status_each_in_the_venue_shapes():
    h = Harness()
    w = h.wallet()
    mid = h.mid("BTC")
    orders = [_limit(h, "BTC", True, "0.01", str(mid - 1000), c=CLOID),
              _limit(h, "BTC", True, "0.01", str(mid + 500), "Ioc"),
              _limit(h, "BTC", True, "0.01", str(mid - 1000), "Ioc"),
              _limit(h, "BTC", True, "0.01", str(mid + 5), "Alo"),
              _limit(h, "BTC", True, "0.001", "65000.5"),
              _limit(h, "BTC", True, "0.000001", str(mid)),
              {**_limit(h, "BTC", True, "1", "100"), "a": 99},
              _limit(h, "BTC", True, "0.0001", str(mid - 10)),
              _limit(h, "BTC", True, "100", str(mid - 10)),
              _limit(h, "BTC", True, "0.01", str(mid - 2000), c=CLOID)]
    reply = h.act(w, {"type": "order", "orders": orders, "grouping": "na"})
    assert reply["status"] == "ok" and reply["response"]["type"] == "order"
    s = reply["response"]["data"]["statuses"]
    assert s[0]["resting"]["cloid"] == CLOID
    assert s[1]["filled"]["totalSz"] == "0.01" and Decimal(s[1]["filled"]["avgPx"]) == mid + 1
    assert s[2]["error"].startswith("Order could not immediately match against any resting orders.")
    assert s[3]["error"].startswith("Post only order would have immediately matched, bbo was")
    assert s[4]["error"].startswith("Order has invalid price.")
    assert s[5]["error"].startswith("Order has invalid size.")
    assert "Asset 99 does not exist" in s[6]["error"]
    assert s[7]["error"].startswith("Order must have minimum value of $10.")
    assert s[8]["error"].startswith("Insufficient margin to place order.")
    assert "duplicate cloid" in s[9]["error"]


def test_reduce_only_cannot_open_or_grow_and_is_clipped_to_the_position():
    h = Harness()
    w = h.wallet()
    mid = h.mid("ETH")
    assert h.order(w, "ETH", False, "1", str(mid - 100), tif="Ioc", reduce_only=True)["error"].startswith(
        "Reduce only order would increase position.")
    h.order(w, "ETH", True, "1", str(mid + 100), tif="Ioc")
    status = h.order(w, "ETH", False, "5", str(mid - 100), tif="Ioc", reduce_only=True)
    assert status["filled"]["totalSz"] == "1.0"
    assert h.position(w) == {}


def test_unknown_signers_replays_and_expired_actions_are_refused():
    h = Harness()
    w = h.wallet()
    stranger = eth_account.Account.create()
    action = {"type": "order", "orders": [_limit(h, "BTC", True, "0.01", "50000")], "grouping": "na"}
    reply = h.act(stranger, action)
    assert reply == {"status": "err", "response": f"User or API Wallet {stranger.address.lower()} does not exist."}
    body = h.body(w, action)
    assert h.actions.handle(body, h.now)["status"] == "ok"
    assert h.actions.handle(body, h.now)["response"].startswith("Invalid nonce: duplicate nonce")
    late = h.act(w, action, expires=h.now - 1)
    assert late["status"] == "err" and "expired" in late["response"]
    assert h.act(w, action, expires=h.now + 60_000)["status"] == "ok"
    vault = h.act(w, action, vault="0x" + "11" * 20)
    assert vault["status"] == "err" and "Vault" in vault["response"]


def test_mainnet_signatures_are_accepted_too():
    h = Harness()
    w = h.wallet()
    reply = h.act(w, {"type": "order", "orders": [_limit(h, "BTC", True, "0.01", "50000")], "grouping": "na"},
                  mainnet=True)
    assert "resting" in reply["response"]["data"]["statuses"][0]


@pytest.mark.parametrize("body", [
    [], {"action": {"type": "order"}, "nonce": 1}, {"action": 5, "nonce": 1, "signature": {}},
    {"action": {"type": "order", "orders": "x", "grouping": "na"}, "nonce": 1, "signature": {}},
    {"action": {"type": "order", "orders": [{"a": "0"}], "grouping": "na"}, "nonce": 1, "signature": {}},
    {"action": {"type": "order", "orders": [{"a": 0, "b": 1, "p": "1", "s": "1", "r": False,
                                             "t": {"limit": {"tif": "Gtc"}}}]}, "nonce": 1, "signature": {}},
    {"action": {"type": "order", "orders": [{"a": 0, "b": True, "p": 1.5j if False else [], "s": "1", "r": False,
                                             "t": {"limit": {"tif": "Gtc"}}}]}, "nonce": 1, "signature": {}},
    {"action": {"type": "order", "orders": [{"a": 0, "b": True, "p": "1", "s": "1", "r": False,
                                             "t": {"limit": {"tif": "Day"}}}]}, "nonce": 1, "signature": {}},
    {"action": {"type": "cancel", "cancels": [{"a": 0}]}, "nonce": 1, "signature": {}},
    {"action": {"type": "fly"}, "nonce": 1, "signature": {}},
    {"action": {"type": "noop"}, "nonce": "1", "signature": {}},
    {"action": {"type": "noop"}, "nonce": -1, "signature": {}}])
def test_malformed_actions_are_deserialization_errors(body):
    with pytest.raises(WireError):
        Harness().actions.handle(body, 1)


def test_a_bad_signature_is_an_err_reply_not_an_exception():
    h = Harness()
    body = {"action": {"type": "noop"}, "nonce": h.now, "signature": {"r": "0x1", "s": "0x2", "v": 99}}
    reply = h.actions.handle(body, h.now)
    assert reply["status"] == "err" and reply["response"].startswith("Invalid signature")


def test_cancel_and_cancel_by_cloid():
    h = Harness()
    w = h.wallet()
    oid = h.order(w, "SOL", True, "1", "100")["resting"]["oid"]
    h.order(w, "SOL", True, "1", "99", cloid=CLOID)
    reply = h.act(w, {"type": "cancel", "cancels": [{"a": h.asset("SOL"), "o": oid},
                                                    {"a": h.asset("SOL"), "o": oid}]})
    assert reply["response"]["type"] == "cancel"
    assert reply["response"]["data"]["statuses"][0] == "success"
    assert reply["response"]["data"]["statuses"][1]["error"].startswith("Order was never placed")
    reply = h.act(w, {"type": "cancelByCloid", "cancels": [{"asset": h.asset("SOL"), "cloid": CLOID}]})
    assert reply["response"]["data"]["statuses"] == ["success"]
    assert h.ask({"type": "openOrders", "user": w.address}) == []
    assert h.sink.statuses(oid) == ["open", "canceled"]


def test_modify_and_batch_modify_replace_live_orders():
    h = Harness()
    w = h.wallet()
    oid = h.order(w, "BTC", True, "0.01", "60000")["resting"]["oid"]
    h.order(w, "BTC", True, "0.01", "59000", cloid=CLOID)
    new = _limit(h, "BTC", True, "0.02", "61000")
    reply = h.act(w, {"type": "modify", "oid": oid, "order": new})
    assert "resting" in reply["response"]["data"]["statuses"][0]
    moved = _limit(h, "BTC", True, "0.03", "58000", c=CLOID)
    reply = h.act(w, {"type": "batchModify", "modifies": [{"oid": CLOID, "order": moved}, {"oid": 1, "order": new}]})
    s = reply["response"]["data"]["statuses"]
    assert s[0]["resting"]["cloid"] == CLOID
    assert s[1]["error"] == "Cannot modify canceled or filled order"
    rows = {(o["limitPx"], o["sz"]) for o in h.ask({"type": "openOrders", "user": w.address})}
    assert rows == {("61000.0", "0.02"), ("58000.0", "0.03")}
    assert h.ask({"type": "orderStatus", "user": w.address, "oid": oid})["order"]["status"] == "canceled"


def test_update_leverage_and_isolated_margin():
    h = Harness()
    w = h.wallet(10_000)
    btc = h.asset("BTC")
    assert h.act(w, {"type": "updateLeverage", "asset": btc, "isCross": True, "leverage": 10}) == {
        "status": "ok", "response": {"type": "default"}}
    bad = h.act(w, {"type": "updateLeverage", "asset": btc, "isCross": True, "leverage": 41})
    assert bad["status"] == "err" and "Invalid leverage" in bad["response"]
    h.order(w, "BTC", True, "0.01", str(h.mid("BTC") + 100), tif="Ioc")
    assert h.position(w)["BTC"]["leverage"] == {"type": "cross", "value": 10}
    switch = h.act(w, {"type": "updateLeverage", "asset": btc, "isCross": False, "leverage": 10})
    assert switch["response"] == "Cannot switch leverage type with open position."
    empty = h.act(w, {"type": "updateIsolatedMargin", "asset": h.asset("ETH"), "isBuy": True, "ntli": 1_000_000})
    assert empty["status"] == "err"

    eth = h.asset("ETH")
    h.act(w, {"type": "updateLeverage", "asset": eth, "isCross": False, "leverage": 5})
    h.order(w, "ETH", True, "1", str(h.mid("ETH") + 10), tif="Ioc")
    pos = h.position(w)["ETH"]
    assert pos["leverage"]["type"] == "isolated" and "rawUsd" in pos["leverage"]
    before = Decimal(pos["marginUsed"])
    assert h.act(w, {"type": "updateIsolatedMargin", "asset": eth, "isBuy": True, "ntli": 100_000_000})[
        "status"] == "ok"
    assert Decimal(h.position(w)["ETH"]["marginUsed"]) == before + 100
    too_much = h.act(w, {"type": "updateIsolatedMargin", "asset": eth, "isBuy": True, "ntli": -10**12})
    assert too_much["status"] == "err"


def test_user_signed_builder_fee_referrer_and_builder_orders():
    h = Harness()
    w = h.wallet()
    builder = "0x" + "be" * 20
    nonce = h.now
    approve = {"maxFeeRate": "0.01%", "builder": builder, "nonce": nonce, "type": "approveBuilderFee"}
    sig = sign_approve_builder_fee(w, approve, False)
    body = {"action": approve, "nonce": nonce, "signature": sig, "vaultAddress": None, "expiresAfter": None}
    assert h.actions.handle(body, h.now) == {"status": "ok", "response": {"type": "default"}}
    assert h.ask({"type": "maxBuilderFee", "user": w.address, "builder": builder}) == 10

    order = _limit(h, "BTC", True, "0.01", str(h.mid("BTC") + 100), "Ioc")
    too_high = h.act(w, {"type": "order", "orders": [order], "grouping": "na", "builder": {"b": builder, "f": 50}})
    assert too_high == {"status": "err", "response": "Builder fee has not been approved."}
    ok = h.act(w, {"type": "order", "orders": [order], "grouping": "na", "builder": {"b": builder, "f": 10}})
    assert "filled" in ok["response"]["data"]["statuses"][0]
    [fill] = h.ask({"type": "userFills", "user": w.address})
    assert Decimal(fill["builderFee"]) > 0 and Decimal(fill["fee"]) > Decimal(fill["builderFee"])

    assert h.act(w, {"type": "setReferrer", "code": "FRIEND"})["status"] == "ok"
    assert h.act(w, {"type": "setReferrer", "code": "FRIEND"}) == {"status": "err",
                                                                  "response": "Referrer already set."}
    assert h.act(w, {"type": "noop"})["status"] == "ok"


def test_an_approved_agent_trades_for_its_master():
    h = Harness()
    master = h.wallet()
    agent = eth_account.Account.create()
    nonce = h.now
    action = {"type": "approveAgent", "agentAddress": agent.address, "agentName": "bot", "nonce": nonce}
    sig = sign_agent(master, action, False)
    body = {"action": action, "nonce": nonce, "signature": sig, "vaultAddress": None, "expiresAfter": None}
    assert h.actions.handle(body, h.now)["status"] == "ok"
    status = h.order(agent, "BTC", True, "0.01", "50000")
    assert "resting" in status
    assert len(h.ask({"type": "openOrders", "user": master.address})) == 1


def test_schedule_cancel_rules():
    h = Harness()
    w = h.wallet()
    early = h.act(w, {"type": "scheduleCancel", "time": h.now + 1000})
    assert early["status"] == "err" and "too early" in early["response"]
    assert h.act(w, {"type": "scheduleCancel", "time": h.now + 10_000})["status"] == "ok"
    assert h.act(w, {"type": "scheduleCancel"})["status"] == "ok"
    assert h.venue.account(w.address.lower()).scheduled_cancel is None
