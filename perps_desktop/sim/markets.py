"""The listed perpetuals and their prices: a seeded random walk of mids with 1-minute candles."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

import orjson

from perps_desktop.sim.wire import fmt, round_to_tick, tick_size

__all__ = ["CANDLE_HISTORY", "DEFAULT_MARKETS", "MarketSpec", "Markets"]

CANDLE_HISTORY = 5000          # 1m candles kept per coin (the venue serves at most 5000 per request)
_MINUTE = 60_000
_STEP_SIGMA = 0.00025          # per-step log-return stdev of the walk
_BACKFILL_SIGMA = 0.0012       # per-minute stdev of the synthetic history before start


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSpec:
    """One perp as `meta.universe` lists it, plus the price it starts from."""

    name: str
    sz_decimals: int
    max_leverage: int
    start_px: float
    only_isolated: bool = False

    def meta_entry(self) -> dict[str, object]:
        entry: dict[str, object] = {"name": self.name, "szDecimals": self.sz_decimals,
                                    "maxLeverage": self.max_leverage, "marginTableId": self.max_leverage}
        if self.only_isolated:
            entry["onlyIsolated"] = True
        return entry


DEFAULT_MARKETS: tuple[MarketSpec, ...] = (
    MarketSpec(name="BTC", sz_decimals=5, max_leverage=40, start_px=65000.0),
    MarketSpec(name="ETH", sz_decimals=4, max_leverage=25, start_px=3400.0),
    MarketSpec(name="SOL", sz_decimals=2, max_leverage=20, start_px=150.0),
    MarketSpec(name="XRP", sz_decimals=0, max_leverage=20, start_px=0.6),
    MarketSpec(name="DOGE", sz_decimals=0, max_leverage=10, start_px=0.15),
    MarketSpec(name="AVAX", sz_decimals=2, max_leverage=10, start_px=30.0),
    MarketSpec(name="LINK", sz_decimals=1, max_leverage=10, start_px=15.0),
    MarketSpec(name="ARB", sz_decimals=1, max_leverage=10, start_px=0.8),
    MarketSpec(name="OP", sz_decimals=1, max_leverage=10, start_px=1.8),
    MarketSpec(name="SUI", sz_decimals=1, max_leverage=10, start_px=1.2),
    MarketSpec(name="BNB", sz_decimals=3, max_leverage=10, start_px=580.0),
    MarketSpec(name="LTC", sz_decimals=2, max_leverage=10, start_px=80.0),
    MarketSpec(name="HYPE", sz_decimals=2, max_leverage=10, start_px=25.0),
    MarketSpec(name="APT", sz_decimals=2, max_leverage=10, start_px=8.0),
    MarketSpec(name="WIF", sz_decimals=0, max_leverage=5, start_px=2.0),
)


class Markets:
    """Mids of every coin, moved one step at a time by a walk that depends only on the seed."""

    def __init__(self, specs: tuple[MarketSpec, ...], seed: int, now_ms: int) -> None:
        self.specs = specs
        self.by_name = {s.name: s for s in specs}
        self.asset_of = {s.name: i for i, s in enumerate(specs)}
        self._walk = random.Random(seed)
        self._fair = {s.name: s.start_px for s in specs}
        self.mids: dict[str, Decimal] = {}
        self.ticks: dict[str, Decimal] = {}
        self.funding: dict[str, Decimal] = {s.name: Decimal("0.0000125") for s in specs}
        self.funding_history: dict[str, list[dict]] = {s.name: [] for s in specs}
        self._candles: dict[str, list[list]] = {s.name: [] for s in specs}
        self._backfilled: set[str] = set()
        self._day_stats: dict[str, tuple[tuple[str, int], tuple[Decimal, Decimal, Decimal]]] = {}
        self._start_ms = now_ms
        self._start_fair = dict(self._fair)
        self.meta_body = orjson.dumps({"universe": [s.meta_entry() for s in specs]})
        self.all_mids_body = b"{}"
        self.steps = 0
        for s in specs:
            self._quantize(s.name)
        self.seed = seed
        self._render()

    # -- moving ---------------------------------------------------------------------------------
    def step(self, now_ms: int) -> None:
        """One block: every fair price takes a seeded log-normal step; mids snap to the tick grid."""
        gauss = self._walk.gauss
        for s in self.specs:
            self._fair[s.name] *= math.exp(_STEP_SIGMA * gauss(0.0, 1.0))
            self._quantize(s.name)
            self._candle_update(s.name, now_ms, self.mids[s.name], Decimal(0))
        for s in self.specs:  # funding drifts slowly around +0.00125%/h
            rate = self.funding[s.name] + Decimal(str(round(self._walk.gauss(0.0, 2e-7), 9)))
            self.funding[s.name] = max(Decimal("-0.0004"), min(Decimal("0.0004"), rate))
        self.steps += 1
        self._render()

    def set_mid(self, coin: str, px: Decimal, now_ms: int) -> None:
        """Force a coin's mid (the walk continues from here)."""
        self._fair[coin] = float(px)
        self._quantize(coin)
        self._candle_update(coin, now_ms, self.mids[coin], Decimal(0))
        self._render()

    def add_volume(self, coin: str, px: Decimal, sz: Decimal, now_ms: int) -> None:
        """Count a trade into the current candle."""
        self._candle_update(coin, now_ms, px, sz)

    # -- reading --------------------------------------------------------------------------------
    def mid(self, coin: str) -> Decimal:
        return self.mids[coin]

    def candles(self, coin: str) -> list[list]:
        """1m rows `[t, o, h, l, c, v, n]`, oldest first: a day of seeded history, then live blocks."""
        if coin not in self._backfilled:
            self._backfill(coin)
        return self._candles[coin]

    def day_stats(self, coin: str, now_ms: int) -> tuple[Decimal, Decimal, Decimal]:
        """(prevDayPx, dayBaseVlm, dayNtlVlm) from the last 24 h of candles (recomputed once a minute)."""
        key = (coin, now_ms // _MINUTE)
        cached = self._day_stats.get(coin)
        if cached is not None and cached[0] == key:
            return cached[1]
        rows = self.candles(coin)
        since = now_ms - 86_400_000
        prev = rows[0][1]
        base = Decimal(0)
        ntl = Decimal(0)
        for row in reversed(rows):
            if row[0] < since:
                break
            prev = row[1]
            base += row[5]
            ntl += row[5] * row[4]
        self._day_stats[coin] = (key, (prev, base, ntl))
        return prev, base, ntl

    # -- internals ------------------------------------------------------------------------------
    def _quantize(self, coin: str) -> None:
        spec = self.by_name[coin]
        fair = Decimal(repr(self._fair[coin]))
        tick = tick_size(fair, spec.sz_decimals)
        mid = round_to_tick(fair, tick)
        if mid <= 0:
            mid = tick
        self.mids[coin] = mid
        self.ticks[coin] = tick

    def _render(self) -> None:
        self.all_mids_body = orjson.dumps({c: fmt(m) for c, m in self.mids.items()})

    def _candle_update(self, coin: str, now_ms: int, px: Decimal, sz: Decimal) -> None:
        rows = self._candles[coin]
        t = now_ms - now_ms % _MINUTE
        if not rows or rows[-1][0] < t:
            o = rows[-1][4] if rows else px
            rows.append([t, o, max(o, px), min(o, px), px, sz, 1 if sz else 0])
            if len(rows) > CANDLE_HISTORY:
                del rows[: len(rows) - CANDLE_HISTORY]
            return
        row = rows[-1]
        if px > row[2]:
            row[2] = px
        if px < row[3]:
            row[3] = px
        row[4] = px
        if sz:
            row[5] += sz
            row[6] += 1

    def history_rows(self, coin: str) -> list[list]:
        """A day of plausible 1m rows ending at the start price (seeded per coin; reads only start state)."""
        spec = self.by_name[coin]
        rng = random.Random(self.seed * 1_000_003 + self.asset_of[coin])
        start = self._start_ms - self._start_ms % _MINUTE
        fair = self._start_fair[coin]
        exp = tick_size(Decimal(repr(fair)), spec.sz_decimals).as_tuple().exponent
        assert isinstance(exp, int)
        tick = 10.0 ** exp
        n = 1440
        closes = [fair]
        for _ in range(n):
            closes.append(closes[-1] * math.exp(_BACKFILL_SIGMA * rng.gauss(0.0, 1.0)))
        closes.reverse()  # walked backwards from the start price
        notional_per_min = 2_000_000.0 / max(1.0, 60000.0 / spec.start_px) ** 0.5

        def q(x: float) -> Decimal:
            return Decimal(max(1, round(x / tick))).scaleb(exp)

        rows = []
        for i in range(n):
            o, c = closes[i], closes[i + 1]
            hi = max(o, c) * (1 + abs(rng.gauss(0.0, _BACKFILL_SIGMA / 2)))
            lo = min(o, c) * (1 - abs(rng.gauss(0.0, _BACKFILL_SIGMA / 2)))
            vol = notional_per_min * rng.uniform(0.3, 1.7) / c
            rows.append([start - (n - i) * _MINUTE, q(o), q(hi), q(lo), q(c),
                         Decimal(repr(round(vol, spec.sz_decimals))), rng.randint(5, 200)])
        return rows

    def install_history(self, coin: str, rows: list[list]) -> None:
        """Put `history_rows` in front of the live candles (once per coin)."""
        if coin in self._backfilled:
            return
        self._backfilled.add(coin)
        live = self._candles[coin]
        if live:
            rows = [r for r in rows if r[0] < live[0][0]]
            if rows:
                rows[-1][4] = live[0][1]  # history closes where the live minute opened
        live[:0] = rows
        if len(live) > CANDLE_HISTORY:
            del live[: len(live) - CANDLE_HISTORY]

    def _backfill(self, coin: str) -> None:
        self.install_history(coin, self.history_rows(coin))
