"""The risk rules: pure functions that judge a signal, a position or the portfolio.

`RiskManager` (risk.py) owns the state, the caches and the listeners and calls these; keeping
the judgement free of state makes every limit testable with plain values, and lets the property
tests compare a cached answer with a fresh one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from perps_desktop.core.models import Decision, Position, RiskDecision, Severity, Side, Signal, TradingState

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["Portfolio", "PortfolioRisk", "PositionRisk", "RiskConfig", "evaluate_signal", "portfolio_risk",
           "position_risk"]

_ALL_CHECKS = ("size", "leverage", "state", "daily_loss", "drawdown", "liquidation", "symbol_exposure",
               "total_exposure", "account_leverage")


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskConfig:
    """The limits the risk manager enforces and how long its answers are cached."""

    max_position_notional_usd: float = 50_000.0     # MAX_POSITION_NOTIONAL_USD: per symbol
    max_total_exposure_usd: float = 150_000.0       # MAX_TOTAL_EXPOSURE_USD: sum of |notional|
    max_leverage: float = 10.0                      # MAX_LEVERAGE: per order and exposure / equity
    daily_loss_limit_usd: float = 5_000.0           # DAILY_LOSS_LIMIT_USD: 0 switches the check off
    max_drawdown_pct: float = 20.0                  # MAX_DRAWDOWN_PCT: from the equity peak
    min_liquidation_distance_pct: float = 5.0       # MIN_LIQUIDATION_DISTANCE_PCT
    max_orders_per_minute: int = 60                 # MAX_ORDERS_PER_MINUTE
    max_concentration_pct: float = 60.0             # MAX_CONCENTRATION_PCT: one symbol's share of exposure
    signal_ttl_ms: int = 1000                       # RISK_CACHE_TTL_MS (0: no cache)
    portfolio_ttl_ms: int = 5000                    # PORTFOLIO_RISK_CACHE_TTL_MS
    position_ttl_ms: int = 2000                     # POSITION_RISK_CACHE_TTL_MS
    max_cache_entries: int = 1000                   # MAX_RISK_CACHE_ENTRIES, per cache

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskConfig:
        s = settings.risk
        return cls(max_position_notional_usd=s.max_position_notional_usd,
                   max_total_exposure_usd=s.max_total_exposure_usd, max_leverage=s.max_leverage,
                   daily_loss_limit_usd=s.daily_loss_limit_usd, max_drawdown_pct=s.max_drawdown_pct,
                   min_liquidation_distance_pct=s.min_liquidation_distance_pct,
                   max_orders_per_minute=s.max_orders_per_minute, max_concentration_pct=s.max_concentration_pct,
                   signal_ttl_ms=s.risk_cache_ttl_ms, portfolio_ttl_ms=s.portfolio_risk_cache_ttl_ms,
                   position_ttl_ms=s.position_risk_cache_ttl_ms, max_cache_entries=s.max_risk_cache_entries)


@dataclass(frozen=True, slots=True, kw_only=True)
class Portfolio:
    """What the risk manager judges against. `version` changes whenever the content does, so
    caches key on it instead of rehashing the positions."""

    equity: float
    peak_equity: float
    day_start_equity: float
    positions: tuple[Position, ...] = ()
    version: int = 0
    margin_used: float = 0.0
    exposure: float = 0.0                                   # sum of |notional|, filled by build()
    by_symbol: Mapping[str, Position] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def build(cls, *, equity: float, positions: Iterable[Position] = (), peak_equity: float | None = None,
              day_start_equity: float | None = None, version: int = 0, margin_used: float = 0.0) -> Portfolio:
        pos = tuple(p for p in positions if p.size != 0)
        return cls(equity=equity, peak_equity=max(equity, peak_equity if peak_equity is not None else equity),
                   day_start_equity=equity if day_start_equity is None else day_start_equity, positions=pos,
                   version=version, margin_used=margin_used, exposure=sum(p.notional for p in pos),
                   by_symbol={p.symbol: p for p in pos})

    @property
    def daily_pnl(self) -> float:
        return self.equity - self.day_start_equity

    @property
    def drawdown_pct(self) -> float:
        return max(0.0, (self.peak_equity - self.equity) / self.peak_equity * 100.0) if self.peak_equity > 0 else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionRisk:
    symbol: str
    notional: float
    leverage: float                             # notional / equity
    liquidation_distance_pct: float | None
    share_pct: float                            # of total exposure
    pnl_pct: float                              # unrealized pnl / entry notional
    severity: Severity
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioRisk:
    version: int
    equity: float
    peak_equity: float
    exposure: float
    leverage: float
    margin_use_pct: float
    drawdown_pct: float
    daily_pnl: float
    concentration_pct: float                    # the largest symbol's share of exposure
    largest_symbol: str | None
    positions: int
    severity: Severity
    breaches: tuple[str, ...] = ()


def _decision(decision: Decision, size: Decimal, reason: str, checks: tuple[str, ...]) -> RiskDecision:
    return RiskDecision(decision=decision, size=size, reason=reason, checks=checks)


def _round_down(value: float, like: Decimal) -> Decimal:
    """`value` as a Decimal rounded towards zero, to `like`'s decimals but at least 6 of them
    (an order asked as "100" may still be allowed 0.77; the client rounds to the venue's rules)."""
    exp = like.as_tuple().exponent
    quantum = Decimal(1).scaleb(min(exp if isinstance(exp, int) else 0, -6))
    return Decimal(repr(max(value, 0.0))).quantize(quantum, rounding=ROUND_DOWN)


def evaluate_signal(sig: Signal, pf: Portfolio, cfg: RiskConfig,
                    state: TradingState = TradingState.ACTIVE) -> RiskDecision:
    """Approve, reduce (to the size the limits allow) or reject one signal, with the reason.

    The part of an order that shrinks an existing position always passes (unless HALTED); the
    part that opens or grows exposure must pass every limit. Order rate is the manager's job.
    """
    size, px = float(sig.size), float(sig.price)
    zero = Decimal(0)
    if not (size > 0 and px > 0 and math.isfinite(size * px)):
        return _decision(Decision.REJECT, zero, f"invalid order: size {sig.size} at price {sig.price}", ("size",))
    if state is TradingState.HALTED:
        return _decision(Decision.REJECT, zero, "trading is HALTED: nothing passes", _ALL_CHECKS[:3])
    pos = pf.by_symbol.get(sig.symbol)
    cur = float(pos.size) if pos is not None else 0.0
    signed = size if sig.side is Side.BUY else -size
    closing = min(size, abs(cur)) if cur * signed < 0 else 0.0
    opening = size - closing
    if opening <= size * 1e-12:
        return _decision(Decision.APPROVE, sig.size, f"shrinks the {sig.symbol} position", _ALL_CHECKS[:3])

    def shrink_only(why: str, checks: tuple[str, ...]) -> RiskDecision:
        if closing <= 0:
            return _decision(Decision.REJECT, zero, f"{why}; the order does not shrink a position", checks)
        allowed = _round_down(closing, sig.size)
        if allowed <= 0:
            return _decision(Decision.REJECT, zero, f"{why}; nothing left after rounding", checks)
        return _decision(Decision.REDUCE, allowed, f"{why}; only the {allowed} that shrinks {sig.symbol} passes",
                         checks)

    if sig.leverage > cfg.max_leverage:
        return _decision(Decision.REJECT, zero, f"leverage {sig.leverage:g}x above the limit {cfg.max_leverage:g}x",
                         _ALL_CHECKS[:2])
    if state is TradingState.REDUCING:
        return shrink_only("trading is REDUCING", _ALL_CHECKS[:3])
    if sig.reduce_only:
        return shrink_only("reduce-only order", _ALL_CHECKS[:3])
    if pf.equity <= 0:
        return shrink_only(f"no equity ({pf.equity:.2f})", _ALL_CHECKS[:3])
    loss = pf.day_start_equity - pf.equity
    if cfg.daily_loss_limit_usd > 0 and loss >= cfg.daily_loss_limit_usd:
        return shrink_only(f"daily loss {loss:.2f} reached the limit {cfg.daily_loss_limit_usd:.2f}", _ALL_CHECKS[:4])
    dd = pf.drawdown_pct
    if dd >= cfg.max_drawdown_pct:
        return shrink_only(f"drawdown {dd:.1f}% reached the limit {cfg.max_drawdown_pct:g}%", _ALL_CHECKS[:5])
    min_liq = cfg.min_liquidation_distance_pct
    if min_liq > 0:
        if pos is not None and cur * signed > 0:
            dist = pos.liquidation_distance_pct
            if dist is not None and dist < min_liq:
                return shrink_only(f"{sig.symbol} is {dist:.1f}% from liquidation (minimum {min_liq:g}%)",
                                   _ALL_CHECKS[:6])
        if sig.leverage > 0 and 100.0 / sig.leverage < min_liq:
            return _decision(Decision.REJECT, zero, f"at {sig.leverage:g}x a new position would sit "
                             f"{100.0 / sig.leverage:.1f}% from liquidation (minimum {min_liq:g}%)", _ALL_CHECKS[:6])
    mark = float(pos.mark_px) if pos is not None else px
    exposure_after_close = max(0.0, pf.exposure - closing * mark)
    same_dir = abs(cur) * mark if cur * signed > 0 else 0.0
    rooms = (
        (cfg.max_position_notional_usd - same_dir,
         f"{sig.symbol} notional limit {cfg.max_position_notional_usd:,.0f} USD"),
        (cfg.max_total_exposure_usd - exposure_after_close,
         f"total exposure limit {cfg.max_total_exposure_usd:,.0f} USD"),
        (pf.equity * cfg.max_leverage - exposure_after_close,
         f"account leverage limit {cfg.max_leverage:g}x of {pf.equity:,.0f} USD equity"),
    )
    room, limit = min(rooms, key=lambda r: r[0])
    want = opening * px
    if want <= room:
        return _decision(Decision.APPROVE, sig.size, "within limits", _ALL_CHECKS)
    allowed = _round_down(closing + max(room, 0.0) / px, sig.size)
    if allowed <= 0:
        return _decision(Decision.REJECT, zero, f"{limit} reached ({want:,.0f} USD asked, "
                         f"{max(room, 0.0):,.0f} USD left)", _ALL_CHECKS)
    return _decision(Decision.REDUCE, allowed, f"{limit}: {allowed} of {sig.size} fits "
                     f"({max(room, 0.0):,.0f} USD left)", _ALL_CHECKS)


def position_risk(pos: Position, pf: Portfolio, cfg: RiskConfig) -> PositionRisk:
    """Judge one position against the limits and the portfolio it sits in."""
    notional = pos.notional
    lev = notional / pf.equity if pf.equity > 0 else math.inf
    dist = pos.liquidation_distance_pct
    share = notional / pf.exposure * 100.0 if pf.exposure > 0 else 0.0
    entry = abs(float(pos.size)) * float(pos.entry_px)
    pnl_pct = float(pos.unrealized_pnl) / entry * 100.0 if entry > 0 else 0.0
    reasons: list[str] = []
    severity = Severity.INFO
    min_liq = cfg.min_liquidation_distance_pct
    if dist is not None and dist < min_liq:
        severity = Severity.CRITICAL if dist < min_liq / 2 else Severity.ERROR
        reasons.append(f"{dist:.1f}% from liquidation (minimum {min_liq:g}%)")
    if notional > cfg.max_position_notional_usd:
        severity = max(severity, Severity.ERROR)
        reasons.append(f"notional {notional:,.0f} above {cfg.max_position_notional_usd:,.0f} USD")
    if lev > cfg.max_leverage:
        severity = max(severity, Severity.WARNING)
        reasons.append(f"leverage {lev:.1f}x above {cfg.max_leverage:g}x")
    if len(pf.positions) > 1 and share > cfg.max_concentration_pct:
        severity = max(severity, Severity.WARNING)
        reasons.append(f"{share:.0f}% of exposure (limit {cfg.max_concentration_pct:g}%)")
    return PositionRisk(symbol=pos.symbol, notional=notional, leverage=lev, liquidation_distance_pct=dist,
                        share_pct=share, pnl_pct=pnl_pct, severity=severity, reasons=tuple(reasons))


def portfolio_risk(pf: Portfolio, cfg: RiskConfig) -> PortfolioRisk:
    """Exposure, leverage, margin use, drawdown, daily P&L and concentration, from the positions."""
    per_symbol: dict[str, float] = {}
    for p in pf.positions:
        per_symbol[p.symbol] = per_symbol.get(p.symbol, 0.0) + abs(float(p.size)) * float(p.mark_px)
    exposure = sum(per_symbol.values())
    largest = max(per_symbol, key=per_symbol.__getitem__) if per_symbol else None
    concentration = per_symbol[largest] / exposure * 100.0 if largest is not None and exposure > 0 else 0.0
    lev = exposure / pf.equity if pf.equity > 0 else (math.inf if exposure > 0 else 0.0)
    margin_pct = pf.margin_used / pf.equity * 100.0 if pf.equity > 0 else 0.0
    dd = pf.drawdown_pct
    breaches: list[str] = []
    severity = Severity.INFO
    if exposure > cfg.max_total_exposure_usd:
        breaches.append(f"exposure {exposure:,.0f} above {cfg.max_total_exposure_usd:,.0f} USD")
        severity = Severity.ERROR
    if lev > cfg.max_leverage:
        breaches.append(f"leverage {lev:.1f}x above {cfg.max_leverage:g}x")
        severity = Severity.ERROR
    if dd >= cfg.max_drawdown_pct:
        breaches.append(f"drawdown {dd:.1f}% at or above {cfg.max_drawdown_pct:g}%")
        severity = Severity.CRITICAL
    if cfg.daily_loss_limit_usd > 0 and -pf.daily_pnl >= cfg.daily_loss_limit_usd:
        breaches.append(f"daily loss {-pf.daily_pnl:,.0f} at or above {cfg.daily_loss_limit_usd:,.0f} USD")
        severity = Severity.CRITICAL
    if len(per_symbol) > 1 and concentration > cfg.max_concentration_pct:
        breaches.append(f"{largest} is {concentration:.0f}% of exposure (limit {cfg.max_concentration_pct:g}%)")
        severity = max(severity, Severity.WARNING)
    return PortfolioRisk(version=pf.version, equity=pf.equity, peak_equity=pf.peak_equity, exposure=exposure,
                         leverage=lev, margin_use_pct=margin_pct, drawdown_pct=dd, daily_pnl=pf.daily_pnl,
                         concentration_pct=concentration, largest_symbol=largest, positions=len(pf.positions),
                         severity=severity, breaches=tuple(breaches))
