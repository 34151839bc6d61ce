"""The position-recovery rules: pure functions that judge one position and plan what to send.

`PositionRecovery` (recovery.py) gathers the data and runs these; keeping the judgement free of
I/O makes every rule testable with plain values and keeps the async part small.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from perps_desktop.core.models import Order, OrderRequest, Position, RecoveryFinding, Severity

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = [
    "ALERT",
    "CLOSE",
    "REDUCE",
    "PositionContext",
    "RecoveryConfig",
    "analyse_position",
    "close_request",
    "has_stop",
    "new_cloid",
    "strongest",
]

CLOSE = "CLOSE"
REDUCE = "REDUCE"
ALERT = "ALERT"
_RANK = {CLOSE: 2, REDUCE: 1, ALERT: 0}


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryConfig:
    """What PositionRecovery judges against and how it works (report: PositionRecovery)."""

    max_position_notional_usd: float = 50_000.0     # above it: REDUCE to `target_share` of the limit
    max_leverage: float = 10.0                      # notional / equity per position; above: REDUCE
    min_liquidation_distance_pct: float = 5.0       # closer: REDUCE half; closer than half of it: CLOSE
    stale_position_s: float = 600.0                 # no fill on the symbol for this long: ALERT
    target_share: float = 0.9                       # reduce to this share of a limit (so it does not re-trip)
    slippage: float = 0.05                          # reduce-only IOC price: mid x (1 -/+ slippage), as the SDK
    max_attempts: int = 3                           # MAX_RECOVERY_ATTEMPTS, automatic actions per position
    cache_ttl_s: float = 5.0                        # RECOVERY_CACHE_TTL_MS
    history_size: int = 100                         # RECOVERY_HISTORY_SIZE
    parallelism: int = 0                            # RECOVERY_PARALLELISM: 0 all at once, 1 sequential, n at most n
    require_stop: bool = True                       # a position without a reduce-only stop is reported

    @classmethod
    def from_settings(cls, settings: Settings) -> RecoveryConfig:
        return cls(
            max_position_notional_usd=settings.risk.max_position_notional_usd,
            max_leverage=settings.risk.max_leverage,
            min_liquidation_distance_pct=settings.risk.min_liquidation_distance_pct,
            stale_position_s=float(settings.recovery.stale_position_s),
            max_attempts=settings.recovery.max_recovery_attempts,
            cache_ttl_s=settings.recovery.recovery_cache_ttl_ms / 1000.0,
            history_size=settings.recovery.recovery_history_size,
            parallelism=settings.recovery.recovery_parallelism,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionContext:
    """What the rules know beyond the position itself."""

    equity: float
    mid: float | None                               # freshest mid; None: use the position's mark
    owner: str | None                               # the strategy that owns the symbol, None: orphaned
    orders: tuple[Order, ...] = ()                  # open orders on the symbol
    last_fill_ms: int | None = None                 # newest fill on the symbol
    now_ms: int = 0


def new_cloid() -> str:
    """A fresh client order id: "0x" + 32 hex digits, as the venue wants."""
    return "0x" + secrets.token_hex(16)


def has_stop(position: Position, orders: Iterable[Order]) -> bool:
    """True when a reduce-only trigger order on the closing side protects the position."""
    closing = position.side.opposite()
    for o in orders:
        if o.symbol != position.symbol or o.side is not closing:
            continue
        if o.trigger_px is not None or "stop" in o.order_type.lower():
            return True
    return False


def _reduce_to(current: float, limit: float, share: float) -> float:
    """The fraction to cut so that `current` falls to `share` of `limit` (0..1)."""
    if current <= 0:
        return 0.0
    return min(1.0, max(0.0, 1.0 - (limit * share) / current))


def analyse_position(p: Position, ctx: PositionContext, cfg: RecoveryConfig) -> list[RecoveryFinding]:
    """Every problem of one position, each with the action it proposes and why."""
    out: list[RecoveryFinding] = []
    sym = p.symbol
    mark = ctx.mid if ctx.mid is not None and ctx.mid > 0 else float(p.mark_px)
    notional = abs(float(p.size)) * mark
    limit = cfg.max_position_notional_usd
    if limit > 0 and notional > limit:
        frac = _reduce_to(notional, limit, cfg.target_share)
        out.append(RecoveryFinding(
            symbol=sym, problem="oversize", action=REDUCE, reduce_fraction=round(frac, 4), severity=Severity.ERROR,
            reason=f"{sym} notional ${notional:,.0f} is over the ${limit:,.0f} limit; "
                   f"reduce {frac:.0%} to ${limit * cfg.target_share:,.0f}"))
    if ctx.equity > 0 and cfg.max_leverage > 0:
        lev = notional / ctx.equity
        if lev > cfg.max_leverage:
            frac = _reduce_to(lev, cfg.max_leverage, cfg.target_share)
            out.append(RecoveryFinding(
                symbol=sym, problem="overleveraged", action=REDUCE, reduce_fraction=round(frac, 4),
                severity=Severity.ERROR,
                reason=f"{sym} leverage {lev:.1f}x is over the {cfg.max_leverage:g}x limit; reduce {frac:.0%}"))
    elif ctx.equity <= 0 and notional > 0:
        out.append(RecoveryFinding(
            symbol=sym, problem="overleveraged", action=CLOSE, reduce_fraction=1.0, severity=Severity.CRITICAL,
            reason=f"{sym} is open on an account with no equity (${ctx.equity:,.2f}); close it"))
    if p.liquidation_px is not None and mark > 0:
        dist = abs(mark - float(p.liquidation_px)) / mark * 100.0
        floor = cfg.min_liquidation_distance_pct
        if dist < floor / 2:
            out.append(RecoveryFinding(
                symbol=sym, problem="near_liquidation", action=CLOSE, reduce_fraction=1.0,
                severity=Severity.CRITICAL,
                reason=f"{sym} is {dist:.2f}% from liquidation at {float(p.liquidation_px):g} "
                       f"(under half the {floor:g}% minimum); close it"))
        elif dist < floor:
            out.append(RecoveryFinding(
                symbol=sym, problem="near_liquidation", action=REDUCE, reduce_fraction=0.5, severity=Severity.ERROR,
                reason=f"{sym} is {dist:.2f}% from liquidation at {float(p.liquidation_px):g} "
                       f"(minimum {floor:g}%); reduce 50%"))
    if ctx.owner is None:
        out.append(RecoveryFinding(
            symbol=sym, problem="orphaned", action=ALERT, severity=Severity.WARNING,
            reason=f"{sym} {float(p.size):+g} is not owned by any strategy"))
    if ctx.last_fill_ms is not None and ctx.now_ms > 0:
        age_s = (ctx.now_ms - ctx.last_fill_ms) / 1000.0
        if age_s > cfg.stale_position_s:
            out.append(RecoveryFinding(
                symbol=sym, problem="stale", action=ALERT, severity=Severity.INFO,
                reason=f"{sym} has not been traded for {age_s / 60:.0f} min "
                       f"(limit {cfg.stale_position_s / 60:.0f} min)"))
    if cfg.require_stop and not has_stop(p, ctx.orders):
        out.append(RecoveryFinding(
            symbol=sym, problem="unprotected", action=ALERT, severity=Severity.INFO,
            reason=f"{sym} {float(p.size):+g} has no reduce-only stop order"))
    return out


def strongest(findings: Iterable[RecoveryFinding]) -> dict[str, RecoveryFinding]:
    """Per symbol, the one automatic action to take: CLOSE beats REDUCE, a bigger cut beats a smaller."""
    best: dict[str, RecoveryFinding] = {}
    for f in findings:
        if f.action == ALERT:
            continue
        cur = best.get(f.symbol)
        if cur is None or (_RANK[f.action], f.reduce_fraction) > (_RANK[cur.action], cur.reduce_fraction):
            best[f.symbol] = f
    return best


def close_request(p: Position, fraction: float, mid: float | None, slippage: float,
                  cloid: str | None = None, size: Decimal | None = None) -> OrderRequest:
    """A reduce-only IOC that cuts `fraction` of the position (or exactly `size`, never more than the
    position) at mid +/- slippage (a market order)."""
    fraction = min(1.0, max(0.0, fraction))
    if size is not None:
        size = min(abs(p.size), abs(size))
    else:
        size = abs(p.size) if fraction >= 0.999 else abs(p.size) * Decimal(str(fraction))
    ref = mid if mid is not None and mid > 0 else float(p.mark_px)
    is_buy = p.size < 0
    px = ref * (1 + slippage) if is_buy else ref * (1 - slippage)
    return OrderRequest(symbol=p.symbol, is_buy=is_buy, size=size, limit_px=Decimal(repr(px)), reduce_only=True,
                        tif="Ioc", cloid=cloid or new_cloid())

