"""ApiServer: `headless --serve HOST:PORT` — the running core over an authenticated, versioned HTTP API.

    GET  /api/v1/snapshot              what the window shows, as JSON (`wire.envelope`)
    GET  /api/v1/stream                WebSocket: a snapshot, then deltas and events (`api_stream`)
    GET  /api/v1/traces?kind=&limit=…  a page of traces (the TraceQuery fields); /traces/{id}, /traces/{id}/chain
    GET  /api/v1/timeline?symbol=&since_ms=&until_ms=, /api/v1/story?what=&symbol=&key=&time_ms=  (Timeline dock)
    POST /api/v1/actions               {"type": "closePosition", "symbol": "BTC"} + header Idempotency-Key

Every request carries `Authorization: Bearer <token>` (`perps-desktop token new`): none or a wrong
one is 401, and a client that fails too often is refused with 429 for a while; a `read` token
asking to act is 403. A POST must be application/json from no foreign Origin (the same guard as
the simulator's /sim). A retried POST with the same Idempotency-Key acts once, also across a
restart of the core: each action taken here is a trace naming the token that asked (`strategy`
"api:NAME"), flushed before the answer goes out, whose payload holds the key's hash, the body's
digest and the answer — a key this process has not seen is looked up there first. The token
itself is never logged. The server binds 127.0.0.1 unless told otherwise; any other address logs a warning to
put TLS in front (an SSH tunnel or a reverse proxy: README, "Attach a window to a remote core").
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from pydantic_core import to_jsonable_python

from perps_desktop.app.api_stream import SnapshotBroadcaster
from perps_desktop.app.idempotency import IdempotencyCache, KeyReused, Recalled, body_digest, key_hash
from perps_desktop.app.serving import serve, stop_serving
from perps_desktop.app.tokens import FailedAuthLimiter, TokenInfo, TokenStore
from perps_desktop.app.wire import (
    ActionRequest,
    ActionResult,
    StoryQuery,
    TimelineQuery,
    WireError,
    envelope_json,
    page_to_wire,
    parse_action,
    parse_query,
    parse_trace_query,
    timeline_to_wire,
)
from perps_desktop.core.clock import wall_ms
from perps_desktop.core.gathering import cancel_and_wait
from perps_desktop.core.models import ActionReport, Trace, TraceKind, TracePage, TraceQuery
from perps_desktop.errors import PerpsError
from perps_desktop.sim import refuse_unless_json_and_same_origin
from perps_desktop.store import decode_payload

if TYPE_CHECKING:
    from perps_desktop.app.app import App

__all__ = ["ApiServer", "exposure_warning", "is_loopback", "parse_serve"]

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
_TOKEN: Any = web.RequestKey("token", TokenInfo) if hasattr(web, "RequestKey") else "token"   # aiohttp >= 3.12
_TOKEN_RELOAD_S = 1.0


def parse_serve(text: str) -> tuple[str, int]:
    """`--serve` value: "PORT", ":PORT" or "HOST:PORT" ("[::1]:PORT" for IPv6); host defaults to 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--serve {text!r}: HOST:PORT or PORT (0-65535), e.g. 127.0.0.1:8788")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """What to say when the API listens beyond this machine (None on loopback)."""
    if is_loopback(host):
        return None
    return (f"the API listens on {host}, not loopback: put TLS in front of it (an SSH tunnel or a reverse proxy, "
            "see the README) — tokens travel in clear over plain HTTP")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json", headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json({"error": message, "status": status}, status, headers)


class ApiServer:
    """See the module docstring. `port` 0 picks a free one (`.port` after start)."""

    def __init__(self, app: App, *, tokens: TokenStore, bot: str, host: str = "127.0.0.1", port: int = 0,
                 stream_hz: float = 10.0) -> None:
        self.app = app
        self.tokens = tokens
        self.bot = bot
        self.host = host
        self.port = port
        self.limiter = FailedAuthLimiter()
        self.idempotency = IdempotencyCache(recall=self._recall)
        self.stream = SnapshotBroadcaster(app.snapshot, bot, hz=stream_hz)
        self.actions_taken = 0
        self._runner: web.AppRunner | None = None
        self._reload: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{PREFIX}"

    # --- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._runner is not None or self._closed:
            raise RuntimeError("ApiServer starts once")
        await asyncio.to_thread(self.tokens.reload_if_changed)
        web_app = web.Application(middlewares=[self._auth], client_max_size=64 * 1024)
        web_app.router.add_get(f"{PREFIX}/snapshot", self._snapshot)
        web_app.router.add_get(f"{PREFIX}/stream", self._stream)
        web_app.router.add_get(f"{PREFIX}/traces", self._traces)
        web_app.router.add_get(f"{PREFIX}/traces/{{id:\\d+}}", self._trace)
        web_app.router.add_get(f"{PREFIX}/traces/{{id:\\d+}}/chain", self._chain)
        web_app.router.add_get(f"{PREFIX}/timeline", self._timeline)
        web_app.router.add_get(f"{PREFIX}/story", self._story)
        web_app.router.add_post(f"{PREFIX}/actions", self._actions)
        self._runner, self.port = await serve(web_app, self.host, self.port)
        if self.app.services is not None:
            self._unsubscribe = self.app.services.bus.subscribe("", self.stream.on_event)
        self.stream.start()
        self._reload = asyncio.get_running_loop().create_task(self._reload_tokens(), name="api:tokens")
        warning = exposure_warning(self.host)
        if warning:
            log.warning("%s", warning)
        log.info("api: %s (%d token(s))", self.url, len(self.tokens))

    async def aclose(self) -> None:
        """Stop serving (streams closed, nothing half-sent); idempotent."""
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        reload, self._reload = self._reload, None
        await cancel_and_wait(reload)
        await self.stream.aclose()
        runner, self._runner = self._runner, None
        await stop_serving(runner)

    async def __aenter__(self) -> ApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _reload_tokens(self) -> None:
        while True:
            await asyncio.sleep(_TOKEN_RELOAD_S)
            try:
                await asyncio.to_thread(self.tokens.reload_if_changed)
            except OSError as exc:
                log.warning("api tokens not re-read: %s", exc)

    # --- authentication ----------------------------------------------------------------------------
    @web.middleware
    async def _auth(self, request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        client = request.remote or "?"
        wait = self.limiter.retry_after(client)
        if wait > 0:
            return _error(429, f"too many failed authentications; retry in {wait:.0f} s",
                          {"Retry-After": str(max(1, round(wait)))})
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        info = self.tokens.verify(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if info is None:
            self.limiter.failed(client)
            log.info("api: refused %s %s from %s (no or unknown token)", request.method, request.path, client)
            return _error(401, "a valid token is needed: Authorization: Bearer <token> (perps-desktop token new)",
                          {"WWW-Authenticate": 'Bearer realm="perps-desktop"'})
        request[_TOKEN] = info
        return await handler(request)

    # --- reads ---------------------------------------------------------------------------------------
    async def _snapshot(self, request: web.Request) -> web.Response:
        return web.Response(body=envelope_json(self.app.snapshot(), self.bot), content_type="application/json")

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        return await self.stream.handle(request, request[_TOKEN].scope)

    async def _traces(self, request: web.Request) -> web.Response:
        try:
            query = parse_trace_query(dict(request.query))
        except WireError as exc:
            return _error(400, f"bad trace query: {exc}")
        page = await self.app.query_traces(query)
        return _json(await asyncio.to_thread(page_to_wire, page, decode_payload))

    async def _trace(self, request: web.Request) -> web.Response:
        trace = await self.app.get_trace(int(request.match_info["id"]))
        if trace is None:
            return _error(404, f"no trace {request.match_info['id']}")
        page = await asyncio.to_thread(page_to_wire, TracePage(traces=(trace,), offset=0, limit=1), decode_payload)
        return _json(page["traces"][0])

    async def _chain(self, request: web.Request) -> web.Response:
        traces = await self.app.chain_of(int(request.match_info["id"]))
        page = TracePage(traces=traces, offset=0, limit=len(traces), total=len(traces))
        return _json(await asyncio.to_thread(page_to_wire, page, decode_payload))

    async def _timeline(self, request: web.Request) -> web.Response:
        try:
            q = parse_query(TimelineQuery, dict(request.query))
        except WireError as exc:
            return _error(400, f"bad timeline query: {exc}")
        data = await self.app.load_timeline(q.symbol, q.since_ms, q.until_ms)
        return _json(await asyncio.to_thread(timeline_to_wire, data, decode_payload))

    async def _story(self, request: web.Request) -> web.Response:
        try:
            q = parse_query(StoryQuery, dict(request.query))
        except WireError as exc:
            return _error(400, f"bad story query: {exc}")
        return _json({"chain": await self.app.find_story(q.what, q.symbol, q.key, q.time_ms)})

    # --- actions -------------------------------------------------------------------------------------
    async def _actions(self, request: web.Request) -> web.Response:
        refused = refuse_unless_json_and_same_origin(request)
        if refused is not None:
            return _error(refused.status, refused.text or "refused")
        token: TokenInfo = request[_TOKEN]
        if not token.may_act:
            return _error(403, f"token {token.name!r} has scope {token.scope}: it may read, not act "
                               "(perps-desktop token new --scope trade)")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not 8 <= len(key) <= 128:
            return _error(400, "header Idempotency-Key (8-128 characters, e.g. a UUID) is required: "
                               "a retry with the same key acts once")
        body = await request.read()
        try:
            action = parse_action(body)
        except WireError as exc:
            return _error(400, f"bad action: {exc}")
        try:
            result, replayed = await self.idempotency.run(
                token.name, key, body, lambda: self._run(action, token, key=key, digest=body_digest(body)))
        except KeyReused as exc:
            return _error(409, str(exc))
        if replayed:
            result = result.model_copy(update={"replayed": True})
        return _json(result.model_dump(mode="json"))

    async def _run(self, action: ActionRequest, token: TokenInfo, *, key: str, digest: str) -> ActionResult:
        """Do `action` on the core, exactly as the window's buttons would, and trace who asked and
        what was answered under which key (flushed before the answer, so a restart remembers it)."""
        started = time.perf_counter()
        report: ActionReport | None = None
        error: str | None = None
        try:
            report = await self._dispatch(action)
        except (PerpsError, RuntimeError, KeyError, ValueError) as exc:     # refused: not running, unknown breaker
            error = str(exc) or type(exc).__name__
        except Exception as exc:            # a bug: answered as failed all the same, and logged in full
            log.exception("api: action %s failed", action.type)
            error = f"{type(exc).__name__}: {exc}"
        ok = error is None and (report is None or report.ok)
        self.actions_taken += 1
        outcome = "done" if ok else "failed"
        detail = error or (report.message if report is not None else "")
        result = ActionResult(ok=ok, report=to_jsonable_python(report) if report is not None else None, error=error)
        self._record(action, token, outcome, detail, (time.perf_counter() - started) * 1000.0,
                     idempotency={"key": key_hash(token.name, key), "body": digest,
                                  "answer": result.model_dump(mode="json")})
        if self.app.services is not None:
            await self.app.services.store.flush()
        return result

    async def _recall(self, scope: str, key: str) -> Recalled | None:
        """A key's first answer from the action traces of the last day (recorded by `_run`), if any.
        A store that cannot be read is logged and the key counts as new: the action is not refused."""
        h = key_hash(scope, key)
        since = wall_ms() - round(self.idempotency.ttl_s * 1000)
        try:
            page = await self.app.query_traces(TraceQuery(kind=TraceKind.ACTION.value, strategy=f"api:{scope}",
                                                          text=f"key{h}", since_ms=since, limit=10))
        except (PerpsError, TimeoutError, RuntimeError) as exc:     # the store failed, or the core is not running
            log.warning("api: could not look up an idempotency key in the traces (%s); acting on it as new", exc)
            return None
        for t in page.traces:
            seen = (decode_payload(t) or {}).get("idempotency") or {}
            if seen.get("key") == h:
                answer = ActionResult.model_validate(seen["answer"])
                return Recalled(digest=str(seen.get("body")), answer=answer)
        return None

    async def _dispatch(self, a: ActionRequest) -> ActionReport | None:
        app = self.app
        match a.type:
            case "closePosition":
                return await app.close_position(a.symbol)
            case "reducePosition":
                return await app.reduce_position(a.symbol, a.fraction, a.size)
            case "cancelOrder":
                return await app.cancel_order(a.symbol, a.oid)
            case "cancelAll":
                return await app.cancel_all()
            case "flattenAll":
                return await app.flatten_all()
            case "runRecovery":
                return await app.run_recovery_now()
            case "setTradingState":
                app.set_trading_state(a.state, a.reason)
            case "resetBreaker":
                app.reset_breaker(a.name)
            case "forceOpenBreaker":
                app.force_open_breaker(a.name)
        return None

    def _record(self, action: ActionRequest, token: TokenInfo, outcome: str, detail: str, latency_ms: float, *,
                idempotency: dict[str, Any]) -> None:
        what = action.model_dump(mode="json", exclude_none=True)
        text = f"{what.pop('type')} {what}" if what else action.type
        if self.app.services is not None:
            self.app.services.store.record(Trace(
                kind=TraceKind.ACTION.value, time_ms=wall_ms(), strategy=f"api:{token.name}",
                symbol=getattr(action, "symbol", None), decision=outcome, latency_ms=latency_ms,
                reason=f"{text} over the API by token {token.name!r}: {outcome}" + (f" ({detail})" if detail else "")
                + f" [key{idempotency['key']}]", payload={"idempotency": idempotency}))
        log.info("api: %s by token %r: %s", action.type, token.name, outcome)
