"""`POST /sim`: the simulator's own control surface (stats, faults, setMid, fund, reset); loopback only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from perps_desktop.sim.wire import WireError, norm_address, parse_decimal

if TYPE_CHECKING:
    from perps_desktop.sim.server import Simulator

__all__ = ["control"]


def _num(body: Mapping, key: str, default: float | None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise WireError(f"{key} must be a number")
    try:
        return float(value)
    except ValueError:
        raise WireError(f"{key} must be a number, got {value!r}") from None


async def control(sim: Simulator, body: object) -> dict:
    """Run one control request; WireError/ValueError for a bad one (answered 422)."""
    if not isinstance(body, Mapping):
        raise WireError("the body must be a JSON object with a type")
    kind = body.get("type")
    if kind == "stats":
        return sim.stats()
    if kind == "fault":
        fault_kind = body.get("kind")
        if not isinstance(fault_kind, str):
            raise WireError("kind must be error, timeout, latency, rateLimit, wsDrop or none")
        count = _num(body, "count", None)
        if count is not None and count != int(count):
            raise WireError(f"count must be a whole number of requests, got {count:g}")
        await sim.set_fault(kind=fault_kind, rate=_num(body, "rate", 1.0) or 0.0,
                            duration_s=_num(body, "durationS", None), target=body.get("target", "all"),
                            latency_ms=int(_num(body, "latencyMs", 0) or 0),
                            count=None if count is None else int(count))
        return {"status": "ok", "faults": sim.faults_active()}
    if kind == "setMid":
        coin = body.get("coin")
        if not isinstance(coin, str):
            raise WireError("coin must be a listed coin name")
        await sim.set_mid(coin, parse_decimal(body.get("px"), "px"))
        return {"status": "ok", "coin": coin, "mid": sim.mid(coin)}
    if kind == "fund":
        user = norm_address(body.get("user"))
        amount = parse_decimal(body.get("usdc", "100000"), "usdc")
        if amount < 0:
            raise WireError(f"usdc must be an amount >= 0 to credit, got {amount}")
        await sim.fund(user, usdc=amount)
        return {"status": "ok", "user": user}
    if kind == "reset":
        await sim.reset()
        return {"status": "ok"}
    if kind == "config":
        if "rateLimitPerMin" in body:
            sim.set_rate_limit(int(_num(body, "rateLimitPerMin", 0) or 0))
        return {"status": "ok", "rateLimitPerMin": sim.rate_limit_per_min}
    if kind == "advance":
        blocks = int(_num(body, "blocks", 1) or 1)
        if not 1 <= blocks <= 10_000:
            raise WireError("blocks must be between 1 and 10000")
        sim.advance(blocks)
        return {"status": "ok"}
    raise WireError(f"unknown /sim type {kind!r}: use stats, fault, setMid, fund, reset, config or advance")
