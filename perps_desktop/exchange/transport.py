"""HTTP transport on one aiohttp session: JSON POSTs with a timeout, and the one aiohttp error mapper.

Every request the client makes passes `Transport.post`, which bounds it with the configured
timeout, counts it under its label ("info:allMids", "exchange:order") when it is sent, times the
round trip (sent to reply read, or to the failure) into the label's latency histogram and tells
the `RequestObserver` (the app's monitor), and turns whatever went wrong into the error tree of
`perps_desktop.errors` inside `map_errors` — the only place that knows aiohttp's exception types.
A cancelled request is counted but not timed: it did not end, its caller stopped waiting.
"""

from __future__ import annotations

import asyncio
import enum
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from perps_desktop.errors import (
    ExchangeError,
    ExchangeRejected,
    ExchangeTimeout,
    MalformedReply,
    RateLimited,
    TransportError,
)
from perps_desktop.exchange.stats import ClientCounters

if TYPE_CHECKING:
    from perps_desktop.core.ports import RequestObserver

__all__ = ["Transport", "TransportState", "map_errors"]

_HEADERS = {"Content-Type": "application/json"}


class TransportState(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


@contextmanager
def map_errors(endpoint: str, timeout_s: float | None = None) -> Iterator[None]:
    """Re-raise aiohttp / socket / timeout failures inside the block as `TransportError`s.

    A failure to connect has `request_sent=False`: an action that never left can be resent.
    """
    try:
        yield
    except ExchangeError:
        raise
    except TimeoutError as exc:  # asyncio.TimeoutError is TimeoutError since 3.11
        limit = f" after {timeout_s:g}s" if timeout_s is not None else ""
        raise ExchangeTimeout(f"no reply{limit}", endpoint=endpoint) from exc
    except aiohttp.ClientResponseError as exc:
        if exc.status == 429:
            raise RateLimited("HTTP 429", endpoint=endpoint, http_status=429) from exc
        raise TransportError(f"HTTP {exc.status}: {exc.message}", endpoint=endpoint, http_status=exc.status) from exc
    except aiohttp.ClientConnectorError as exc:  # no connection: the request never left
        raise TransportError(f"{type(exc).__name__}: {exc}", endpoint=endpoint, request_sent=False) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", endpoint=endpoint) from exc


def _text(raw: bytes) -> str:
    return raw[:300].decode("utf-8", errors="replace")


class Transport:
    """Owns the client's one `aiohttp.ClientSession`; an async context manager, `aclose()` idempotent."""

    def __init__(self, base_url: str, *, timeout_s: float, counters: ClientCounters,
                 max_concurrency: int = 0, observer: RequestObserver | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.counters = counters
        self.observer = observer
        self._limit = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None
        self._session: aiohttp.ClientSession | None = None
        self.state = TransportState.NEW

    async def __aenter__(self) -> Transport:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> None:
        if self.state is not TransportState.NEW:
            raise RuntimeError(f"transport is {self.state.value}; it cannot be reopened")
        connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300, enable_cleanup_closed=False)
        self._session = aiohttp.ClientSession(connector=connector, json_serialize=lambda o: orjson.dumps(o).decode())
        self.state = TransportState.OPEN

    async def aclose(self) -> None:
        if self.state is TransportState.CLOSED:
            return
        self.state = TransportState.CLOSED
        if self._session is not None:
            await self._session.close()

    def __del__(self) -> None:
        if getattr(self, "state", None) is TransportState.OPEN:
            warnings.warn("Transport was not closed; use `async with` or await aclose()", ResourceWarning,
                          stacklevel=1)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self.state is not TransportState.OPEN:
            raise RuntimeError("transport is not open")
        return self._session

    async def post(self, path: str, body: dict[str, Any], *, label: str, timeout_s: float | None = None) -> Any:
        """POST `body` as JSON to `path`; return the decoded JSON reply or raise an ExchangeError."""
        session = self.session
        limit = self.timeout_s if timeout_s is None else timeout_s
        counters = self.counters
        t0 = elapsed = 0.0
        try:
            with map_errors(label, limit):
                if self._limit is None:
                    async with asyncio.timeout(limit):
                        counters.requests[label] += 1
                        t0 = time.perf_counter()
                        status, raw = await self._send(session, path, body)
                else:
                    async with self._limit, asyncio.timeout(limit):   # the queue for a slot is not latency
                        counters.requests[label] += 1
                        t0 = time.perf_counter()
                        status, raw = await self._send(session, path, body)
            elapsed = time.perf_counter() - t0
            reply = self._decode(label, status, raw)
        except ExchangeError as exc:
            counters.errors[type(exc).__name__] += 1
            if t0:                                  # it left (always, once past the slot and the timeout)
                self._observe(label, elapsed or time.perf_counter() - t0, False, exc)
            raise
        self._observe(label, elapsed, True)
        return reply

    def _observe(self, label: str, seconds: float, ok: bool, error: BaseException | None = None) -> None:
        self.counters.observe(label, seconds, ok)
        if self.observer is not None:
            self.observer.on_request(label, seconds * 1000.0, ok, error)

    async def _send(self, session: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        async with session.post(self.base_url + path, data=orjson.dumps(body), headers=_HEADERS) as resp:
            return resp.status, await resp.read()

    @staticmethod
    def _decode(label: str, status: int, raw: bytes) -> Any:
        if status == 429:
            raise RateLimited(f"HTTP 429: {_text(raw)!r}", endpoint=label, http_status=429)
        if status >= 500:
            raise TransportError(f"HTTP {status}: {_text(raw)!r}", endpoint=label, http_status=status)
        if status >= 400:
            raise ExchangeRejected(f"HTTP {status}: {_text(raw)}", endpoint=label, http_status=status)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise MalformedReply(label, f"HTTP {status} reply is not JSON", _text(raw)) from None
