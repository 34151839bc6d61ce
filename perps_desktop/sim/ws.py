"""`GET /ws`: subscriptions, pushes in the venue's channel shapes, ping/pong and `post` requests.

Faults that reach the stream (`sim.faults`): an `error` refuses the handshake and cuts open
streams, a `timeout` holds every message (pushes, pongs, post replies) until it ends and hangs the
handshake, a `latency` delays each message by its `latencyMs` from when it was queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Container, Mapping

import orjson
from aiohttp import WSMsgType, web

from perps_desktop.sim.faults import Fault, FaultInjector
from perps_desktop.sim.wire import WireError, norm_address

__all__ = ["WsHub"]

log = logging.getLogger(__name__)

_QUEUE_MAX = 2000
_USER_KINDS = ("userFills", "orderUpdates", "userEvents", "userFundings")
_COIN_KINDS = ("l2Book", "trades", "bbo")
_ACCOUNT_KINDS = ("clearinghouseState", "openOrders")   # whole-account pushes, main dex only
_ACCOUNT_EVERY_S = 1.0                                   # clearinghouseState per block at most this often
PostHandler = Callable[[str, object], Awaitable[dict]]


class _Conn:
    __slots__ = ("queue", "subs", "writer", "ws")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.subs: set[tuple] = set()
        self.queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue(_QUEUE_MAX)   # (queued at, text)
        self.writer: asyncio.Task | None = None

    def send(self, text: str) -> bool:
        try:
            self.queue.put_nowait((time.monotonic(), text))
        except asyncio.QueueFull:
            return False
        return True


class WsHub:
    """Every open WebSocket and what it subscribed to; also the venue's event sink."""

    def __init__(self, *, faults: FaultInjector, snapshot: Callable[[tuple], list[str]],
                 block_payload: Callable[[tuple], str | None], post: PostHandler,
                 account_payload: Callable[[tuple], str | None] = lambda key: None,
                 closing: asyncio.Event | None = None) -> None:
        self.faults = faults
        self.closing = closing or asyncio.Event()     # set when the simulator stops: no fault holds past it
        self.snapshot = snapshot              # messages a new subscriber gets at once
        self.block_payload = block_payload    # the per-block push for a ("allMids",)/("l2Book", c) key
        self.post = post
        self.account_payload = account_payload  # the push for a ("clearinghouseState"|"openOrders", user) key
        self.coins: Container[str] | None = None  # the listed coins (the server sets them): others are refused
        self._account_due = 0.0
        self.conns: set[_Conn] = set()
        self.by_key: defaultdict[tuple, set[_Conn]] = defaultdict(set)
        self.dropped = 0

    # -- connections ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        for fault in self.faults.draw("ws", kinds=("error", "timeout", "latency")):
            if fault.kind == "error":
                return web.Response(status=500, text="injected error")
            if fault.kind == "timeout":
                await self._silent(fault, fault.latency_ms / 1000.0 or None)
                return web.Response(status=504, text="injected timeout")
            await self._wait(fault.latency_ms / 1000.0)
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = _Conn(ws)
        self.conns.add(conn)
        conn.writer = asyncio.get_running_loop().create_task(self._writer(conn))
        conn.send("Websocket connection established.")
        if self.faults.draw("ws", kinds=("wsDrop",)):
            self._drop(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self._forget(conn)
            if conn.writer is not None:
                conn.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):    # (it returns on a lost client itself)
                    await conn.writer
        return ws

    async def _writer(self, conn: _Conn) -> None:
        while True:
            item = await conn.queue.get()
            if item is None or conn.ws.closed:
                return
            queued_at, text = item
            for fault in self.faults.draw("ws", kinds=("timeout", "latency")):
                if fault.kind == "timeout":
                    await self._silent(fault)
                else:
                    await self._wait(queued_at + fault.latency_ms / 1000.0 - time.monotonic())
            if conn.ws.closed:
                return
            try:
                await conn.ws.send_str(text)
            except (ConnectionResetError, RuntimeError):
                return

    async def _wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less if the simulator stops."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), seconds)

    async def _silent(self, fault: Fault, at_most_s: float | None = None) -> None:
        """Wait while `fault` is active (until it ends or is cleared), `at_most_s` at the longest."""
        end = None if at_most_s is None else time.monotonic() + at_most_s
        while not self.closing.is_set() and any(f is fault for f in self.faults.active()):
            left = 0.1 if end is None else min(0.1, end - time.monotonic())
            if left <= 0:
                return
            await self._wait(left)

    def _forget(self, conn: _Conn) -> None:
        self.conns.discard(conn)
        for key in conn.subs:
            self.by_key[key].discard(conn)
        conn.subs.clear()

    def _drop(self, conn: _Conn) -> None:
        """Cut a connection abruptly (fault injection or a consumer too slow to keep up)."""
        self.dropped += 1
        self._forget(conn)
        transport = conn.ws._req.transport if conn.ws._req is not None else None
        if transport is not None:
            transport.abort()

    def drop_all(self) -> int:
        conns = list(self.conns)
        for conn in conns:
            self._drop(conn)
        return len(conns)

    async def close_all(self) -> None:
        for conn in list(self.conns):
            self._forget(conn)
            with contextlib.suppress(ConnectionError):      # a client already gone (close answers the rest)
                await conn.ws.close(code=1001, message=b"simulator stopping")

    # -- client messages ------------------------------------------------------------------------
    async def _on_text(self, conn: _Conn, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            conn.send(_dump({"channel": "error", "data": f"Invalid JSON: {text[:200]}"}))
            return
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            conn.send('{"channel":"pong"}')
        elif method in ("subscribe", "unsubscribe"):
            sub = msg.get("subscription")
            try:
                key = subscription_key(sub, self.coins)
            except WireError as exc:
                conn.send(_dump({"channel": "error", "data": f"Invalid subscription {orjson.dumps(sub).decode()}: "
                                                             f"{exc}"}))
                return
            if method == "subscribe":
                if key not in conn.subs:
                    conn.subs.add(key)
                    self.by_key[key].add(conn)
                conn.send(_dump({"channel": "subscriptionResponse", "data": {"method": method,
                                                                             "subscription": sub}}))
                for snap in self.snapshot(key):
                    conn.send(snap)
            else:
                conn.subs.discard(key)
                self.by_key[key].discard(conn)
                conn.send(_dump({"channel": "subscriptionResponse", "data": {"method": method,
                                                                             "subscription": sub}}))
        elif method == "post":
            await self._on_post(conn, msg)
        else:
            conn.send(_dump({"channel": "error", "data": f"Unknown method {method!r}: use subscribe, "
                                                         "unsubscribe, ping or post"}))

    async def _on_post(self, conn: _Conn, msg: Mapping) -> None:
        req_id = msg.get("id")
        req = msg.get("request")
        if not isinstance(req, Mapping) or req.get("type") not in ("info", "action"):
            response: dict = {"type": "error", "payload": "request must be {type: info|action, payload: {...}}"}
        else:
            response = await self.post(str(req["type"]), req.get("payload"))
        conn.send(_dump({"channel": "post", "data": {"id": req_id, "response": response}}))

    # -- venue events (EventSink) ---------------------------------------------------------------
    def _push(self, key: tuple, text: str) -> None:
        for conn in list(self.by_key.get(key, ())):
            if not conn.send(text):
                log.warning("dropping a WebSocket client that fell %d messages behind", _QUEUE_MAX)
                self._drop(conn)

    def on_fills(self, user: str, fills: list[dict]) -> None:
        if self.by_key.get(("userFills", user)):
            self._push(("userFills", user), _dump({"channel": "userFills", "data": {"user": user, "fills": fills}}))
        if self.by_key.get(("userEvents", user)):
            self._push(("userEvents", user), _dump({"channel": "user", "data": {"fills": fills}}))

    def on_order_updates(self, user: str, updates: list[dict]) -> None:
        if self.by_key.get(("orderUpdates", user)):
            self._push(("orderUpdates", user), _dump({"channel": "orderUpdates", "data": updates}))

    def on_trades(self, coin: str, trades: list[dict]) -> None:
        if self.by_key.get(("trades", coin)):
            self._push(("trades", coin), _dump({"channel": "trades", "data": trades}))

    def on_user_event(self, user: str, event: dict) -> None:
        if self.by_key.get(("userEvents", user)):
            self._push(("userEvents", user), _dump({"channel": "user", "data": event}))
        if "funding" in event and self.by_key.get(("userFundings", user)):
            self._push(("userFundings", user), _dump({"channel": "userFundings", "data": {
                "user": user, "fundings": [event["funding"]]}}))

    def on_accounts(self, users: set[str]) -> None:
        """Something of these users changed (an order, a fill, an event): push their account state and orders."""
        for user in users:
            for kind in _ACCOUNT_KINDS:
                if self.by_key.get((kind, user)) and (text := self.account_payload((kind, user))) is not None:
                    self._push((kind, user), text)

    def on_block(self, coins_changed: set[str]) -> None:
        if not self.conns:
            return
        if self.faults.draw("ws", kinds=("wsDrop", "error")):       # an error outage: no stream either
            for conn in list(self.conns):
                self._drop(conn)
            return
        for key, conns in list(self.by_key.items()):
            if conns and key[0] in ("allMids", "l2Book", "bbo", "candle"):
                text = self.block_payload(key)
                if text is not None:
                    self._push(key, text)
        now = time.monotonic()
        if now >= self._account_due:            # marks moved: equity and uPnL with them
            self._account_due = now + _ACCOUNT_EVERY_S
            for key, conns in list(self.by_key.items()):
                if conns and key[0] == "clearinghouseState" and (text := self.account_payload(key)) is not None:
                    self._push(key, text)


def subscription_key(sub: object, coins: Container[str] | None = None) -> tuple:
    """The hub's key for a subscription object; WireError if it is malformed or unknown, or names
    a coin not in `coins` (when given: the venue refuses a subscription to a coin it does not list)."""
    if not isinstance(sub, Mapping):
        raise WireError("subscription must be an object with a type")
    kind = sub.get("type")
    if kind == "allMids":
        return ("allMids",)
    if kind in _COIN_KINDS:
        coin = sub.get("coin")
        if not isinstance(coin, str):
            raise WireError(f"{kind} needs a coin")
        if coins is not None and coin not in coins:
            raise WireError(f"unknown coin {coin!r}")
        return (kind, coin)
    if kind == "candle":
        coin, interval = sub.get("coin"), sub.get("interval")
        if not isinstance(coin, str) or not isinstance(interval, str):
            raise WireError("candle needs coin and interval")
        if coins is not None and coin not in coins:
            raise WireError(f"unknown coin {coin!r}")
        return ("candle", coin, interval)
    if kind in _USER_KINDS:
        return (kind, norm_address(sub.get("user")))
    if kind in _ACCOUNT_KINDS:
        if sub.get("dex") not in (None, ""):
            raise WireError(f"{kind}: only the main dex (\"\") is listed here")
        return (kind, norm_address(sub.get("user")))
    raise WireError(f"unknown subscription type {kind!r}")


def _dump(obj: object) -> str:
    return orjson.dumps(obj).decode()
