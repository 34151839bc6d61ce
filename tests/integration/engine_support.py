"""Helpers for the engine's end-to-end tests: fast settings, and reading the simulator over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp

from perps_desktop.config import Settings, load_settings
from perps_desktop.core.models import OrderRequest

QUIET = 1_000.0          # STRATEGY_THRESHOLD_PCT that no tick reaches: the strategy never signals


def fast_settings(tmp_path, sim=None, **overrides: Any) -> Settings:
    """Settings for a quick, busy run: short intervals, traces flushed within 200 ms."""
    values: dict[str, Any] = {
        "mode": "paper",
        "db_path": str(tmp_path / "traces.sqlite3"),
        "strategy_interval_ms": 200,
        "strategy_lookback": 2,
        "strategy_threshold_pct": 0.0001,
        "trace_batch_flush_ms": 200,
        "recovery_interval_ms": 200,
        "recovery_cache_ttl_ms": 200,
        "health_check_interval_ms": 500,
    }
    if sim is not None:
        values["base_url"] = sim.url
    values.update(overrides)
    return load_settings(**values)


async def sim_info(url: str, body: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as http, http.post(url + "/info", json=body) as resp:
        resp.raise_for_status()
        return await resp.json()


async def sim_positions(url: str, address: str) -> dict[str, Decimal]:
    """The simulator's own word on the account's positions: {coin: signed size}."""
    state = await sim_info(url, {"type": "clearinghouseState", "user": address})
    return {p["position"]["coin"]: Decimal(p["position"]["szi"]) for p in state["assetPositions"]
            if Decimal(p["position"]["szi"]) != 0}


async def sim_orders(url: str, address: str) -> list[dict[str, Any]]:
    return await sim_info(url, {"type": "openOrders", "user": address})


async def open_position(app, symbol: str, usd: float, *, buy: bool = True) -> None:
    """Open a position with a crossing IOC through the app's own client (test setup, not the strategy)."""
    client = app.services.client
    mid = await client.mid(symbol)
    px = mid * Decimal("1.05" if buy else "0.95")
    res = await client.place_order(OrderRequest(symbol=symbol, is_buy=buy, size=Decimal(repr(usd / float(mid))),
                                                limit_px=px, tif="Ioc"))
    assert res.ok and res.filled_size > 0, res


async def rest_order(app, symbol: str, *, buy: bool = True) -> int:
    """A Gtc limit far from the mid, so it rests."""
    client = app.services.client
    mid = await client.mid(symbol)
    px = mid * Decimal("0.5" if buy else "1.5")
    res = await client.place_order(OrderRequest(symbol=symbol, is_buy=buy, size=Decimal(repr(200 / float(px))),
                                                limit_px=px, tif="Gtc"))
    assert res.ok and res.oid is not None, res
    return res.oid
