"""map_errors: aiohttp and socket failures become the error tree's, with what callers need as fields."""

from __future__ import annotations

import aiohttp
import pytest

from perps_desktop.errors import ExchangeError, ExchangeTimeout, RateLimited, TransportError
from perps_desktop.exchange.transport import map_errors


async def test_a_refused_connection_says_the_request_never_left():
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TransportError) as caught, map_errors("exchange:order"):
            await session.post(f"http://127.0.0.1:{_closed_port()}/exchange", data=b"{}")
    assert caught.value.request_sent is False and caught.value.endpoint == "exchange:order"


def test_timeouts_and_429_map_to_their_kinds_and_default_to_sent():
    with pytest.raises(ExchangeTimeout) as timeout, map_errors("info:allMids", timeout_s=2.0):
        raise TimeoutError
    assert isinstance(timeout.value, TimeoutError) and timeout.value.request_sent
    assert timeout.value.expires_after is None
    with pytest.raises(RateLimited), map_errors("info:allMids"):
        raise aiohttp.ClientResponseError(None, (), status=429)  # type: ignore[arg-type]


def test_an_error_carries_the_actions_expiry_as_a_field():
    err = TransportError("reset by peer", endpoint="exchange:order", expires_after=1_700_000_000_000)
    assert isinstance(err, ExchangeError) and err.expires_after == 1_700_000_000_000 and err.request_sent


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
