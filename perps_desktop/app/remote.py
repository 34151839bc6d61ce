"""RemoteCore: a headless core elsewhere, behind the same `CoreControl` face as the in-process App.

The window cannot tell them apart: `snapshot()` is the newest snapshot the core streamed
(`/api/v1/stream`: a whole one, then the fields that changed), and each of the trader's actions
is a POST to `/api/v1/actions`. A POST carries a fresh Idempotency-Key and is retried with that
same key when the answer is lost, so it acts once however often it is sent. A lost stream is
reconnected with the project's one backoff function; meanwhile the snapshot says so (not
connected, the data's age growing, "reconnecting in N s" in the status) exactly as it does
when the venue itself goes quiet. The token is held in memory only and sent as a header.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from perps_desktop.app.snapshot import CoreSnapshot
from perps_desktop.app.timeline import TimelineData
from perps_desktop.app.wire import (
    WireError,
    apply_delta,
    decode_snapshot,
    page_from_wire,
    report_from_wire,
    timeline_from_wire,
    trace_from_wire,
)
from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.clock import monotonic, wall_ms
from perps_desktop.core.lifecycle import Background
from perps_desktop.core.models import ActionReport, Trace, TracePage, TraceQuery, TradingState

__all__ = ["RemoteCore", "api_base"]

log = logging.getLogger(__name__)

_POST_ATTEMPTS = 4
_STALE_TICK_S = 0.5         # while disconnected, the snapshot (the data's age) moves on this often


def api_base(url: str) -> str:
    """`http://host:8788`, `…/api/v1` or `…/api/v1/` -> `http://host:8788/api/v1`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"attach URL {url!r}: http(s)://HOST:PORT, e.g. http://127.0.0.1:8788")
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v1"):
        path += "/api/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


