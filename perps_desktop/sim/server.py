"""The simulator as a server: `Simulator`, an aiohttp app on a loopback port with a block clock.

    async with Simulator(host="127.0.0.1", port=0, seed=7) as sim:
        sim.url                          # "http://127.0.0.1:PORT"
        await sim.fund("0x…", usdc=100_000)
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from perps_desktop.sim import feeds
from perps_desktop.sim.actions import ActionHandler, action_weight
from perps_desktop.sim.control import control
from perps_desktop.sim.faults import FaultInjector
from perps_desktop.sim.guard import refuse_unless_json_and_same_origin
from perps_desktop.sim.housekeeping import Housekeeper
from perps_desktop.sim.info import InfoHandler, info_weight
from perps_desktop.sim.markets import DEFAULT_MARKETS, MarketSpec
from perps_desktop.sim.ratelimit import IpRateLimiter
from perps_desktop.sim.venue import Venue
from perps_desktop.sim.wire import WireError, fmt
from perps_desktop.sim.ws import WsHub

__all__ = ["SimState", "Simulator"]

log = logging.getLogger(__name__)

_JSON = "application/json"
_DESERIALIZE = "Failed to deserialize the JSON body into the target type"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_TIMEOUT_DEFAULT_MS = 60_000


def _now_ms() -> int:
    return int(time.time() * 1000)


class SimState(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    CLOSED = "closed"


class Simulator:
    """A Hyperliquid-compatible exchange on `host:port` (0 = a free port), seeded and self-contained.

    Args:
        seed: same seed, same price path.
        block_ms: range of the block interval in ms (mids move once per block).
        rate_limit_per_min: IP weight budget per minute as the venue's (1200); 0 turns it off.
        funding_interval_s: how often funding is paid (the venue: hourly).
        markets: the listed perps (default: 15 majors).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 7, *,
                 block_ms: tuple[int, int] = (100, 250), rate_limit_per_min: int = 1200,
                 funding_interval_s: float = 60.0, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.block_ms = block_ms
        self.funding_interval_s = funding_interval_s
        self.markets = markets
        self.state = SimState.NEW
        self.faults = FaultInjector(seed)
        self.limiter = IpRateLimiter(rate_limit_per_min)
        self._requests: dict[str, int] = {}
        self._total = 0
        self._in_flight = 0             # /info and /exchange requests taken and not yet answered
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # The block clock and the history builder are timer callbacks, not tasks: they need no
        # running-loop context, so they also survive a host (qasync) processing Qt events outside run().
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timing = random.Random(seed + 1)
        self._block_handle: asyncio.TimerHandle | None = None
        self._history_handle: asyncio.TimerHandle | None = None
        self.hub = WsHub(faults=self.faults, snapshot=lambda key: feeds.snapshot(self, key),
                         block_payload=lambda key: feeds.block_payload(self, key),
                         account_payload=lambda key: feeds.account_payload(self, key),
                         post=lambda kind, payload: feeds.post(self, kind, payload), closing=self._closing)
        self.hub.coins = frozenset(m.name for m in markets)
        self._build_venue()

    def _build_venue(self) -> None:
        now = _now_ms()
        self.venue = Venue(self.markets, self.seed, now)
        self.venue.sink = self.hub
        self.keeper = Housekeeper(self.venue, funding_interval_ms=int(self.funding_interval_s * 1000), now_ms=now)
        self.actions = ActionHandler(self.venue, flush=lambda b: b.flush(self.hub))
        self.info = InfoHandler(self.venue, self._rate_state, lambda: self.actions.agents)

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        if self.state is not SimState.NEW:
            raise RuntimeError(f"a simulator cannot be started twice (it is {self.state.value})")
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/info", self._answering(self._http_info))
        app.router.add_post("/exchange", self._answering(self._http_exchange))
        app.router.add_post("/sim", self._http_sim)
        app.router.add_get("/ws", self.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]     # the port bound (port 0 asks the OS for one)
        self.state = SimState.RUNNING
        self._loop = asyncio.get_running_loop()
        self._schedule_block()
        self._schedule_history()
        log.debug("simulator listening on %s (seed %d)", self.url, self.seed)

    async def aclose(self) -> None:
        """Stop serving; idempotent."""
        if self.state is SimState.CLOSED:
            return
        self.state = SimState.CLOSED
        self._closing.set()
        for handle in (self._block_handle, self._history_handle):
            if handle is not None:
                handle.cancel()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def __del__(self) -> None:
        if getattr(self, "state", None) is SimState.RUNNING:
            warnings.warn(f"Simulator on {self.url} was never closed", ResourceWarning, stacklevel=1)

    def _schedule_history(self, index: int = 0) -> None:
        """Candle history is built one coin per timer tick (~20 ms each), so the first chart or
        metaAndAssetCtxs request does not stall the loop for the whole set."""
        if self._loop is not None and index < len(self.markets):
            self._history_handle = self._loop.call_later(0.01, self._history_step, index)

    def _history_step(self, index: int) -> None:
        if self.state is not SimState.RUNNING:
            return
        self.venue.markets.candles(self.markets[index].name)
        self._schedule_history(index + 1)

    def _schedule_block(self) -> None:
        if self._loop is not None:
            lo, hi = self.block_ms
            self._block_handle = self._loop.call_later(self._timing.uniform(lo, hi) / 1000.0, self._on_block)

    def _on_block(self) -> None:
        if self.state is not SimState.RUNNING:
            return
        try:
            self.keeper.block(_now_ms())
        except Exception:  # a bug in one block must not stop the market
            log.exception("simulator block failed")
        self._schedule_block()

    # -- in-process API -------------------------------------------------------------------------
    async def fund(self, address: str, usdc: float | int | str | Decimal = 100_000) -> None:
        """Credit USDC to an address (creating its account), as `POST /sim {"type":"fund"}`."""
        amount = Decimal(str(usdc))
        if not amount.is_finite():
            raise WireError(f"usdc must be a finite number, got {usdc!r}")
        self.venue.fund(address.lower(), amount, _now_ms())

    async def set_mid(self, coin: str, px: float | int | str | Decimal) -> None:
        """Force a coin's mid; resting orders it crosses fill at the next block."""
        if coin not in self.venue.markets.by_name:
            raise WireError(f"unknown coin {coin!r}; listed: {', '.join(self.venue.markets.by_name)}")
        value = Decimal(str(px))
        if not value.is_finite() or value <= 0:
            raise WireError(f"px must be a positive number, got {px!r}")
        self.venue.set_mid(coin, value, _now_ms())

    def mid(self, coin: str) -> str:
        return fmt(self.venue.markets.mids[coin])

    async def set_fault(self, kind: str = "error", rate: float = 1.0, duration_s: float | None = None,
                        target: object = "all", latency_ms: int = 0, count: int | None = None) -> None:
        """Install a fault (see `sim.faults`: `target` is "all", a part or a list of parts; `count`: the
        next that many requests only); an `error` or `wsDrop` fault that reaches the stream cuts the
        open streams at once."""
        fault = self.faults.set(kind, rate=rate, latency_ms=latency_ms, duration_s=duration_s, target=target,
                                count=count)
        if fault is not None and "ws" in fault.targets and self.faults.draw("ws", kinds=("wsDrop", "error")):
            self.hub.drop_all()

    async def clear_faults(self) -> None:
        self.faults.clear()

    def faults_active(self) -> list[dict[str, object]]:
        return [f.describe(self.faults.hits_left(f.kind)) for f in self.faults.active()]

    def stats(self) -> dict[str, Any]:
        """What was asked: {"total": n, "requests": {"info:allMids": n, "exchange:order": n, ...}}."""
        return {"total": self._total, "requests": dict(self._requests), "inFlight": self._in_flight,
                "faultsInjected": self.faults.injected,
                "rateLimited": self.limiter.rejected, "weight": self.limiter.spent,
                "wsConnections": len(self.hub.conns), "wsDropped": self.hub.dropped, "blocks": self.venue.markets.steps,
                "liquidations": self.keeper.liquidations, "faults": self.faults_active()}

    async def reset(self) -> None:
        """Back to the seed's first state: no accounts, orders, history, faults or counts."""
        self._build_venue()
        if self._history_handle is not None:
            self._history_handle.cancel()
        self._schedule_history()
        self.faults.clear()
        self.limiter.reset()
        self._requests.clear()
        self._total = 0

    @property
    def rate_limit_per_min(self) -> int:
        return self.limiter.weight_per_min

    def set_rate_limit(self, weight_per_min: int) -> None:
        self.limiter.set_limit(max(0, weight_per_min))

    def advance(self, blocks: int = 1) -> None:
        """Run `blocks` blocks now (tests that do not want to wait for the clock)."""
        for _ in range(blocks):
            self.keeper.block(_now_ms())

    # -- HTTP -----------------------------------------------------------------------------------
    def _answering(self, handler: Callable[[web.Request], Awaitable[web.Response]],
                   ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """`handler`, counted in `inFlight` while it runs (a request held by a latency fault is in flight
        until the venue answers it, even when its client has stopped waiting)."""
        async def answer(request: web.Request) -> web.Response:
            self._in_flight += 1
            try:
                return await handler(request)
            finally:
                self._in_flight -= 1
        return answer

    def _count(self, key: str) -> None:
        self._total += 1
        self._requests[key] = self._requests.get(key, 0) + 1

    async def _faulted(self, target: str) -> web.Response | None:
        for fault in self.faults.draw(target):
            if fault.kind == "latency":
                await self._sleep(fault.latency_ms)
            elif fault.kind == "timeout":
                await self._sleep(fault.latency_ms or _TIMEOUT_DEFAULT_MS)
                return web.Response(status=504, text="injected timeout")
            elif fault.kind == "error":
                return web.Response(status=500, text="injected error")
            elif fault.kind == "rateLimit":
                return web.Response(status=429, text="rate limited")
        return None

    async def _sleep(self, ms: int) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closing.wait(), ms / 1000.0)

    @staticmethod
    def _bad(message: str) -> web.Response:
        return web.Response(status=422, text=f"{_DESERIALIZE}: {message}")

    async def _http_info(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            self._count("info:invalid")
            return self._bad("the body is not valid JSON")
        kind = body.get("type") if isinstance(body, dict) else None
        self._count(f"info:{kind}" if isinstance(kind, str) else "info:invalid")
        if self.faults._faults and (resp := await self._faulted("info")) is not None:
            return resp
        ip = request.remote or "?"
        if not self.limiter.allow(ip, info_weight(kind) if isinstance(kind, str) else 20):
            return web.Response(status=429, text="rate limited")
        if not isinstance(body, dict):
            return self._bad("the body must be a JSON object with a type")
        try:
            payload, extra = self.info.answer(body, _now_ms())
        except WireError as exc:
            return self._bad(str(exc))
        if extra:
            self.limiter.charge(ip, extra)
        return web.Response(body=payload, content_type=_JSON)

    async def _http_exchange(self, request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            self._count("exchange:invalid")
            return self._bad("the body is not valid JSON")
        action = body.get("action") if isinstance(body, dict) else None
        kind = action.get("type") if isinstance(action, dict) else None
        self._count(f"exchange:{kind}" if isinstance(kind, str) else "exchange:invalid")
        if self.faults._faults and (resp := await self._faulted("exchange")) is not None:
            return resp
        if not self.limiter.allow(request.remote or "?", action_weight(action)):
            return web.Response(status=429, text="rate limited")
        try:
            reply = self.actions.handle(body, _now_ms())
        except WireError as exc:
            return self._bad(str(exc))
        return web.Response(body=orjson.dumps(reply), content_type=_JSON)

    async def _http_sim(self, request: web.Request) -> web.Response:
        if request.remote not in _LOOPBACK:
            return web.Response(status=403, text="/sim answers loopback clients only")
        if (refused := refuse_unless_json_and_same_origin(request)) is not None:
            return refused
        try:
            body = orjson.loads(await request.read())
            reply = await control(self, body)
        except orjson.JSONDecodeError:
            return self._bad("the body is not valid JSON")
        except (WireError, ValueError) as exc:
            return self._bad(str(exc))
        return web.Response(body=orjson.dumps(reply), content_type=_JSON)

    def _rate_state(self, user: str) -> dict:
        return {"used": self.actions.requests_used.get(user, 0)}

    def count(self, key: str) -> None:
        """Count one request in the stats (HTTP and WebSocket posts alike)."""
        self._count(key)
