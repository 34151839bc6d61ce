"""The venue's WebSocket as a stream of `StreamEvent`s: mids, own fills, order updates, user events.

One connection on the client's session subscribes to allMids, userFills, orderUpdates and
userEvents, and to the account's whole-state channels clearinghouseState and openOrders, which
feed `PushedAccount` (the client then serves the account and its open orders without REST).
A ping goes out every `ws_heartbeat_s`; two heartbeats without any message mean the
link is dead. After a drop it reconnects with `backoff_s`, subscribes again, and reads the
account's fills over REST, so fills made while it was away still reach the engine (marked
`gap_fill`). Fills are deduplicated by trade id; every fill or order update invalidates the
account and order caches; pushed mids refresh the mids cache.

Consumers either register a callback (`subscribe`, called on the loop, must not block) or
iterate `events()`; each iterator has its own bounded queue that drops its oldest on overflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import aiohttp
import orjson

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.lifecycle import Background
from perps_desktop.core.models import Fill, StreamEvent, StreamEventKind
from perps_desktop.errors import ExchangeError
from perps_desktop.exchange import parse
from perps_desktop.exchange.api_cache import ApiCaches
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.exchange.info import InfoApi
from perps_desktop.exchange.pushed import PushedAccount
from perps_desktop.exchange.stats import ClientCounters
from perps_desktop.exchange.transport import Transport, TransportState

__all__ = ["ExchangeStream"]

log = logging.getLogger(__name__)
_PING = orjson.dumps({"method": "ping"}).decode()
_SEEN_MAX = 20_000


class _HeartbeatLost(Exception):
    pass


class ExchangeStream(Background):
    """Owned by the client (which closes it); `start()` once, `aclose()` idempotent."""

    TASK_NAME = "exchange-stream"

    def __init__(self, transport: Transport, config: ClientConfig, info: InfoApi, caches: ApiCaches,
                 counters: ClientCounters, user: str | None, pushed: PushedAccount | None = None, *,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__()
        self._t = transport
        self._clock = clock
        self._now_ms = clock.wall_ms
        self._pushed = pushed
        self._cfg = config
        self._info = info
        self._caches = caches
        self._counters = counters
        self.user = user.lower() if user else None
        self._callbacks: list[Callable[[StreamEvent], None]] = []
        self._queues: list[asyncio.Queue[StreamEvent | None]] = []
        self._seen: set[tuple[int, int]] = set()
        self._seen_order: deque[tuple[int, int]] = deque()
        self._refresh: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._since_ms = 0
        self._retry = asyncio.Event()      # set: try to connect now, not after the rest of the backoff
        self.connected = False
        self.connections = 0
        self.dropped_events = 0
        self.bugs = BugLog(log)

    # --- consumers ---------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[StreamEvent], None]) -> Callable[[], None]:
        """Call `callback(event)` for every event; returns the function that unsubscribes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def events(self, maxsize: int = 1000) -> AsyncIterator[StreamEvent]:
        """Iterate events as they come, until the stream closes."""
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(maxsize)
        self._queues.append(queue)
        try:
            while not self._closed:
                event = await queue.get()
                if event is None:  # the stream closed
                    return
                yield event
        finally:
            self._queues.remove(queue)

    def _emit(self, event: StreamEvent) -> None:
        for cb in list(self._callbacks):
            try:
                cb(event)
            except Exception as exc:    # a consumer's bug: skipped, logged in full once per kind
                self.bugs.report(f"stream callback {cb!r}", exc)
        self._enqueue(event)

    def _enqueue(self, event: StreamEvent | None) -> None:
        for q in self._queues:
            if q.full():
                q.get_nowait()
                self.dropped_events += 1
            q.put_nowait(event)

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None or self._closed:
            raise RuntimeError("the stream starts once")
        self._since_ms = self._now_ms()
        self._spawn()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True         # the loop stops starting anything new before its tasks are cancelled
        refresh, self._refresh = self._refresh, None
        if refresh is not None and not refresh.done():
            refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):   # (the refresh logs its own failures)
                await refresh
        await self._halt()
        if self._ws is not None:
            await self._ws.close()
        self.connected = False
        self._enqueue(None)  # wakes every events() iterator so it ends

    def reconnect_now(self) -> None:
        """The venue answers again (a REST reply after an outage): cut short the wait before the next
        connection attempt, which after a long outage can be the backoff's cap (30 s)."""
        if not self.connected:
            self._retry.set()

    async def drop(self) -> None:
        """Close the current connection as if the network had dropped it (for tests and tools)."""
        if self._ws is not None:
            await self._ws.close()

    # --- the connection loop -----------------------------------------------------------------------

    def _subscriptions(self) -> list[dict[str, Any]]:
        subs: list[dict[str, Any]] = [{"type": "allMids"}] if self._cfg.stream_mids else []
        if self.user:
            subs += [{"type": t, "user": self.user} for t in ("userFills", "orderUpdates", "userEvents")]
            if self._pushed is not None:        # after userFills: a state snapshot follows the fills' snapshot
                subs += [{"type": t, "user": self.user, "dex": ""} for t in ("clearinghouseState", "openOrders")]
        return subs

    async def _run(self) -> None:
        attempt = 0
        while not self._closed:
            try:
                async with asyncio.timeout(self._cfg.timeout_s):  # the handshake is bounded too
                    ws = await self._t.session.ws_connect(self._cfg.ws_url, autoping=True,
                                                          timeout=aiohttp.ClientWSTimeout(ws_close=2.0))
                async with ws:
                    self._ws = ws
                    for sub in self._subscriptions():
                        await ws.send_str(orjson.dumps({"method": "subscribe", "subscription": sub}).decode())
                    reconnect = self.connections > 0
                    self.connections += 1
                    if reconnect:
                        self._counters.reconnects += 1
                    self.connected = True
                    attempt = 0
                    self._emit(StreamEvent(kind=StreamEventKind.CONNECTED, time_ms=self._now_ms(),
                                           data={"reconnect": reconnect, "connections": self.connections}))
                    if reconnect and self.user:
                        self._refresh = asyncio.get_running_loop().create_task(self._refresh_after_gap())
                    await self._read(ws)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError, _HeartbeatLost) as exc:
                log.info("exchange stream: %s: %s", type(exc).__name__, exc)
            except Exception:
                if self._closed or self._t.state is not TransportState.OPEN:    # closed under us: done
                    return
                # a bug, not the venue: reconnecting would only repeat it
                log.exception("exchange stream stopped by an unexpected error; it will not reconnect")
                if self.connected:
                    self.connected = False
                    self._emit(StreamEvent(kind=StreamEventKind.DISCONNECTED, time_ms=self._now_ms(),
                                           data={"bug": True}))
                return
            finally:
                self._ws = None
                if self._pushed is not None:
                    self._pushed.reset()
            if self._closed:
                break
            was_connected, self.connected = self.connected, False
            if was_connected:
                self._emit(StreamEvent(kind=StreamEventKind.DISCONNECTED, time_ms=self._now_ms(),
                                       data={"attempt": attempt}))
            self._retry.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._retry.wait(), backoff_s(
                    attempt, base_s=self._cfg.ws_reconnect_base_s, cap_s=self._cfg.ws_reconnect_cap_s))
            attempt += 1

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        beat = self._cfg.ws_heartbeat_s
        next_ping = self._clock.monotonic() + beat
        last_msg = self._clock.monotonic()
        while True:
            now = self._clock.monotonic()
            if now >= next_ping:
                if now - last_msg > 2 * beat:
                    raise _HeartbeatLost(f"no message for {now - last_msg:.1f}s")
                await ws.send_str(_PING)
                next_ping = now + beat
            try:
                msg = await ws.receive(timeout=max(0.01, next_ping - now))
            except TimeoutError:
                continue
            if msg.type is aiohttp.WSMsgType.TEXT:
                last_msg = self._clock.monotonic()
                self._on_text(msg.data)
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.ERROR):
                return

    async def _refresh_after_gap(self) -> None:
        """REST read of the account's fills after a reconnect: what happened while we were away."""
        try:
            self._caches.invalidate_account()
            fills = await self._info.user_fills(self.user, fresh=True)
            self._new_fills(fills, gap=True)
        except ExchangeError as exc:
            log.warning("fill refresh after reconnect failed: %s", exc)
        except Exception:   # a bug, not the venue: once per reconnect, in full (no one awaits this task)
            log.exception("fill refresh after reconnect failed")

    # --- messages ----------------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        if not text.startswith("{"):
            return  # "Websocket connection established."
        try:
            msg = orjson.loads(text)
            channel, data = msg.get("channel"), msg.get("data")
            if channel == "allMids":
                mids = parse.parse_all_mids(data["mids"], endpoint="ws:allMids")
                if self._cfg.stream_mids:
                    self._caches.mids.set(("allMids",), mids)
                self._emit(StreamEvent(kind=StreamEventKind.MIDS, time_ms=self._now_ms(), mids=mids))
            elif channel == "userFills":
                fills = parse.parse_fills(data["fills"], endpoint="ws:userFills")
                if self._pushed is not None:
                    self._pushed.on_fills(fills)
                self._new_fills(fills, gap=bool(data.get("isSnapshot")) and self.connections > 1)
            elif channel == "orderUpdates":
                updates = parse.parse_order_updates(data)
                if self._pushed is not None:
                    self._pushed.on_order_updates(updates)
                self._caches.invalidate_account()
                self._emit(StreamEvent(kind=StreamEventKind.ORDERS, time_ms=self._now_ms(), orders=tuple(updates)))
            elif channel == "clearinghouseState" and self._pushed is not None and self._is_ours(data):
                self._pushed.on_state(parse.parse_user_state(data["clearinghouseState"], str(self.user),
                                                             endpoint="ws:clearinghouseState"))
            elif channel == "openOrders" and self._pushed is not None and self._is_ours(data):
                self._pushed.on_orders(parse.parse_open_orders(data["orders"], "ws:openOrders"))
            elif channel == "user":
                if isinstance(data, dict) and "fills" in data:
                    fills = parse.parse_fills(data["fills"], endpoint="ws:userEvents")
                    if self._pushed is not None:
                        self._pushed.on_fills(fills)
                    self._new_fills(fills, gap=False)
                else:
                    self._emit(StreamEvent(kind=StreamEventKind.USER, time_ms=self._now_ms(), data=data))
        except (ExchangeError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            self._counters.errors["StreamMessage"] += 1
            log.warning("unusable stream message (%s): %.200s", exc, text)

    def _is_ours(self, data: Any) -> bool:
        return str(data.get("user", "")).lower() == self.user and data.get("dex", "") == ""

    def _new_fills(self, fills: Iterable[Fill], *, gap: bool) -> None:
        """Emit the fills not seen before (by trade id) and made after `start()` (older ones are history)."""
        fresh = []
        for f in sorted(fills, key=lambda f: f.time_ms):
            key = (f.tid, f.oid)
            if key in self._seen:
                continue
            self._seen.add(key)
            self._seen_order.append(key)
            if len(self._seen_order) > _SEEN_MAX:
                self._seen.discard(self._seen_order.popleft())
            if f.time_ms >= self._since_ms:
                fresh.append(f)
        if not fresh:
            return
        self._caches.invalidate_account()
        if gap:
            self._counters.gap_fills += len(fresh)
        self._emit(StreamEvent(kind=StreamEventKind.FILLS, time_ms=self._now_ms(), fills=tuple(fresh), gap_fill=gap))
