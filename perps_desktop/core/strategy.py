"""MomentumStrategy: the paper strategy that makes the bot trade, from mids alone.

For each configured coin it keeps the last `lookback` mids; when the move over that window is
above `threshold_pct` it signals a buy (below minus the threshold, a sell) of `order_size_usd`,
as long as the position stays within `max_position_usd`, then waits `cooldown_ticks` ticks for
that coin. It has no I/O and no clock of its own: the engine feeds it mids and positions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from perps_desktop.core.models import Position, Side, Signal

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["MomentumStrategy", "StrategyConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyConfig:
    symbols: tuple[str, ...] = ("BTC", "ETH", "SOL")    # SYMBOLS
    lookback: int = 5                                    # STRATEGY_LOOKBACK: mids per window
    threshold_pct: float = 0.02                          # STRATEGY_THRESHOLD_PCT: move that signals
    order_size_usd: float = 500.0                        # ORDER_SIZE_USD
    max_position_usd: float = 2_000.0                    # STRATEGY_MAX_POSITION_USD: per coin, either side
    cooldown_ticks: int = 3                              # ticks to wait after a signal on a coin
    name: str = "momentum"

    @classmethod
    def from_settings(cls, settings: Settings) -> StrategyConfig:
        s = settings.engine
        return cls(symbols=s.symbol_list, lookback=s.strategy_lookback, threshold_pct=s.strategy_threshold_pct,
                   order_size_usd=s.order_size_usd, max_position_usd=s.strategy_max_position_usd)


class MomentumStrategy:
    """Signals in the direction of the recent move, within a per-coin position cap."""

    def __init__(self, config: StrategyConfig | None = None) -> None:
        self.config = cfg = config or StrategyConfig()
        self.name = cfg.name
        self._mids: dict[str, deque[float]] = {s: deque(maxlen=max(2, cfg.lookback)) for s in cfg.symbols}
        self._cooldown: dict[str, int] = dict.fromkeys(cfg.symbols, 0)
        self.signals = 0

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.config.symbols

    def owners(self) -> dict[str, str]:
        """Which coins this strategy owns (recovery calls a position on any other coin orphaned)."""
        return dict.fromkeys(self.config.symbols, self.name)

    def momentum_pct(self, symbol: str) -> float | None:
        window = self._mids.get(symbol)
        if window is None or len(window) < window.maxlen or window[0] <= 0:  # type: ignore[operator]
            return None
        return (window[-1] - window[0]) / window[0] * 100.0

    def on_mids(self, mids: Mapping[str, Decimal], positions: Iterable[Position] = (),
                now_ms: int = 0) -> list[Signal]:
        """Take one tick of mids; return the signals it causes (at most one per coin)."""
        cfg = self.config
        held = {p.symbol: p for p in positions}
        out: list[Signal] = []
        for sym, window in self._mids.items():
            px = mids.get(sym)
            if px is None or px <= 0:
                continue
            mid = float(px)
            window.append(mid)
            if self._cooldown[sym] > 0:
                self._cooldown[sym] -= 1
                continue
            move = self.momentum_pct(sym)
            if move is None or abs(move) < cfg.threshold_pct:
                continue
            side = Side.BUY if move > 0 else Side.SELL
            p = held.get(sym)
            signed = float(p.size) * mid if p is not None else 0.0
            room = cfg.max_position_usd - signed * side.sign
            usd = min(cfg.order_size_usd, room)
            if usd < min(10.0, cfg.order_size_usd):      # the venue's minimum order value is $10
                continue
            size = Decimal(repr(usd / mid))
            reduce_only = False
            if p is not None and signed * side.sign < 0 and abs(signed) <= usd * 1.5:
                size, usd, reduce_only = abs(p.size), abs(signed), True   # close it exactly: no dust left
            out.append(Signal(symbol=sym, side=side, size=size, price=px, strategy=self.name, time_ms=now_ms,
                              reduce_only=reduce_only,
                              reason=f"{sym} moved {move:+.3f}% over {len(window)} ticks "
                                     f"(threshold {cfg.threshold_pct:g}%): {side.name.lower()} ${usd:,.0f}"))
            self._cooldown[sym] = cfg.cooldown_ticks
            self.signals += 1
        return out
