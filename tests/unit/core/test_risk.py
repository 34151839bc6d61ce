"""RiskManager: portfolio versioning, caches, trading state by rule and by hand, order rate."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perps_desktop.core import Portfolio, RiskConfig, RiskManager, TradingStateChanged
from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.clock import ManualClock
from perps_desktop.core.models import AccountState, Decision, Position, RiskDecision, Side, Signal, TradingState
from perps_desktop.core.risk_rules import evaluate_signal, portfolio_risk, position_risk

DAY_MS = 86_400_000



def position(symbol: str, size: str, mark: str, liq: str | None = None) -> Position:
    return Position(symbol=symbol, size=D(size), entry_px=D(mark), mark_px=D(mark), unrealized_pnl=D(0), leverage=5,
                    liquidation_px=D(liq) if liq else None)


def account(equity: str, *positions: Position, time_ms: int = 0) -> AccountState:
    return AccountState(address="0xabc", equity=D(equity), total_notional=D(0), margin_used=D(0),
                        withdrawable=D(0), positions=tuple(positions), time_ms=time_ms)


def signal(symbol: str = "ETH", side: Side = Side.BUY, size: str = "1", price: str = "3000", **kw: object) -> Signal:
    return Signal(symbol=symbol, side=side, size=D(size), price=D(price), strategy="t", **kw)  # type: ignore[arg-type]


def manager(cfg: RiskConfig | None = None, caches: CacheRegistry | None = None) -> tuple[RiskManager, ManualClock]:
    clock = ManualClock(wall_ms=20_000 * DAY_MS + 1000)
    return RiskManager(cfg or RiskConfig(), caches=caches, clock=clock), clock


def test_the_version_moves_only_when_the_content_does() -> None:
    rm, _ = manager()
    assert rm.update_portfolio(account("100000", position("BTC", "1", "60000"), time_ms=1))
    v = rm.version
    assert not rm.update_portfolio(account("100000", position("BTC", "1", "60000"), time_ms=2))
    assert rm.version == v
    assert rm.update_portfolio(account("100000", position("BTC", "1", "60001")))
    assert rm.version == v + 1 and rm.portfolio.version == rm.version
    assert rm.portfolio.exposure == 60001.0


def test_peak_and_day_start_equity() -> None:
    rm, clock = manager()
    rm.update_portfolio(account("100000"))
    rm.update_portfolio(account("110000"))
    rm.update_portfolio(account("105000"))
    assert (rm.portfolio.peak_equity, rm.portfolio.day_start_equity) == (110_000, 100_000)
    assert rm.portfolio.daily_pnl == 5_000
    clock.advance(DAY_MS / 1000)
    assert rm.update_portfolio(account("105000"))           # same content, new day: the day restarts
    assert rm.portfolio.day_start_equity == 105_000


def test_signal_decisions_are_cached_until_the_portfolio_changes() -> None:
    caches = CacheRegistry()
    rm, clock = manager(caches=caches)
    rm.update_portfolio(account("100000"))
    s = signal()
    first = rm.evaluate_signal(s)
    assert rm.evaluate_signal(s) is first
    stats = caches.get("risk_signal")
    assert stats is not None and (stats.hits, stats.misses) == (1, 1)
    rm.update_portfolio(account("100000", position("ETH", "5", "3000")))
    assert rm.evaluate_signal(s) is not first
    clock.advance(1.5)                                           # past the 1 s TTL
    rm.evaluate_signal(s)
    assert stats.misses == 3
    assert {c.name for c in caches.stats()} == {"risk_signal", "risk_position", "risk_portfolio"}
    assert rm.decision_counts() == {"approve": 4, "reduce": 0, "reject": 0}


def test_ttl_zero_switches_caching_off() -> None:
    rm, _ = manager(RiskConfig(signal_ttl_ms=0, portfolio_ttl_ms=0, position_ttl_ms=0))
    rm.update_portfolio(account("100000", position("BTC", "1", "60000")))
    s = signal()
    assert rm.evaluate_signal(s) == rm.evaluate_signal(s)
    assert rm.evaluate_signal(s) is not rm.evaluate_signal(s)
    assert rm.portfolio_risk() is not rm.portfolio_risk()


def test_batch_apis_match_one_at_a_time() -> None:
    rm, _ = manager(RiskConfig(max_position_notional_usd=20_000))
    rm.update_portfolio(account("100000", position("BTC", "0.2", "60000", liq="58000"), position("ETH", "2", "3000")))
    sigs = [signal(), signal("BTC", Side.BUY, "0.5", "60000"), signal("BTC", Side.SELL, "0.1", "60000"),
            signal("SOL", Side.SELL, "1000", "100")]
    assert rm.evaluate_signals(sigs) == [rm.evaluate_signal(s) for s in sigs]
    risks = rm.check_positions_risk()
    assert [r.symbol for r in risks] == ["BTC", "ETH"]       # riskiest (near liquidation) first
    assert rm.check_position_risk(rm.portfolio.by_symbol["ETH"]) is risks[1]


@pytest.mark.parametrize(("distinct", "mixed"), [(3, True), (300, True), (30, False)])  # False: one kind
def test_a_batch_with_repeats_counts_decisions_and_cache_hits_as_the_loop_does(distinct: int, mixed: bool) -> None:
    kinds = [signal(), signal("BTC", Side.BUY, "0.5", "60000"), signal("SOL", Side.SELL, "1000", "100")]
    unique = [replace(kinds[i % 3], size=kinds[i % 3].size + D(i // 3) / 1000) if mixed else
              replace(kinds[0], size=kinds[0].size + D(i) / 1000) for i in range(distinct)]
    sigs = unique * 4
    sides = []
    for batch in (True, False):
        caches = CacheRegistry()
        rm = RiskManager(RiskConfig(max_position_notional_usd=20_000), caches=caches)
        rm.update_portfolio(account("100000", position("BTC", "0.2", "60000"), position("ETH", "2", "3000")))
        decisions = rm.evaluate_signals(sigs) if batch else [rm.evaluate_signal(s) for s in sigs]
        stats = next(s for s in caches.stats() if s.name == "risk_signal")
        sides.append((decisions, rm.decision_counts(), stats.hits, stats.misses))
    assert sides[0] == sides[1]
    assert sides[0][2:] == (3 * distinct, distinct)    # each distinct signal asked once, its repeats hits
    assert (len({d.decision for d in sides[0][0]}) > 1) is mixed   # one kind of decision, or several


def test_the_rules_enter_and_leave_reducing_and_the_trader_overrides() -> None:
    rm, _ = manager(RiskConfig(max_drawdown_pct=10, daily_loss_limit_usd=0))
    events: list[TradingStateChanged] = []
    rm.add_listener(events.append)
    rm.update_portfolio(account("100000"))
    rm.update_portfolio(account("85000"))
    assert rm.trading_state is TradingState.REDUCING and "drawdown 15.0%" in rm.state_reason
    assert events[-1].by_rule and events[-1].old is TradingState.ACTIVE
    assert rm.evaluate_signal(signal()).decision is Decision.REJECT
    rm.update_portfolio(account("95000"))
    assert rm.trading_state is TradingState.ACTIVE and events[-1].by_rule
    rm.update_portfolio(account("80000"))
    assert rm.trading_state is TradingState.REDUCING
    rm.set_trading_state(TradingState.HALTED, "trader pressed stop")
    assert events[-1].new is TradingState.HALTED and not events[-1].by_rule
    rm.update_portfolio(account("99000"))                   # limits clear, but the trader's HALT stays
    assert rm.trading_state is TradingState.HALTED
    d = rm.evaluate_signal(signal("BTC", Side.SELL, "1", "60000", reduce_only=True))
    assert d.decision is Decision.REJECT and "trader pressed stop" in d.reason
    rm.set_trading_state(TradingState.ACTIVE, "resume")
    assert rm.evaluate_signal(signal()).decision is Decision.APPROVE


def test_order_rate_limit() -> None:
    rm, clock = manager(RiskConfig(max_orders_per_minute=3))
    rm.update_portfolio(account("100000", position("ETH", "5", "3000")))
    s = signal()
    for _ in range(3):
        assert rm.evaluate_signal(s).decision is Decision.APPROVE
        rm.record_order()
        clock.advance(1)
    d = rm.evaluate_signal(s)
    assert d.decision is Decision.REJECT and "order rate" in d.reason
    assert rm.evaluate_signals([s]) == [d]
    closing = signal("ETH", Side.SELL, "1", "3000", reduce_only=True)
    assert rm.evaluate_signal(closing).decision is Decision.APPROVE
    clock.advance(60)
    assert rm.evaluate_signal(s).decision is Decision.APPROVE


def test_snapshot() -> None:
    rm, _ = manager()
    rm.update_portfolio(account("50000", position("BTC", "0.5", "60000"), position("ETH", "-5", "3000")))
    rm.evaluate_signal(signal())
    snap = rm.snapshot()
    assert snap.trading_state is TradingState.ACTIVE and snap.equity == 50_000
    assert snap.exposure == 45_000 and snap.leverage == 0.9 and snap.max_leverage == 10
    assert snap.concentration_pct == (30_000 / 45_000 * 100) and snap.decisions["approve"] == 1


# --- a changed portfolio is never judged from a stale cache ---------------------------------

SYMBOLS = ("BTC", "ETH")
positions_st = st.lists(
    st.builds(lambda sym, size, mark, liq, entry, pnl: replace(position(sym, size, mark, liq), entry_px=D(entry),
                                                               unrealized_pnl=D(pnl)),
              st.sampled_from(SYMBOLS), st.sampled_from(["-2", "-0.5", "0.5", "1", "3"]),
              st.sampled_from(["2900", "3000", "60000", "61000"]), st.sampled_from([None, "2000", "2950", "59500"]),
              st.sampled_from(["3000", "60000"]), st.sampled_from(["0", "150"])),
    min_size=1, max_size=2, unique_by=lambda p: p.symbol)
accounts_st = st.builds(lambda eq, ps: account(eq, *ps), st.sampled_from(["20000", "90000", "100000", "120000"]),
                        positions_st)
signals_st = st.builds(signal, st.sampled_from(SYMBOLS), st.sampled_from([Side.BUY, Side.SELL]),
                       st.sampled_from(["0.5", "1", "10"]), st.sampled_from(["3000", "60000"]))
ops_st = st.lists(st.one_of(
    st.tuples(st.just("update"), accounts_st),
    st.tuples(st.just("move"), st.tuples(st.sampled_from(["mark_px", "liquidation_px", "entry_px", "size",
                                                           "unrealized_pnl", "equity", "margin_used"]),
                                         st.sampled_from(["2950", "3000", "59000", "61000", "-1", "0.5"]))),
    st.tuples(st.just("signal"), signals_st),
    st.tuples(st.just("batch"), st.lists(signals_st, max_size=4)),
    st.tuples(st.just("portfolio"), st.none()),
    st.tuples(st.just("positions"), st.none()),
    st.tuples(st.just("tick"), st.floats(0, 0.4)),
    st.tuples(st.just("state"), st.sampled_from(list(TradingState))),
), min_size=1, max_size=40)


AUDIT = [signal(sym, side, "1", px) for sym, px in (("BTC", "60000"), ("ETH", "3000")) for side in Side]


def same(got: list[RiskDecision], fresh: list[RiskDecision], state: TradingState) -> bool:
    """Equal decisions; when HALTED the manager answers before the rules, naming the trader's reason."""
    if state is TradingState.HALTED:
        return [(d.decision, d.size) for d in got] == [(d.decision, d.size) for d in fresh]
    return got == fresh


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_st)
def test_a_changed_portfolio_is_never_judged_from_a_stale_cache(ops: list[tuple[str, object]]) -> None:
    """Every answer equals the pure rules applied to a portfolio rebuilt from the newest account
    state (the test's own model, which knows nothing of versions or caches)."""
    rm, clock = manager(RiskConfig(max_drawdown_pct=50, daily_loss_limit_usd=50_000))
    cfg = rm.config
    last: AccountState | None = None
    peak = 0.0
    day_start: float | None = None

    def truth() -> Portfolio:
        if last is None:
            return Portfolio.build(equity=0.0, version=rm.version)
        return Portfolio.build(equity=float(last.equity), positions=last.positions, peak_equity=peak,
                               day_start_equity=day_start, version=rm.version, margin_used=float(last.margin_used))

    for kind, arg in ops:
        if kind == "update":
            assert isinstance(arg, AccountState)
            rm.update_portfolio(arg)
            last = arg
            peak = max(peak, float(arg.equity))
            day_start = float(arg.equity) if day_start is None else day_start
        elif kind == "move":                 # one field of the last account moves, the rest stays
            assert isinstance(arg, tuple)
            name, value = arg
            if last is not None:
                if name in ("equity", "margin_used"):
                    moved = replace(last, **{name: D(value)})
                elif last.positions:
                    moved = replace(last, positions=(replace(last.positions[0], **{name: D(value)}),
                                                     *last.positions[1:]))
                else:
                    continue
                rm.update_portfolio(moved)
                last = moved
                peak = max(peak, float(moved.equity))
        elif kind == "signal":
            assert isinstance(arg, Signal)
            fresh = [evaluate_signal(arg, truth(), cfg, rm.trading_state)]
            assert same([rm.evaluate_signal(arg)], fresh, rm.trading_state)
        elif kind == "batch":
            assert isinstance(arg, list)
            fresh = [evaluate_signal(s, truth(), cfg, rm.trading_state) for s in arg]
            assert same(rm.evaluate_signals(arg), fresh, rm.trading_state)
        elif kind == "portfolio":
            assert rm.portfolio_risk() == portfolio_risk(truth(), cfg)
        elif kind == "positions":
            pf = truth()
            for p in pf.positions:
                assert rm.check_position_risk(p) == position_risk(p, pf, cfg)
            got = sorted(rm.check_positions_risk(), key=lambda r: r.symbol)
            assert got == sorted((position_risk(p, pf, cfg) for p in pf.positions), key=lambda r: r.symbol)
        elif kind == "tick":
            assert isinstance(arg, float)
            clock.advance(arg)
        elif kind == "state":
            assert isinstance(arg, TradingState)
            rm.set_trading_state(arg, "by hand")
        # after every step, everything the manager answers (mostly from its caches) is fresh
        pf = truth()
        assert rm.portfolio_risk() == portfolio_risk(pf, cfg)
        got = sorted(rm.check_positions_risk(), key=lambda r: r.symbol)
        assert got == sorted((position_risk(p, pf, cfg) for p in pf.positions), key=lambda r: r.symbol)
        fresh = [evaluate_signal(s, pf, cfg, rm.trading_state) for s in AUDIT]
        assert same(rm.evaluate_signals(AUDIT), fresh, rm.trading_state)
