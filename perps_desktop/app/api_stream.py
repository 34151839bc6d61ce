"""SnapshotBroadcaster: GET /api/v1/stream — a snapshot, then deltas and events as they happen.

One task reads the app's snapshot at `hz` (the window renders no faster) and, when its version
moved, encodes the fields that changed once for every client. Bus events seen since the last
tick ride along (at most `max_events` per tick; the rest are counted as `eventsDropped`). Each
client has its own bounded queue and writer, so a slow client never holds up the others or the
core: when its queue is full it is sent a whole snapshot again instead of what it missed.
`?events=0` asks for the snapshot's changes alone (the window needs no more).

Messages (JSON text frames):
    {"type": "snapshot", "scope", "apiVersion", "bot", "identity", "tradingState", "snapshot": {...}}
    {"type": "delta", "version": n, "changed": {field: value}, "events": [...], "eventsDropped": n}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from perps_desktop.app.snapshot import CoreSnapshot
from perps_desktop.app.wire import delta_json, encode_event, envelope_json
from perps_desktop.core.bug_log import BugLog
from perps_desktop.core.lifecycle import Background

__all__ = ["SnapshotBroadcaster"]

log = logging.getLogger(__name__)

_QUEUE = 64                 # messages a client may fall behind before it is re-sent a whole snapshot


class _Client:
    def __init__(self, ws: web.WebSocketResponse, events: bool) -> None:
        self.ws = ws
        self.events = events
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=_QUEUE)


class SnapshotBroadcaster(Background):
    TASK_NAME = "api:stream"

    def __init__(self, snapshot: Callable[[], CoreSnapshot], bot: str, *, hz: float = 10.0,
                 max_events: int = 50) -> None:
        super().__init__()
        self._snapshot = snapshot
        self.bot = bot
        self.period_s = 1.0 / hz
        self.max_events = max_events
        self._clients: set[_Client] = set()
        self._last: CoreSnapshot | None = None
        self._events: list[dict[str, Any]] = []
        self._dropped = 0
        self.bugs = BugLog(log)
        self.sent = 0

    @property
    def clients(self) -> int:
        return len(self._clients)

    def on_event(self, topic: str, event: object) -> None:
        """Bus handler: keep the event for the next tick (bounded)."""
        if not self._clients:
            return
        if len(self._events) < self.max_events:
            self._events.append(encode_event(topic, event))
        else:
            self._dropped += 1

    def start(self) -> None:
        self._spawn()

    async def aclose(self) -> None:
        await super().aclose()
        for c in tuple(self._clients):
            await c.ws.close(code=1001, message=b"the core is stopping")

    def _full(self, **extra: Any) -> bytes:
        if self._last is None:
            self._last = self._snapshot()
        return envelope_json(self._last, self.bot, type="snapshot", **extra)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            if not self._clients:
                self._last = None
                continue
            try:
                self.tick()
            except Exception as exc:    # a bug: logged once per kind; the clients still get the next tick
                self.bugs.report("API stream tick", exc)

    def tick(self) -> None:
        """Send what changed since the last tick to every client (nothing when nothing did)."""
        snap = self._snapshot()
        old = self._last
        if old is not None and snap.version == old.version and not self._events:
            return
        changed = delta_json(old, snap) if old is not None and snap.version != old.version else b"{}"
        events = orjson.dumps(self._events)
        full = (b'{"type":"delta","version":%d,"changed":%s,"events":%s,"eventsDropped":%d}'
                % (snap.version, changed, events, self._dropped))
        bare = full if not self._events and not self._dropped else (
            b'{"type":"delta","version":%d,"changed":%s,"events":[],"eventsDropped":0}' % (snap.version, changed))
        quiet = changed == b"{}"
        self._last, self._events, self._dropped = snap, [], 0
        for c in self._clients:
            if quiet and not c.events:
                continue                        # only events this tick, and this client asked for none
            try:
                c.queue.put_nowait(full if c.events else bare)
            except asyncio.QueueFull:           # fallen behind: start it again from a whole snapshot
                while not c.queue.empty():
                    c.queue.get_nowait()
                c.queue.put_nowait(self._full())
        self.sent += 1

    async def handle(self, request: web.Request, scope: str) -> web.WebSocketResponse:
        """Serve one client; `scope` (its token's) rides on the first snapshot so it knows if it may act."""
        ws = web.WebSocketResponse(heartbeat=15.0, compress=False)
        await ws.prepare(request)
        client = _Client(ws, events=request.query.get("events", "1") != "0")
        client.queue.put_nowait(self._full(scope=scope))   # the base every later delta applies to
        self._clients.add(client)
        writer = asyncio.ensure_future(self._write(client))
        try:
            async for msg in ws:                      # the client only listens; read to see it close
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self._clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await writer
        return ws

    async def _write(self, client: _Client) -> None:
        """Send the client's queue in order; a send that fails ends the connection (the client
        reconnects and starts again from a whole snapshot) instead of queueing for nobody."""
        try:
            while True:
                msg = await client.queue.get()
                await client.ws.send_str(msg.decode())
        except (ConnectionError, RuntimeError) as exc:
            log.info("stream client gone: %s", exc)
            self._clients.discard(client)
            await client.ws.close()