class RemoteCore(Background):
    """See the module docstring. `async with RemoteCore(url, token) as core:`; `aclose()` is idempotent."""

    def __init__(self, url: str, token: str, *, name: str | None = None, timeout_s: float = 15.0) -> None:
        super().__init__()
        self.base = api_base(url)
        self._token = token
        self.name = name or urlsplit(self.base).netloc
        self.bot = ""                   # the core's own name, from its first snapshot
        self.scope = ""                 # the token's scope as the core reported it (read | trade)
        self.timeout_s = timeout_s
        self.connected = False
        self.last_error = ""
        self.reconnects = 0
        self.received = 0
        self._snap: CoreSnapshot | None = None
        self._shown: CoreSnapshot | None = None
        self._shown_key: tuple[Any, ...] = ()
        self._version = 0
        self._lost_at: float | None = None
        self._retry_at: float | None = None
        self._session: aiohttp.ClientSession | None = None
        self.first_snapshot = asyncio.Event()

    @property
    def remote_name(self) -> str:
        """The core's own name once it said it, else the host:port attached to."""
        return self.bot or self.name

    def __repr__(self) -> str:
        return f"RemoteCore({self.base!r}, bot={self.bot!r})"          # never the token

    # --- lifecycle -----------------------------------------------------------------------------------
    async def __aenter__(self) -> RemoteCore:
        await self.start()
        return self

    async def start(self) -> None:
        if self._session is not None or self.closed:
            raise RuntimeError("RemoteCore starts once")
        self._session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self._token}"},
                                              timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        self._spawn(f"attach:{self.name}")

    async def aclose(self) -> None:
        await super().aclose()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self.connected = False

    # --- the stream ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._stream_once()
                why = "the core closed the stream"
            except asyncio.CancelledError:
                raise
            except aiohttp.WSServerHandshakeError as exc:
                why = "the token was refused (401)" if exc.status == 401 else f"HTTP {exc.status}"
            except (aiohttp.ClientError, OSError, TimeoutError, WireError, ValueError) as exc:
                why = str(exc) or type(exc).__name__
            if self.connected:
                attempt = 0
                self._lost_at = monotonic()
            elif self._lost_at is None:
                self._lost_at = monotonic()
            self.connected = False
            self.last_error = why
            delay = backoff_s(attempt, base_s=0.5, cap_s=30.0)
            attempt += 1
            self._retry_at = monotonic() + delay
            log.warning("attach %s: %s; reconnecting in %.1f s", self.remote_name, why, delay)
            await asyncio.sleep(delay)
            self.reconnects += 1

    async def _stream_once(self) -> None:
        assert self._session is not None
        timeout = aiohttp.ClientWSTimeout(ws_receive=60.0, ws_close=5.0)
        async with self._session.ws_connect(self.base + "/stream?events=0", heartbeat=15.0, timeout=timeout) as ws:
            async for msg in ws:
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                self._take(orjson.loads(msg.data))

    def _take(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "snapshot":
            self._snap = decode_snapshot(msg["snapshot"])
            self.bot = str(msg.get("bot") or self.bot)
            self.scope = str(msg.get("scope") or self.scope)
            self.connected, self._lost_at, self._retry_at, self.last_error = True, None, None, ""
            self.first_snapshot.set()
        elif kind == "delta" and self._snap is not None and msg.get("changed"):
            self._snap = apply_delta(self._snap, msg["changed"])
        else:
            return
        self.received += 1

    # --- CoreControl: reading ------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        snap = self._snap
        return snap is None or snap.read_only or self.scope != "trade"

    def snapshot(self) -> CoreSnapshot:
        """The newest streamed snapshot, as this window sees it: its own rising version, read-only for
        a read token, and while the stream is down not connected and ageing, with the reason."""
        snap = self._snap
        now = monotonic()
        key: tuple[Any, ...] = (id(snap), self.connected, self.scope,
                                None if self.connected else int(now / _STALE_TICK_S), self.last_error)
        if self._shown is not None and key == self._shown_key:
            return self._shown
        self._version += 1
        self._shown_key = key
        self._shown = shown = self._present(snap, now)
        return shown

    def _present(self, snap: CoreSnapshot | None, now: float) -> CoreSnapshot:
        if snap is None:
            why = f"; {self.last_error}" if self.last_error else ""
            # not known yet: the badge says "ATTACHING · host:port", never a mode the core may not be in
            return CoreSnapshot(version=self._version, time_ms=wall_ms(), mode="attaching",
                                network=self.name, address=None, base_url=self.base, connected=False, read_only=True,
                                status_text=f"attaching to {self.base}{why}")
        changes: dict[str, Any] = {"version": self._version, "read_only": self.read_only}
        if not self.connected:
            lost_s = 0.0 if self._lost_at is None else now - self._lost_at
            retry = "" if self._retry_at is None else f"; reconnecting in {max(0.0, self._retry_at - now):.0f} s"
            changes.update(connected=False, status_text=f"attach: connection to {self.bot or self.name} lost "
                                                        f"{lost_s:.0f} s ago ({self.last_error}){retry}")
            if snap.freshness is not None:
                changes["freshness"] = dataclasses.replace(
                    snap.freshness, rest_ok=False, stream_ok=False, stale=True, time_ms=wall_ms(),
                    silent_since_ms=wall_ms() - round(lost_s * 1000), last_error=changes["status_text"],
                    data_age_s=snap.freshness.data_age_s + lost_s)
        return dataclasses.replace(snap, **changes)

    async def query_traces(self, query: TraceQuery) -> TracePage:
        params = {f.name: _param(getattr(query, f.name)) for f in dataclasses.fields(query)
                  if getattr(query, f.name) is not None}
        return page_from_wire(await self._get("/traces", params))

    async def get_trace(self, trace_id: int) -> Trace | None:
        try:
            return trace_from_wire(await self._get(f"/traces/{int(trace_id)}"))
        except LookupError:
            return None

    async def chain_of(self, trace_id: int) -> tuple[Trace, ...]:
        return page_from_wire(await self._get(f"/traces/{int(trace_id)}/chain")).traces

    async def load_timeline(self, symbol: str, since_ms: int, until_ms: int) -> TimelineData:
        return timeline_from_wire(await self._get("/timeline", {"symbol": symbol, "since_ms": str(int(since_ms)),
                                                                "until_ms": str(int(until_ms))}))

    async def find_story(self, what: str, symbol: str, key: int | None = None,
                         time_ms: int | None = None) -> int | None:
        params = {"what": what, "symbol": symbol}
        params.update({k: str(int(v)) for k, v in (("key", key), ("time_ms", time_ms)) if v is not None})
        chain = (await self._get("/story", params)).get("chain")
        return None if chain is None else int(chain)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        if self._session is None:
            raise RuntimeError("RemoteCore is not started")
        async with self._session.get(self.base + path, params=params) as resp:
            body = await resp.read()
            if resp.status == 404:
                raise LookupError(path)
            if resp.status != 200:
                raise RuntimeError(f"{self.bot or self.name}: {_error_text(resp.status, body)}")
            return orjson.loads(body)

    # --- CoreControl: acting -------------------------------------------------------------------------
    async def act(self, body: dict[str, Any]) -> ActionReport | None:
        """POST one action; retried with the same Idempotency-Key while the answer is lost, so it acts
        once. A refusal (4xx) or the core's own failure is raised with the core's words."""
        if self._session is None:
            raise RuntimeError("RemoteCore is not started")
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
        data = orjson.dumps(body, default=str)
        for attempt in range(_POST_ATTEMPTS):
            try:
                async with self._session.post(self.base + "/actions", data=data, headers=headers) as resp:
                    raw = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{self.bot or self.name}: {_error_text(resp.status, raw)}")
                    answer = orjson.loads(raw)
                    break
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt == _POST_ATTEMPTS - 1:
                    raise RuntimeError(f"{self.bot or self.name}: no answer after {_POST_ATTEMPTS} tries "
                                       f"({exc or type(exc).__name__}); it may or may not have acted") from None
                await asyncio.sleep(backoff_s(attempt, base_s=0.3, cap_s=3.0))
        if answer.get("error"):
            raise RuntimeError(f"{self.bot or self.name}: {answer['error']}")
        return report_from_wire(answer["report"]) if answer.get("report") is not None else None

    async def _report(self, body: dict[str, Any]) -> ActionReport:
        report = await self.act(body)
        if report is None:
            raise RuntimeError(f"{self.bot or self.name}: no report for {body['type']}")
        return report

    async def close_position(self, symbol: str) -> ActionReport:
        return await self._report({"type": "closePosition", "symbol": symbol})

    async def reduce_position(self, symbol: str, fraction: float, size: Decimal | None = None) -> ActionReport:
        body: dict[str, Any] = {"type": "reducePosition", "symbol": symbol, "fraction": fraction}
        if size is not None:
            body["size"] = str(size)
        return await self._report(body)

    async def cancel_order(self, symbol: str, oid: int) -> ActionReport:
        return await self._report({"type": "cancelOrder", "symbol": symbol, "oid": oid})

    async def cancel_all(self) -> ActionReport:
        return await self._report({"type": "cancelAll"})

    async def flatten_all(self) -> ActionReport:
        return await self._report({"type": "flattenAll"})

    async def run_recovery_now(self) -> ActionReport:
        return await self._report({"type": "runRecovery"})

    async def set_trading_state(self, state: TradingState, reason: str) -> None:
        await self.act({"type": "setTradingState", "state": TradingState(state).value, "reason": reason})

    async def reset_breaker(self, name: str) -> None:
        await self.act({"type": "resetBreaker", "name": name})

    async def force_open_breaker(self, name: str) -> None:
        await self.act({"type": "forceOpenBreaker", "name": name})

    def note_refused(self, what: str, reason: str) -> None:
        """The window refused an action before sending it: nothing reached the core, so it is only logged."""
        log.info("attach %s: %s refused in the window: %s", self.name, what, reason)


def _param(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _error_text(status: int, body: bytes) -> str:
    try:
        return f"HTTP {status}: {orjson.loads(body)['error']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {body[:200].decode(errors='replace')}"
