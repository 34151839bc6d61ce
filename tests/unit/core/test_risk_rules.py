"""The pure risk rules: every limit of evaluate_signal, position and portfolio risk."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perps_desktop.config import Settings
from perps_desktop.core import Portfolio, RiskConfig
from perps_desktop.core.models import Decision, Position, Severity, Side, Signal, TradingState
from perps_desktop.core.risk_rules import evaluate_signal, portfolio_risk, position_risk

CFG = RiskConfig(max_position_notional_usd=50_000, max_total_exposure_usd=100_000, max_leverage=10,
                 daily_loss_limit_usd=5_000, max_drawdown_pct=20, min_liquidation_distance_pct=5,
                 max_concentration_pct=60)


def pos(symbol: str, size: str, mark: str, *, liq: str | None = None, entry: str | None = None,
        pnl: str = "0") -> Position:
    return Position(symbol=symbol, size=D(size), entry_px=D(entry or mark), mark_px=D(mark), unrealized_pnl=D(pnl),
                    leverage=5, liquidation_px=D(liq) if liq else None)


def sig(symbol: str, side: Side, size: str, price: str, **kw: object) -> Signal:
    return Signal(symbol=symbol, side=side, size=D(size), price=D(price), strategy="t", **kw)  # type: ignore[arg-type]


def pf(*positions: Position, equity: float = 100_000, peak: float | None = None,
       day_start: float | None = None) -> Portfolio:
    return Portfolio.build(equity=equity, positions=positions, peak_equity=peak, day_start_equity=day_start)


def test_an_order_within_every_limit_is_approved() -> None:
    d = evaluate_signal(sig("BTC", Side.BUY, "0.1", "60000"), pf(), CFG)
    assert d.decision is Decision.APPROVE and d.size == D("0.1") and d.reason == "within limits"
    assert "total_exposure" in d.checks


@pytest.mark.parametrize(("size", "price"), [("0", "100"), ("-1", "100"), ("1", "0"), ("NaN", "1")])
def test_nonsense_orders_are_rejected(size: str, price: str) -> None:
    d = evaluate_signal(sig("BTC", Side.BUY, size, price), pf(), CFG)
    assert d.decision is Decision.REJECT and d.size == 0 and "invalid order" in d.reason


def test_leverage_above_the_limit_is_rejected() -> None:
    d = evaluate_signal(sig("BTC", Side.BUY, "0.1", "60000", leverage=20.0), pf(), CFG)
    assert d.decision is Decision.REJECT and "leverage 20x" in d.reason


def test_the_symbol_limit_reduces_to_the_size_that_fits_rounded_down() -> None:
    p = pf(pos("BTC", "0.5", "60000"))                  # 30k long already
    d = evaluate_signal(sig("BTC", Side.BUY, "0.500", "60000"), p, CFG)
    assert d.decision is Decision.REDUCE
    assert d.size == D("0.333333")                      # 20k / 60k, rounded down to 6 decimals
    assert "BTC notional limit" in d.reason


def test_total_exposure_and_account_leverage_limits() -> None:
    p = pf(pos("BTC", "0.8", "60000"), pos("ETH", "15", "3000"), pos("SOL", "-200", "100"))  # 48k+45k+20k
    d = evaluate_signal(sig("DOGE", Side.BUY, "100000", "0.1"), p, CFG)
    assert d.decision is Decision.REJECT and "total exposure limit" in d.reason
    p2 = pf(pos("BTC", "0.5", "60000"), equity=4_000)   # 30k of 40k allowed by 10x
    d2 = evaluate_signal(sig("ETH", Side.BUY, "5", "3000"), p2, CFG)
    assert d2.decision is Decision.REDUCE and d2.size == D("3.333333") and "account leverage" in d2.reason


def test_the_part_that_shrinks_a_position_always_passes() -> None:
    p = pf(pos("BTC", "2", "60000"), equity=1_000, peak=100_000)   # every limit blown
    close = evaluate_signal(sig("BTC", Side.SELL, "1", "60000"), p, CFG)
    assert close.decision is Decision.APPROVE and "shrinks" in close.reason
    flip = evaluate_signal(sig("BTC", Side.SELL, "3", "60000"), p, CFG)
    assert flip.decision is Decision.REDUCE and flip.size == D("2")


def test_flipping_a_position_checks_only_the_new_side() -> None:
    p = pf(pos("BTC", "0.5", "60000"))
    d = evaluate_signal(sig("BTC", Side.SELL, "1.5", "60000"), p, CFG)   # close 0.5, open 1.0 short = 60k
    assert d.decision is Decision.REDUCE
    assert d.size == D("1.333333")                     # 0.5 + 50k / 60k, rounded down


def test_trading_states() -> None:
    p = pf(pos("BTC", "1", "60000"))
    opening, closing = sig("ETH", Side.BUY, "1", "3000"), sig("BTC", Side.SELL, "0.4", "60000")
    assert evaluate_signal(opening, p, CFG, TradingState.REDUCING).decision is Decision.REJECT
    assert evaluate_signal(closing, p, CFG, TradingState.REDUCING).decision is Decision.APPROVE
    mixed = evaluate_signal(sig("BTC", Side.SELL, "1.5", "60000"), p, CFG, TradingState.REDUCING)
    assert mixed.decision is Decision.REDUCE and mixed.size == D("1") and "REDUCING" in mixed.reason
    for s in (opening, closing):
        d = evaluate_signal(s, p, CFG, TradingState.HALTED)
        assert d.decision is Decision.REJECT and "HALTED" in d.reason


def test_reduce_only_signals_never_open() -> None:
    d = evaluate_signal(sig("ETH", Side.BUY, "1", "3000", reduce_only=True), pf(), CFG)
    assert d.decision is Decision.REJECT and "reduce-only" in d.reason


def test_daily_loss_and_drawdown_allow_only_shrinking() -> None:
    p = pf(pos("BTC", "0.1", "60000"), equity=94_000, day_start=100_000)
    d = evaluate_signal(sig("ETH", Side.BUY, "1", "3000"), p, CFG)
    assert d.decision is Decision.REJECT and "daily loss 6000.00" in d.reason
    p2 = pf(equity=70_000, peak=100_000, day_start=70_000)
    d2 = evaluate_signal(sig("ETH", Side.BUY, "1", "3000"), p2, CFG)
    assert d2.decision is Decision.REJECT and "drawdown 30.0%" in d2.reason


def test_liquidation_distance() -> None:
    near = pf(pos("BTC", "1", "60000", liq="58000"))    # 3.3% away
    add = evaluate_signal(sig("BTC", Side.BUY, "0.1", "60000"), near, CFG)
    assert add.decision is Decision.REJECT and "from liquidation" in add.reason
    other = evaluate_signal(sig("ETH", Side.BUY, "1", "3000"), near, CFG)
    assert other.decision is Decision.APPROVE
    strict = RiskConfig(min_liquidation_distance_pct=15, max_leverage=20)
    d = evaluate_signal(sig("ETH", Side.BUY, "1", "3000", leverage=10.0), pf(), strict)
    assert d.decision is Decision.REJECT and "10.0% from liquidation" in d.reason


def test_position_risk_grades_the_worst_problem() -> None:
    p = pf(pos("BTC", "1", "60000", liq="59000", entry="50000", pnl="10000"), pos("ETH", "1", "3000"),
           equity=5_000)
    btc = position_risk(p.by_symbol["BTC"], p, CFG)
    assert btc.severity is Severity.CRITICAL            # 1.7% from liquidation, under half the minimum
    assert btc.pnl_pct == pytest.approx(20.0) and btc.leverage == pytest.approx(12.0)
    assert any("liquidation" in r for r in btc.reasons) and any("notional" in r for r in btc.reasons)
    assert any("of exposure" in r for r in btc.reasons)
    eth = position_risk(p.by_symbol["ETH"], p, CFG)
    assert eth.severity is Severity.INFO and eth.reasons == ()


def test_portfolio_risk_measures_and_breaches() -> None:
    p = Portfolio.build(equity=10_000, peak_equity=20_000, day_start_equity=16_000, margin_used=2_500,
                        positions=(pos("BTC", "1", "60000"), pos("ETH", "-20", "3000")))
    r = portfolio_risk(p, CFG)
    assert r.exposure == 120_000 and r.leverage == 12 and r.margin_use_pct == 25
    assert r.drawdown_pct == 50 and r.daily_pnl == -6_000
    assert r.largest_symbol == "BTC" and r.concentration_pct == 50
    assert r.severity is Severity.CRITICAL and len(r.breaches) == 4
    empty = portfolio_risk(Portfolio.build(equity=100.0), CFG)
    assert empty.exposure == 0 and empty.leverage == 0 and empty.breaches == () and empty.largest_symbol is None


def test_config_from_settings() -> None:
    cfg = RiskConfig.from_settings(Settings(risk_cache_ttl_ms=0, max_risk_cache_entries=7, max_leverage=3))
    assert (cfg.signal_ttl_ms, cfg.max_cache_entries, cfg.max_leverage) == (0, 7, 3)
    assert cfg.portfolio_ttl_ms == 5000 and cfg.position_ttl_ms == 2000
