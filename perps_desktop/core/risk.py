"""RiskManager: every order passes here first; it approves, reduces or rejects, with the reason.

It keeps the portfolio it judges against (fed by `update_portfolio(account_state)`), the
trading state (ACTIVE / REDUCING / HALTED, by rule or by hand) and three TTL caches: signal
decisions (1 s), position risk (2 s) and portfolio risk (5 s). Every cache key carries the
portfolio's `version`, a counter bumped whenever the portfolio's content changes, so a changed
portfolio is never judged from a stale entry and a cache hit never rehashes the positions.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

from perps_desktop.core.caching import TTLCache
from perps_desktop.core.clock import SYSTEM_CLOCK, Clock
from perps_desktop.core.models import AccountState, Decision, Position, RiskDecision, RiskSnapshot, Signal, TradingState
from perps_desktop.core.risk_rules import (
    Portfolio,
    PortfolioRisk,
    PositionRisk,
    RiskConfig,
    evaluate_signal,
    portfolio_risk,
    position_risk,
)

if TYPE_CHECKING:
    from perps_desktop.core.caching import CacheRegistry

__all__ = ["RiskManager", "TradingStateChanged", "TradingStateListener"]

_log = logging.getLogger(__name__)
_DAY_MS = 86_400_000
_ZERO = Decimal(0)
_KIND = attrgetter("decision")


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingStateChanged:
    """Published when the trading state changes, by a rule or by the trader."""

    old: TradingState
    new: TradingState
    reason: str
    by_rule: bool
    time_ms: int


TradingStateListener = Callable[[TradingStateChanged], None]


def _content(acct: AccountState) -> tuple[object, ...]:
    """What the risk maths reads from an account state; compared (not hashed) on each update."""
    return (acct.equity, acct.margin_used, tuple(
        (p.symbol, p.size, p.entry_px, p.mark_px, p.unrealized_pnl, p.leverage, p.liquidation_px, p.margin_used)
        for p in acct.positions))


class RiskManager:
    """Judges signals, positions and the portfolio; holds the trading state. Use from the loop."""

    def __init__(self, config: RiskConfig | None = None, *, caches: CacheRegistry | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = cfg = config or RiskConfig()
        self._now = clock.monotonic
        self._now_ms = clock.wall_ms
        n = cfg.max_cache_entries
        self._signal_cache: TTLCache[tuple[object, ...], RiskDecision] = TTLCache(
            "risk_signal", ttl_s=cfg.signal_ttl_ms / 1000.0, maxsize=n, clock=clock)
        self._position_cache: TTLCache[tuple[object, ...], PositionRisk] = TTLCache(
            "risk_position", ttl_s=cfg.position_ttl_ms / 1000.0, maxsize=n, clock=clock)
        self._portfolio_cache: TTLCache[int, PortfolioRisk] = TTLCache(
            "risk_portfolio", ttl_s=cfg.portfolio_ttl_ms / 1000.0, maxsize=n, clock=clock)
        if caches is not None:
            for cache in (self._signal_cache, self._position_cache, self._portfolio_cache):
                caches.register(cache)
        self._version = 0
        self._portfolio = Portfolio.build(equity=0.0)
        self._content: tuple[object, ...] | None = None
        self._day = -1
        self._state = TradingState.ACTIVE
        self._state_reason = "started"
        self._state_by_rule = False
        self._breach: str | None = None
        self._listeners: list[TradingStateListener] = []
        self._orders: deque[float] = deque(maxlen=cfg.max_orders_per_minute)
        self._counts: dict[Decision, int] = dict.fromkeys(Decision, 0)
        self._gated = False
        self._set_state(TradingState.ACTIVE, "started", by_rule=False)

    # --- the portfolio ----------------------------------------------------------------------

    @property
    def portfolio(self) -> Portfolio:
        return self._portfolio

    @property
    def version(self) -> int:
        return self._version

    def update_portfolio(self, account: AccountState) -> bool:
        """Take a fresh account state; returns True (and bumps the version) if its content changed."""
        content = _content(account)
        day = self._now_ms() // _DAY_MS
        equity = float(account.equity)
        if content == self._content and day == self._day:
            return False
        pf = self._portfolio
        first = self._content is None
        day_start = equity if first or day != self._day else pf.day_start_equity
        peak = equity if first else max(pf.peak_equity, equity)
        self._content, self._day = content, day
        self._version += 1
        self._portfolio = Portfolio.build(equity=equity, positions=account.positions, peak_equity=peak,
                                          day_start_equity=day_start, version=self._version,
                                          margin_used=float(account.margin_used))
        self._apply_rules()
        return True

    def _apply_rules(self) -> None:
        """Enter REDUCING when the daily loss or drawdown limit is hit; leave it when both clear."""
        pf, cfg = self._portfolio, self.config
        breach = None
        if cfg.daily_loss_limit_usd > 0 and -pf.daily_pnl >= cfg.daily_loss_limit_usd:
            breach = f"daily loss {-pf.daily_pnl:,.2f} reached the limit {cfg.daily_loss_limit_usd:,.2f} USD"
        elif pf.drawdown_pct >= cfg.max_drawdown_pct:
            breach = f"drawdown {pf.drawdown_pct:.1f}% reached the limit {cfg.max_drawdown_pct:g}%"
        if breach is not None and self._breach is None:
            self._breach = breach
            if self._state is TradingState.ACTIVE:
                self._set_state(TradingState.REDUCING, breach, by_rule=True)
        elif breach is None and self._breach is not None:
            self._breach = None
            if self._state_by_rule and self._state is TradingState.REDUCING:
                self._set_state(TradingState.ACTIVE, "loss limits back within bounds", by_rule=True)

    # --- the trading state ------------------------------------------------------------------

    @property
    def trading_state(self) -> TradingState:
        return self._state

    @property
    def state_reason(self) -> str:
        return self._state_reason

    def add_listener(self, listener: TradingStateListener) -> None:
        self._listeners.append(listener)

    def set_trading_state(self, state: TradingState, reason: str) -> None:
        """Set the state by hand (from the window); rules will not undo it."""
        self._set_state(TradingState(state), reason or "set by hand", by_rule=False)

    def _set_state(self, state: TradingState, reason: str, *, by_rule: bool) -> None:
        old = self._state
        self._state, self._state_reason, self._state_by_rule = state, reason, by_rule
        self._gated = state is TradingState.HALTED or len(self._orders) == self._orders.maxlen
        if state is old:
            return
        self._signal_cache.clear()   # decisions depend on the state
        event = TradingStateChanged(old=old, new=state, reason=reason, by_rule=by_rule, time_ms=self._now_ms())
        _log.warning("trading state %s -> %s (%s, %s)", old, state, reason, "rule" if by_rule else "by hand")
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:
                _log.exception("trading-state listener %r failed", listener)

    # --- signals ----------------------------------------------------------------------------

    def record_order(self) -> None:
        """Count one order sent (the engine calls this); feeds the orders-per-minute limit."""
        orders = self._orders
        orders.append(self._now())
        if len(orders) == orders.maxlen:
            self._gated = True

    def _rate_limited(self) -> bool:
        orders = self._orders
        return len(orders) == orders.maxlen and self._now() - orders[0] < 60.0

    def evaluate_signal(self, sig: Signal) -> RiskDecision:
        """Approve, reduce (with the size allowed) or reject `sig`, with the reason."""
        if self._gated:   # HALTED, or enough orders sent that the rate limit may bite
            refusal = self._gate(sig)
            if refusal is not None:
                self._counts[Decision.REJECT] += 1
                return refusal
        key = (sig.symbol, sig.side, sig.size, sig.price, sig.leverage, sig.reduce_only, self._version)
        decision = self._signal_cache.get(key)
        if decision is None:
            decision = evaluate_signal(sig, self._portfolio, self.config, self._state)
            self._signal_cache.set(key, decision)
        self._counts[decision.decision] += 1
        return decision

    def _gate(self, sig: Signal) -> RiskDecision | None:
        """The checks no cache may answer: HALTED, and the order rate (reduce-only orders pass it)."""
        if self._state is TradingState.HALTED:
            return RiskDecision(decision=Decision.REJECT, size=_ZERO, checks=("state",),
                                reason=f"trading is HALTED: {self._state_reason}")
        if not sig.reduce_only and self._rate_limited():
            return RiskDecision(decision=Decision.REJECT, size=_ZERO, checks=("order_rate",),
                                reason=f"order rate above {self.config.max_orders_per_minute} a minute")
        return None

    def evaluate_signals(self, signals: Iterable[Signal]) -> list[RiskDecision]:
        """Each signal judged on its own against the current portfolio (as a loop would), in order.

        A batch is judged at one instant against one portfolio, so a signal repeated within it gets
        the decision its first occurrence got: the cache is asked once per distinct signal (the
        repeats count as its hits), and the decision counters are added up once at the end."""
        cache = self._signal_cache
        if self._gated or cache.ttl_s <= 0:     # gated, or decisions not cached at all: one by one
            evaluate = self.evaluate_signal
            return [evaluate(s) for s in signals]
        version, portfolio, config, state = self._version, self._portfolio, self.config, self._state
        decided: dict[tuple[object, ...], RiskDecision] = {}     # a distinct signal -> its decision

        def first(sig: Signal, key: tuple[object, ...]) -> RiskDecision:
            decision = cache.get((*key, version))
            if decision is None:
                decision = evaluate_signal(sig, portfolio, config, state)
                cache.set((*key, version), decision)
            decided[key] = decision
            return decision

        known = decided.get    # one lookup a signal: a key tuple's hash (Decimals, an enum) is not cached
        out = [known(key := (s.symbol, s.side, s.size, s.price, s.leverage, s.reduce_only)) or first(s, key)
               for s in signals]
        cache.hits += len(out) - len(decided)
        kinds = {d.decision for d in decided.values()}
        counts = self._counts
        if len(kinds) == 1:    # the usual batch: every distinct signal got the same answer, one add
            counts[kinds.pop()] += len(out)
        else:
            for kind, n in Counter(map(_KIND, out)).items():
                counts[kind] += n
        return out

    # --- positions and portfolio ------------------------------------------------------------

    def check_position_risk(self, pos: Position) -> PositionRisk:
        key = (pos.symbol, pos.size, pos.mark_px, pos.entry_px, pos.unrealized_pnl, pos.liquidation_px,
               self._version)
        cache = self._position_cache
        risk = cache.get(key)
        if risk is None:
            risk = position_risk(pos, self._portfolio, self.config)
            cache.set(key, risk)
        return risk

    def check_positions_risk(self, positions: Sequence[Position] | None = None) -> list[PositionRisk]:
        """Every position (the portfolio's by default), riskiest first."""
        check = self.check_position_risk
        risks = [check(p) for p in (self._portfolio.positions if positions is None else positions)]
        risks.sort(key=lambda r: (-r.severity, -r.notional))
        return risks

    def portfolio_risk(self) -> PortfolioRisk:
        """Exposure, leverage, margin use, drawdown and concentration; cached by portfolio version."""
        risk = self._portfolio_cache.get(self._version)
        if risk is None:
            risk = portfolio_risk(self._portfolio, self.config)
            self._portfolio_cache.set(self._version, risk)
        return risk

    # --- reading ----------------------------------------------------------------------------

    def decision_counts(self) -> dict[str, int]:
        return {d.value: n for d, n in self._counts.items()}

    def snapshot(self) -> RiskSnapshot:
        r, cfg = self.portfolio_risk(), self.config
        return RiskSnapshot(
            trading_state=self._state, state_reason=self._state_reason, equity=r.equity, peak_equity=r.peak_equity,
            exposure=r.exposure, max_exposure=cfg.max_total_exposure_usd, leverage=r.leverage,
            max_leverage=cfg.max_leverage, margin_use_pct=r.margin_use_pct, drawdown_pct=r.drawdown_pct,
            max_drawdown_pct=cfg.max_drawdown_pct, daily_pnl=r.daily_pnl, daily_loss_limit=cfg.daily_loss_limit_usd,
            concentration_pct=r.concentration_pct, decisions=self.decision_counts())
