"""`POST /info`: every read request a client sends, answered in the venue's shapes, with its weight."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import orjson

from perps_desktop.sim.accounts import empty_state, q_money
from perps_desktop.sim.venue import MAKER_FEE, TAKER_FEE, Venue
from perps_desktop.sim.wire import WireError, as_int, fmt, norm_address, norm_cloid

__all__ = ["INFO_WEIGHTS", "InfoHandler", "info_weight"]

INFO_WEIGHTS = {"l2Book": 2, "allMids": 2, "clearinghouseState": 2, "orderStatus": 2,
                "spotClearinghouseState": 2, "exchangeStatus": 2, "userRole": 60}
_INTERVALS = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "8h": 480,
              "12h": 720, "1d": 1440, "3d": 4320, "1w": 10080, "1M": 43200}
_EMPTY_SPOT = b'{"universe":[],"tokens":[]}'


def info_weight(kind: str) -> int:
    """The IP weight of an info request before its per-item surcharge."""
    return INFO_WEIGHTS.get(kind, 20)


class InfoHandler:
    """Maps an info body to (JSON bytes, extra weight); raises WireError for a bad request."""

    def __init__(self, venue: Venue, rate_state: Callable[[str], dict],
                 agents: Callable[[], Mapping[str, str]] = dict) -> None:
        self.venue = venue
        self.rate_state = rate_state
        self.agents = agents
        self.routes: dict[str, Callable[[Mapping, int], tuple[bytes, int]]] = {
            "meta": self._meta, "spotMeta": self._spot_meta, "spotMetaAndAssetCtxs": self._spot_ctxs,
            "perpDexs": self._perp_dexs, "metaAndAssetCtxs": self._meta_ctxs, "allMids": self._all_mids,
            "clearinghouseState": self._state, "openOrders": self._open_orders,
            "frontendOpenOrders": self._frontend_orders, "userFills": self._fills,
            "userFillsByTime": self._fills_by_time, "orderStatus": self._order_status, "l2Book": self._l2,
            "candleSnapshot": self._candles, "userFunding": self._funding, "userRateLimit": self._rate_limit,
            "historicalOrders": self._historical, "userFees": self._fees, "maxBuilderFee": self._max_builder_fee,
            "referral": self._referral, "spotClearinghouseState": self._spot_state,
            "exchangeStatus": self._exchange_status, "fundingHistory": self._funding_history,
            "userRole": self._user_role, "subAccounts": self._null_for_user, "extraAgents": self._agents,
            "userNonFundingLedgerUpdates": self._ledger, "predictedFundings": self._predicted_fundings,
            "userAbstraction": self._abstraction, "userDexAbstraction": self._dex_abstraction,
        }

    def answer(self, body: Mapping, now: int) -> tuple[bytes, int]:
        kind = body.get("type")
        route = self.routes.get(kind) if isinstance(kind, str) else None
        if route is None:
            raise WireError(f"unknown info type {kind!r}; this venue answers: {', '.join(sorted(self.routes))}")
        return route(body, now)

    # -- markets --------------------------------------------------------------------------------
    def _meta(self, body: Mapping, now: int) -> tuple[bytes, int]:
        if body.get("dex") not in (None, ""):
            return b'{"universe":[]}', 0
        return self.venue.markets.meta_body, 0

    def _spot_meta(self, body: Mapping, now: int) -> tuple[bytes, int]:
        return _EMPTY_SPOT, 0

    def _spot_ctxs(self, body: Mapping, now: int) -> tuple[bytes, int]:
        return b"[" + _EMPTY_SPOT + b",[]]", 0

    def _perp_dexs(self, body: Mapping, now: int) -> tuple[bytes, int]:
        return b"[null]", 0

    def _all_mids(self, body: Mapping, now: int) -> tuple[bytes, int]:
        if body.get("dex") not in (None, ""):
            return b"{}", 0
        return self.venue.markets.all_mids_body, 0

    def _meta_ctxs(self, body: Mapping, now: int) -> tuple[bytes, int]:
        m = self.venue.markets
        ctxs = []
        for spec in m.specs:
            coin = spec.name
            mid = m.mids[coin]
            book = self.venue.books[coin]
            prev, base_vlm, ntl_vlm = m.day_stats(coin, now)
            oi = sum((abs(a.positions[coin].szi) for a in self.venue.accounts.values() if coin in a.positions),
                     Decimal(0))
            ctxs.append({"funding": fmt(m.funding[coin]), "openInterest": fmt(oi), "prevDayPx": fmt(prev),
                         "dayNtlVlm": fmt(q_money(ntl_vlm)), "premium": "0.0", "oraclePx": fmt(mid),
                         "markPx": fmt(mid), "midPx": fmt(mid),
                         "impactPxs": [fmt(book.best(False)), fmt(book.best(True))], "dayBaseVlm": fmt(base_vlm)})
        return b"[" + m.meta_body + b"," + orjson.dumps(ctxs) + b"]", 0

    def _l2(self, body: Mapping, now: int) -> tuple[bytes, int]:
        coin = self._coin(body.get("coin"))
        bids, asks = self.venue.books[coin].levels()
        return orjson.dumps({"coin": coin, "time": now, "levels": [bids, asks]}), 0

    def _candles(self, body: Mapping, now: int) -> tuple[bytes, int]:
        req = body.get("req")
        if not isinstance(req, Mapping):
            raise WireError("candleSnapshot needs req: {coin, interval, startTime, endTime}")
        coin = self._coin(req.get("coin"))
        interval = req.get("interval")
        if interval not in _INTERVALS:
            raise WireError(f"interval must be one of {', '.join(_INTERVALS)}, got {interval!r}")
        start = as_int(req.get("startTime"), "req.startTime")
        end = as_int(req["endTime"], "req.endTime") if req.get("endTime") is not None else now
        rows = candles(self.venue.markets.candles(coin), coin, str(interval), start, end)
        return orjson.dumps(rows), len(rows) // 60

    # -- users ----------------------------------------------------------------------------------
    def _state(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        if acct is None or body.get("dex") not in (None, ""):
            return orjson.dumps(empty_state(now)), 0
        return orjson.dumps(acct.clearinghouse_state(self.venue.marks(), self.venue.max_lev, now)), 0

    def _spot_state(self, body: Mapping, now: int) -> tuple[bytes, int]:
        norm_address(body.get("user"))
        return b'{"balances":[]}', 0

    def _open_orders(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        rows = [o.basic() for o in reversed(acct.open_orders.values())] if acct else []
        return orjson.dumps(rows), 0

    def _frontend_orders(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        rows = [o.frontend() for o in reversed(acct.open_orders.values())] if acct else []
        return orjson.dumps(rows), 0

    def _fills(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        rows = acct.fills[-2000:][::-1] if acct else []
        return orjson.dumps(rows), len(rows) // 20

    def _fills_by_time(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        start = as_int(body.get("startTime"), "startTime")
        end = as_int(body["endTime"], "endTime") if body.get("endTime") is not None else now
        rows = [f for f in acct.fills if start <= f["time"] <= end][:2000] if acct else []
        return orjson.dumps(rows), len(rows) // 20

    def _funding(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        start = as_int(body.get("startTime"), "startTime")
        end = as_int(body["endTime"], "endTime") if body.get("endTime") is not None else now
        rows = [f for f in acct.funding if start <= f["time"] <= end][:500] if acct else []
        return orjson.dumps(rows), len(rows) // 20

    def _order_status(self, body: Mapping, now: int) -> tuple[bytes, int]:
        user = norm_address(body.get("user"))
        ref = body.get("oid")
        acct = self.venue.account(user)
        order = None
        if isinstance(ref, str):
            cloid = norm_cloid(ref, "oid")
            order = next((o for o in reversed(self.venue.orders.values()) if o.user == user and o.cloid == cloid),
                         None) if acct else None
        else:
            oid = as_int(ref, "oid")
            order = self.venue.orders.get(oid)
            if order is not None and order.user != user:
                order = None
        if order is None:
            return b'{"status":"unknownOid"}', 0
        return orjson.dumps({"status": "order", "order": {"order": order.frontend(), "status": order.status,
                                                          "statusTimestamp": order.status_ts}}), 0

    def _historical(self, body: Mapping, now: int) -> tuple[bytes, int]:
        user = norm_address(body.get("user"))
        rows = [{"order": o.frontend(), "status": o.status, "statusTimestamp": o.status_ts}
                for o in reversed(self.venue.orders.values()) if o.user == user][:2000]
        return orjson.dumps(rows), len(rows) // 20

    def _rate_limit(self, body: Mapping, now: int) -> tuple[bytes, int]:
        user = norm_address(body.get("user"))
        acct = self.venue.account(user)
        vlm = acct.volume if acct else Decimal(0)
        state = self.rate_state(user)
        return orjson.dumps({"cumVlm": fmt(q_money(vlm)), "nRequestsUsed": state["used"],
                             "nRequestsCap": 10_000 + int(vlm), "nRequestsSurplus": 0}), 0

    def _fees(self, body: Mapping, now: int) -> tuple[bytes, int]:
        norm_address(body.get("user"))
        return orjson.dumps({"dailyUserVlm": [], "userCrossRate": fmt(TAKER_FEE), "userAddRate": fmt(MAKER_FEE),
                             "userSpotCrossRate": "0.0007", "userSpotAddRate": "0.0004",
                             "activeReferralDiscount": "0.0", "feeSchedule": {"cross": fmt(TAKER_FEE),
                                                                             "add": fmt(MAKER_FEE)}}), 0

    def _max_builder_fee(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        builder = norm_address(body.get("builder"), "builder")
        rate = acct.builder_approvals.get(builder) if acct else None
        return orjson.dumps(int(rate * 100_000) if rate is not None else 0), 0

    def _referral(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        ref = acct.referrer if acct else None
        return orjson.dumps({"referredBy": {"referrer": "0x" + "0" * 40, "code": ref} if ref else None,
                             "cumVlm": fmt(acct.volume if acct else 0), "unclaimedRewards": "0.0",
                             "claimedRewards": "0.0", "builderRewards": "0.0", "referrerState":
                                 {"stage": "needToTrade", "data": {"required": "10000.0"}},
                             "rewardHistory": []}), 0

    def _exchange_status(self, body: Mapping, now: int) -> tuple[bytes, int]:
        return orjson.dumps({"time": now, "specialStatuses": None}), 0

    def _funding_history(self, body: Mapping, now: int) -> tuple[bytes, int]:
        coin = self._coin(body.get("coin"))
        start = as_int(body.get("startTime"), "startTime")
        end = as_int(body["endTime"], "endTime") if body.get("endTime") is not None else now
        rows = [r for r in self.venue.markets.funding_history[coin] if start <= r["time"] <= end][:500]
        return orjson.dumps(rows), len(rows) // 20

    def _predicted_fundings(self, body: Mapping, now: int) -> tuple[bytes, int]:
        m = self.venue.markets
        nxt = now + 3_600_000 - now % 3_600_000
        return orjson.dumps([[s.name, [["HlPerp", {"fundingRate": fmt(m.funding[s.name]), "nextFundingTime": nxt,
                                                   "fundingIntervalHours": 1}]]] for s in m.specs]), 0

    def _user_role(self, body: Mapping, now: int) -> tuple[bytes, int]:
        user = norm_address(body.get("user"))
        if user in self.venue.accounts:
            return b'{"role":"user"}', 0
        master = self.agents().get(user)
        if master is not None:
            return orjson.dumps({"role": "agent", "data": {"user": master}}), 0
        return b'{"role":"missing"}', 0

    def _abstraction(self, body: Mapping, now: int) -> tuple[bytes, int]:
        norm_address(body.get("user"))
        return b'"default"', 0   # a plain perp account: no unified or portfolio margin

    def _dex_abstraction(self, body: Mapping, now: int) -> tuple[bytes, int]:
        norm_address(body.get("user"))
        return b"false", 0

    def _null_for_user(self, body: Mapping, now: int) -> tuple[bytes, int]:
        norm_address(body.get("user"))
        return b"null", 0

    def _agents(self, body: Mapping, now: int) -> tuple[bytes, int]:
        user = norm_address(body.get("user"))
        rows = [{"address": a, "name": "", "validUntil": now + 180 * 86_400_000}
                for a, master in self.agents().items() if master == user]
        return orjson.dumps(rows), 0

    def _ledger(self, body: Mapping, now: int) -> tuple[bytes, int]:
        acct = self.venue.account(norm_address(body.get("user")))
        start = as_int(body.get("startTime"), "startTime")
        rows = [r for r in acct.ledger if r["time"] >= start] if acct else []
        return orjson.dumps(rows), len(rows) // 20

    def _coin(self, coin: object) -> str:
        if not isinstance(coin, str) or coin not in self.venue.markets.by_name:
            raise WireError(f"unknown coin {coin!r}; listed: {', '.join(self.venue.markets.by_name)}")
        return coin


def candles(rows: list[list], coin: str, interval: str, start: int, end: int) -> list[dict]:
    """Aggregate 1m rows into `interval` candles overlapping [start, end], oldest first (max 5000)."""
    span = _INTERVALS[interval] * 60_000
    out: list[dict] = []
    cur: list | None = None
    for t, o, h, lo, c, v, n in rows:
        if t + 60_000 <= start or t > end:
            continue
        bucket = t - t % span
        if cur is None or cur[0] != bucket:
            if cur is not None:
                out.append(_candle(cur, coin, interval, span))
            cur = [bucket, o, h, lo, c, v, n]
        else:
            cur[2] = max(cur[2], h)
            cur[3] = min(cur[3], lo)
            cur[4] = c
            cur[5] += v
            cur[6] += n
    if cur is not None:
        out.append(_candle(cur, coin, interval, span))
    return out[-5000:]


def _candle(row: list, coin: str, interval: str, span: int) -> dict:
    t, o, h, lo, c, v, n = row
    return {"t": t, "T": t + span - 1, "s": coin, "i": interval, "o": fmt(o), "c": fmt(c), "h": fmt(h),
            "l": fmt(lo), "v": fmt(v), "n": n}
