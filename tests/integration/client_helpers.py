"""Helpers for the exchange client's integration tests: a funded client on a real simulator."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.models import OrderRequest
from perps_desktop.exchange import ClientConfig, HyperliquidClient


@asynccontextmanager
async def funded_client(sim: Any, *, usdc: int = 100_000, key: str | None = None, observer: Any = None,
                        **config: Any):
    """A client with a fresh key, its account funded on `sim`; config overrides go to ClientConfig
    (`observer`: the client's `RequestObserver`)."""
    config.setdefault("timeout_s", 5.0)
    cfg = ClientConfig(base_url=sim.url, **config)
    client = HyperliquidClient(cfg, private_key=key or "0x" + secrets.token_hex(32), registry=CacheRegistry(),
                               observer=observer)
    async with client:
        await sim.fund(client.address, usdc=usdc)
        yield client


def requests_to(sim: Any, label: str) -> int:
    return int(sim.stats()["requests"].get(label, 0))


def resting_buy(symbol: str, mid: Decimal, *, offset: str = "0.9", size: str = "0.01", cloid: str | None = None,
                ) -> OrderRequest:
    """A buy well below the mid: it rests."""
    return OrderRequest(symbol=symbol, is_buy=True, size=Decimal(size), limit_px=mid * Decimal(offset), cloid=cloid)


def crossing(symbol: str, mid: Decimal, *, is_buy: bool = True, size: str = "0.01") -> OrderRequest:
    """An IOC through the mid: it fills at once."""
    px = mid * (Decimal("1.02") if is_buy else Decimal("0.98"))
    return OrderRequest(symbol=symbol, is_buy=is_buy, size=Decimal(size), limit_px=px, tif="Ioc")
