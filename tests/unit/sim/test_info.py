from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.sim.info import info_weight
from perps_desktop.sim.wire import WireError
from tests.unit.sim.harness import Harness

USER = "0x" + "12" * 20


def test_what_clients_ask_at_start_is_answered():
    h = Harness()
    assert h.ask({"type": "spotMeta"}) == {"universe": [], "tokens": []}
    assert h.ask({"type": "spotMetaAndAssetCtxs"}) == [{"universe": [], "tokens": []}, []]
    assert h.ask({"type": "perpDexs"}) == [None]
    meta = h.ask({"type": "meta", "dex": ""})
    assert meta["universe"][0] == {"name": "BTC", "szDecimals": 5, "maxLeverage": 40, "marginTableId": 40}
    meta2, ctxs = h.ask({"type": "metaAndAssetCtxs"})
    assert meta2 == meta and len(ctxs) == len(meta["universe"])
    assert Decimal(ctxs[0]["markPx"]) == h.mid("BTC")
    assert set(ctxs[0]) >= {"funding", "openInterest", "prevDayPx", "dayNtlVlm", "oraclePx", "impactPxs"}
    mids = h.ask({"type": "allMids"})
    assert set(mids) == {a["name"] for a in meta["universe"]}


def test_unknown_users_get_empty_answers_not_errors():
    h = Harness()
    state = h.ask({"type": "clearinghouseState", "user": USER})
    assert state["assetPositions"] == [] and state["marginSummary"]["accountValue"] == "0.0"
    for kind in ("openOrders", "frontendOpenOrders", "userFills", "historicalOrders"):
        assert h.ask({"type": kind, "user": USER}) == []
    assert h.ask({"type": "orderStatus", "user": USER, "oid": 5}) == {"status": "unknownOid"}
    assert h.ask({"type": "userFunding", "user": USER, "startTime": 0}) == []
    assert h.ask({"type": "userRateLimit", "user": USER})["nRequestsUsed"] == 0


def test_l2_book_and_candles():
    h = Harness()
    book = h.ask({"type": "l2Book", "coin": "ETH"})
    assert book["coin"] == "ETH" and len(book["levels"]) == 2
    assert Decimal(book["levels"][0][0]["px"]) < h.mid("ETH") < Decimal(book["levels"][1][0]["px"])
    rows = h.ask({"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "15m",
                                                    "startTime": h.now - 3_600_000, "endTime": h.now}})
    assert 4 <= len(rows) <= 5
    assert all(r["T"] - r["t"] == 15 * 60_000 - 1 and r["s"] == "BTC" and r["i"] == "15m" for r in rows)
    assert [r["t"] for r in rows] == sorted(r["t"] for r in rows)
    h.set_mid("BTC", "70000")
    h.block(ms=60_000)
    last = h.ask({"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": h.now - 1}})[-1]
    assert abs(Decimal(last["c"]) - 70000) < 200


def test_fills_by_time_funding_rate_limit_and_order_status_by_cloid():
    h = Harness()
    w = h.wallet()
    cloid = "0x" + "ab" * 16
    h.order(w, "BTC", True, "0.01", str(h.mid("BTC") + 50), tif="Ioc", cloid=cloid)
    t1 = h.now
    h.now += 10_000
    h.order(w, "BTC", False, "0.01", str(h.mid("BTC") - 50), tif="Ioc")
    all_fills = h.ask({"type": "userFillsByTime", "user": w.address, "startTime": 0})
    assert [f["dir"] for f in all_fills] == ["Open Long", "Close Long"]  # oldest first
    early = h.ask({"type": "userFillsByTime", "user": w.address, "startTime": 0, "endTime": t1})
    assert len(early) == 1 and early[0]["cloid"] == cloid
    status = h.ask({"type": "orderStatus", "user": w.address, "oid": cloid})
    assert status["order"]["status"] == "filled" and status["order"]["order"]["cloid"] == cloid
    limits = h.ask({"type": "userRateLimit", "user": w.address})
    assert limits["nRequestsUsed"] == 2 and Decimal(limits["cumVlm"]) > 0
    assert h.ask({"type": "userFees", "user": w.address})["userCrossRate"] == "0.00045"


def test_funding_history_roles_ledger_and_predicted_fundings():
    h = Harness(funding_interval_ms=1_000)
    w = h.wallet(5_000)
    assert h.ask({"type": "userRole", "user": w.address}) == {"role": "user"}
    assert h.ask({"type": "userRole", "user": USER}) == {"role": "missing"}
    assert h.ask({"type": "subAccounts", "user": w.address}) is None
    assert h.ask({"type": "extraAgents", "user": w.address}) == []
    assert h.ask({"type": "userAbstraction", "user": w.address}) == "default"  # what ccxt asks at start
    assert h.ask({"type": "userDexAbstraction", "user": w.address}) is False
    [deposit] = h.ask({"type": "userNonFundingLedgerUpdates", "user": w.address, "startTime": 0})
    assert deposit["delta"] == {"type": "deposit", "usdc": "5000.0"}
    h.block(ms=1_500)
    [row] = h.ask({"type": "fundingHistory", "coin": "ETH", "startTime": 0})
    assert row["coin"] == "ETH" and row["time"] == h.now and Decimal(row["fundingRate"]) != 0
    predicted = h.ask({"type": "predictedFundings"})
    assert predicted[0][0] == "BTC" and predicted[0][1][0][0] == "HlPerp"


@pytest.mark.parametrize("body", [
    {"type": "nope"}, {}, {"type": 5}, {"type": "l2Book", "coin": "NOPE"}, {"type": "l2Book"},
    {"type": "clearinghouseState"}, {"type": "clearinghouseState", "user": "bob"},
    {"type": "openOrders", "user": 12}, {"type": "orderStatus", "user": USER, "oid": "0x12"},
    {"type": "orderStatus", "user": USER, "oid": 1.5},
    {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "7m", "startTime": 0}},
    {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": "0"}},
    {"type": "candleSnapshot"}, {"type": "userFunding", "user": USER}])
def test_bad_info_requests_raise_a_readable_wire_error(body):
    with pytest.raises(WireError) as err:
        Harness().info.answer(body, 1)
    assert len(str(err.value)) > 10


def test_weights_follow_the_venue_table():
    assert info_weight("allMids") == 2 and info_weight("l2Book") == 2 and info_weight("orderStatus") == 2
    assert info_weight("meta") == 20 and info_weight("userRole") == 60
