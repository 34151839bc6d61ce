"""MidSampler: the mid prices the timeline and the replay draw, at most one per symbol per second.

Fed with every mid the engine sees (its ticks' allMids, the stream's pushes); it keeps a sample
when a symbol's second changes, for the symbols that matter (those traded, held or ordered), and
hands them to a `MidSink` (the trace store's `mid_samples`), which never blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from perps_desktop.core.ports import MidSink

__all__ = ["MidSampler"]


class MidSampler:
    """Thins mids to one per symbol per second for a `MidSink` (see the module docstring)."""

    def __init__(self, sink: MidSink, symbols: Callable[[], Iterable[str]]) -> None:
        self._sink = sink
        self._symbols = symbols
        self._last: dict[str, int] = {}       # symbol -> the second of its last sample
        self.samples = 0

    def sample(self, mids: Mapping[str, Decimal | float], now_ms: int) -> int:
        """Take this second's sample of each wanted symbol not sampled yet; returns how many."""
        second = now_ms // 1000
        last = self._last
        out: list[tuple[str, int, float]] = []
        for symbol in self._symbols():
            if last.get(symbol) == second:
                continue
            px = mids.get(symbol)
            if px is None:
                continue
            last[symbol] = second
            out.append((symbol, second, float(px)))
        if out:
            self._sink.record_mids(out)
            self.samples += len(out)
        return len(out)
