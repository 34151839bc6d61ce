"""What the WebSocket hub sends: snapshots for new subscribers, per-block pushes, `post` replies."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import orjson

from perps_desktop.sim.accounts import empty_state
from perps_desktop.sim.info import candles
from perps_desktop.sim.wire import WireError

if TYPE_CHECKING:
    from perps_desktop.sim.server import Simulator

__all__ = ["account_payload", "block_payload", "post", "snapshot"]


def _now_ms() -> int:
    return int(time.time() * 1000)


async def post(sim: Simulator, kind: str, payload: object) -> dict:
    """A `{"method":"post"}` request: an info query or a signed action, answered as over HTTP."""
    now = _now_ms()
    if kind == "info":
        name = payload.get("type") if isinstance(payload, dict) else None
        sim.count(f"info:{name}" if isinstance(name, str) else "info:invalid")
        if not isinstance(payload, dict):
            return {"type": "error", "payload": "info payload must be an object with a type"}
        try:
            data, _ = sim.info.answer(payload, now)
        except WireError as exc:
            return {"type": "error", "payload": str(exc)}
        return {"type": "info", "payload": {"type": name, "data": orjson.loads(data)}}
    action = payload.get("action") if isinstance(payload, dict) else None
    name = action.get("type") if isinstance(action, dict) else None
    sim.count(f"exchange:{name}" if isinstance(name, str) else "exchange:invalid")
    try:
        return {"type": "action", "payload": sim.actions.handle(payload, now)}
    except WireError as exc:
        return {"type": "error", "payload": str(exc)}


def snapshot(sim: Simulator, key: tuple) -> list[str]:
    """Messages a new subscriber gets at once (market state now; the user's recent fills)."""
    kind = key[0]
    if kind in ("allMids", "l2Book", "bbo", "candle"):
        text = block_payload(sim, key)
        return [text] if text is not None else []
    if kind in ("clearinghouseState", "openOrders"):
        text = account_payload(sim, key)
        return [text] if text is not None else []
    if kind == "userFills":
        acct = sim.venue.account(key[1])
        fills = acct.fills[-500:][::-1] if acct else []
        return [orjson.dumps({"channel": "userFills", "data": {"user": key[1], "isSnapshot": True,
                                                                "fills": fills}}).decode()]
    return []


def block_payload(sim: Simulator, key: tuple) -> str | None:
    """The per-block push for a market subscription (None if the coin or interval is unknown)."""
    kind = key[0]
    m = sim.venue.markets
    if kind == "allMids":
        return '{"channel":"allMids","data":{"mids":' + m.all_mids_body.decode() + "}}"
    coin = key[1]
    if coin not in m.by_name:
        return None
    now = _now_ms()
    if kind in ("l2Book", "bbo"):
        bids, asks = sim.venue.books[coin].levels()
        if kind == "l2Book":
            data: dict = {"coin": coin, "time": now, "levels": [bids, asks]}
        else:
            data = {"coin": coin, "time": now, "bbo": [bids[0] if bids else None, asks[0] if asks else None]}
        return orjson.dumps({"channel": kind, "data": data}).decode()
    if kind == "candle":
        try:
            rows = candles(m.candles(coin), coin, key[2], now - 60_000, now)
        except KeyError:
            return None
        return orjson.dumps({"channel": "candle", "data": rows[-1]}).decode() if rows else None
    return None


def account_payload(sim: Simulator, key: tuple) -> str | None:
    """A user's whole clearinghouse state or open orders, as the venue's `clearinghouseState` and
    `openOrders` subscriptions push them: `{"dex", "user", "clearinghouseState": <the /info reply>}` and
    `{"dex", "user", "orders": <frontendOpenOrders rows>}` (shapes as in nktkas/hyperliquid's
    subscription schemas, which are checked against the real venue)."""
    kind, user = key[0], key[1]
    acct = sim.venue.account(user)
    now = _now_ms()
    if kind == "clearinghouseState":
        state = acct.clearinghouse_state(sim.venue.marks(), sim.venue.max_lev, now) if acct else empty_state(now)
        data: dict = {"dex": "", "user": user, "clearinghouseState": state}
    elif kind == "openOrders":
        rows = [o.frontend() for o in reversed(acct.open_orders.values())] if acct else []
        data = {"dex": "", "user": user, "orders": rows}
    else:
        return None
    return orjson.dumps({"channel": kind, "data": data}).decode()
